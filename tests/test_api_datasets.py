"""``GET /api/datasets`` and ``GET /api/datasets/{id}/preview``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from app.config import Settings, get_settings
from app.core.datasets.idx import write_idx
from app.main import app
from fastapi.testclient import TestClient


@pytest.fixture
def settings_with(client: TestClient) -> Iterator[Callable[..., None]]:
    """Override the app's Settings for one test (removed again afterwards)."""

    def use(**values: object) -> None:
        app.dependency_overrides[get_settings] = lambda: Settings(**values)

    yield use
    app.dependency_overrides.pop(get_settings, None)


def _tiny_mnist(folder: Path) -> None:
    rng = np.random.default_rng(0)
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (40, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte.gz", (np.arange(40) % 10).astype(np.uint8))
    write_idx(folder / "t10k-images-idx3-ubyte.gz", rng.integers(0, 256, (10, 28, 28), dtype=np.uint8))
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.arange(10, dtype=np.uint8))


def test_list(client: TestClient, settings_with: Callable[..., None]) -> None:
    settings_with(mnist_dir=None)
    r = client.get("/api/datasets")
    assert r.status_code == 200
    entries = {d["id"]: d for d in r.json()}
    assert set(entries) == {"digits", "iris", "spiral", "moons", "circles", "xor", "blobs", "mnist"}
    digits = entries["digits"]
    assert digits["name"]["en"] and digits["name"]["ko"]
    assert {k: digits[k] for k in ("kind", "n_samples", "n_features", "n_classes", "generated", "available")} == {
        "kind": "image",
        "n_samples": 1797,
        "n_features": 64,
        "n_classes": 10,
        "generated": False,
        "available": True,
    }
    assert (
        entries["iris"]["kind"],
        entries["iris"]["n_samples"],
        entries["iris"]["n_classes"],
    ) == ("table", 150, 3)
    assert entries["spiral"]["kind"] == "2d" and entries["spiral"]["generated"] is True
    assert entries["mnist"]["available"] is False


def test_list_with_mnist_folder(client: TestClient, settings_with: Callable[..., None], tmp_path: Path) -> None:
    _tiny_mnist(tmp_path)
    settings_with(mnist_dir=tmp_path)
    mnist = next(d for d in client.get("/api/datasets").json() if d["id"] == "mnist")
    assert mnist["available"] is True and mnist["n_samples"] == 50 and mnist["image_shape"] == [28, 28]
    p = client.get("/api/datasets/mnist/preview", params={"limit": 3})
    assert p.status_code == 200
    assert np.array(p.json()["images"]).shape == (3, 28, 28) and p.json()["label"] == [0, 1, 2]


def test_preview_2d(client: TestClient) -> None:
    r = client.get("/api/datasets/xor/preview", params={"n_samples": 60, "noise": 0, "seed": 1})
    assert r.status_code == 200
    body = r.json()
    assert body["kind"] == "2d" and body["n_total"] == 60 and len(body["x"]) == len(body["label"]) == 60
    x, y, label = np.array(body["x"]), np.array(body["y"]), np.array(body["label"])
    np.testing.assert_array_equal(label, (x * y > 0).astype(int))  # noise 0: exact XOR quadrants
    assert body["bounds"]["x"][0] < x.min() and body["bounds"]["x"][1] > x.max()
    assert "images" not in body  # fields of other kinds are left out


def test_preview_images_and_table(client: TestClient) -> None:
    body = client.get("/api/datasets/digits/preview", params={"limit": 10}).json()
    assert body["label"] == list(range(10)) and body["image_shape"] == [8, 8] and body["value_range"] == [0, 16]
    assert np.array(body["images"]).shape == (10, 8, 8)
    body = client.get("/api/datasets/iris/preview", params={"limit": 4}).json()
    assert np.array(body["rows"]).shape == (4, 4) and body["class_names"][0] == "setosa"


def test_preview_errors(client: TestClient, settings_with: Callable[..., None]) -> None:
    settings_with(mnist_dir=None)
    r = client.get("/api/datasets/cifar/preview")
    assert r.status_code == 404 and r.json()["detail"][0]["loc"] == ["path", "dataset_id"]
    r = client.get("/api/datasets/moons/preview", params={"noise": 99})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "noise"]
    r = client.get("/api/datasets/moons/preview", params={"limit": 0})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "limit"]
    r = client.get("/api/datasets/mnist/preview")
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["path", "dataset_id"]
    assert "PLAYGROUND_MNIST_DIR" in r.json()["detail"][0]["msg"]


def test_preview_n_samples_above_the_configured_limit(client: TestClient, settings_with: Callable[..., None]) -> None:
    settings_with(max_samples=100)
    r = client.get("/api/datasets/spiral/preview", params={"n_samples": 101})
    assert r.status_code == 422
    detail = r.json()["detail"][0]
    assert detail["loc"] == ["query", "n_samples"] and "100" in detail["msg"]


def test_openapi_lists_what_the_routes_send(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/datasets"]["get"]["responses"]) == {"200"}
    assert set(paths["/api/datasets/{dataset_id}/preview"]["get"]["responses"]) == {"200", "404", "422"}
    missing = client.get("/api/datasets/cifar/preview")
    assert missing.status_code == 404 and missing.json()["detail"][0]["loc"] == ["path", "dataset_id"]
