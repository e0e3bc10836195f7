"""``POST /api/activations``: the experiment over HTTP, with the server's bounds."""

from __future__ import annotations

from fastapi.testclient import TestClient

from app.config import Settings, get_settings
from app.main import app


def test_default_request_reproduces_the_textbook_setup(client: TestClient) -> None:
    r = client.post("/api/activations", json={})
    assert r.status_code == 200
    body = r.json()
    assert body["activation"] == "sigmoid" and len(body["layers"]) == 5
    layer = body["layers"][0]
    assert len(layer["edges"]) == 31 and sum(layer["counts"]) == 1000 * 100
    assert layer["frac_low"] + layer["frac_high"] > 0.6  # std 1 saturates


def test_he_relu_request(client: TestClient) -> None:
    r = client.post(
        "/api/activations",
        json={"activation": "relu", "init": "he_normal", "layers": 3, "width": 50, "n_samples": 300, "bins": 10},
    )
    assert r.status_code == 200
    layers = r.json()["layers"]
    assert len(layers) == 3 and len(layers[0]["counts"]) == 10 and layers[0]["edges"][0] == 0.0


def test_bad_values_are_422_naming_the_field(client: TestClient) -> None:
    for body, field in [
        ({"activation": "gelu"}, "activation"),
        ({"init_std": -1}, "init_std"),
        ({"bins": 1}, "bins"),
        ({"layers": 0}, "layers"),
        ({"surprise": 1}, "surprise"),
    ]:
        r = client.post("/api/activations", json=body)
        assert r.status_code == 422, body
        assert r.json()["detail"][0]["loc"][-1] == field


def test_server_limits_are_422_naming_field_and_limit(client: TestClient) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(max_activation_samples=100, max_layers=3, max_width=20)
    try:
        for body, field, limit in [
            ({"n_samples": 101}, "n_samples", "100"),
            ({"layers": 4, "n_samples": 10}, "layers", "3"),
            ({"width": 21, "n_samples": 10, "layers": 2}, "width", "20"),
            ({"n_features": 21, "width": 10, "n_samples": 10, "layers": 2}, "n_features", "20"),
        ]:
            r = client.post("/api/activations", json=body)
            assert r.status_code == 422, body
            detail = r.json()["detail"][0]
            assert detail["loc"] == ["body", field] and limit in detail["msg"]
        ok = client.post("/api/activations", json={"n_samples": 100, "layers": 3, "width": 20, "n_features": 20})
        assert ok.status_code == 200
    finally:
        app.dependency_overrides.pop(get_settings, None)


def test_documented_in_openapi(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/api/activations"]["post"]
    assert op["summary"] == "Histogram each layer's activations for random inputs at initialisation."
    assert op["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("ActivationRequest")


def test_openapi_lists_what_the_route_sends(client: TestClient) -> None:
    op = client.get("/openapi.json").json()["paths"]["/api/activations"]["post"]
    assert set(op["responses"]) == {"200", "400", "413", "422"}
    assert op["responses"]["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorResponse")
    too_big = client.post("/api/activations", json={"n_samples": 10**9})
    assert too_big.status_code == 422 and too_big.json()["detail"][0]["loc"] == ["body", "n_samples"]


def test_hist_range_gives_panels_one_axis(client: TestClient) -> None:
    body = {"activation": "relu", "init": "normal", "init_std": 0.01, "hist_range": [0, 4], "bins": 4}
    r = client.post("/api/activations", json=body)
    assert r.status_code == 200
    result = r.json()
    assert result["saturation_rule"] == {"code": "zero", "params": {}}
    assert result["layers"][0]["edges"] == [0, 1, 2, 3, 4]
    bad = client.post("/api/activations", json={**body, "hist_range": [2, 1]})
    assert bad.status_code == 422 and bad.json()["detail"][0]["loc"][-1] == "hist_range"
