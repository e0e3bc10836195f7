"""GET /api/lab/catalogue: its bounds are the Optimizer Lab request models' own, its starting values are accepted.

Every bound is posted at the bound and just beyond it to the endpoint it belongs to: a value the
catalogue allows raises no error at that field, one it forbids is a 422 located at that field.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from tests.test_api_training_catalogue import _probes

RUN = {"optimizer": "sgd", "params": {"lr": 0.1}}
#: path prefix → (endpoint, a small valid body)
ENDPOINTS: dict[str, tuple[str, dict[str, Any]]] = {
    "": ("/api/trajectories", {"start": [-1, 1], "steps": 3, "runs": [RUN]}),
    "sweep.": ("/api/sweeps/lr", {"start": [-1, 1], "steps": 3, "runs": [RUN], "n": 2, "lr_max": 100}),
    "map.": ("/api/sweeps/start-map", {"run": RUN, "steps": 2, "n": 2}),
}


def lab_catalogue(client: TestClient) -> dict[str, Any]:
    response = client.get("/api/lab/catalogue")
    assert response.status_code == 200, response.text
    return response.json()


def _body_at(base: dict[str, Any], keys: list[str], value: float) -> tuple[dict[str, Any], list[str]]:
    """``base`` with ``value`` at ``keys`` (a list: its first item; clip/noise switched on) and that field's loc."""
    body = copy.deepcopy(base)
    node: Any = body
    loc: list[str] = []
    for key in keys[:-1]:
        if isinstance(node.get(key), list):
            node, loc = node[key][0], [*loc, key, "0"]
        else:
            node = node.setdefault(key, {"mode": "norm", "max": 1.0} if key == "clip" else {})
            loc.append(key)
    node[keys[-1]] = value
    return body, [*loc, keys[-1]]


def test_bounds_are_the_request_models_bounds(client: TestClient) -> None:
    cat = lab_catalogue(client)
    assert cat["bounds"]["runs.clip.max"] == {"exclusive_minimum": 0, "maximum": 1e6, "integer": False}
    assert cat["bounds"]["runs.noise.std"] == {"minimum": 0, "maximum": 1e4, "integer": False}
    assert cat["bounds"]["runs.noise.seed"] == {"minimum": 0, "exclusive_maximum": 2**32, "integer": True}
    assert cat["bounds"]["sweep.lr_min"] == {"exclusive_minimum": 0, "maximum": 100, "integer": False}
    checked = 0
    for path, bounds in cat["bounds"].items():
        prefix = next(p for p in ("sweep.", "map.", "") if path.startswith(p))
        url, base = ENDPOINTS[prefix]
        for value, accepted in _probes(bounds):
            body, loc = _body_at(base, path[len(prefix) :].split("."), value)
            response = client.post(url, json=body)
            at_field = [e for e in response.json().get("detail", []) if [str(p) for p in e["loc"][1:]] == loc]
            if accepted:
                assert not at_field, (path, value, response.text)
            else:
                assert response.status_code == 422 and at_field, (path, value, response.text)
            checked += 1
    assert checked >= 24


def test_starting_values_are_accepted_and_are_the_engines(client: TestClient) -> None:
    defaults = lab_catalogue(client)["defaults"]
    # clipping starts as the Training Lab's (one ClipConfig), noise with a visible std
    training = client.get("/api/training/catalogue").json()["optional_defaults"]
    assert defaults["clip"] == training["optimizer.clip"] == {"mode": "norm", "max": 1.0}
    assert defaults["noise"]["std"] > 0
    body = {"start": [-1, 1], "steps": 5, "runs": [{**RUN, "clip": defaults["clip"], "noise": defaults["noise"]}]}
    with_defaults = client.post("/api/trajectories", json=body)
    assert with_defaults.status_code == 200, with_defaults.text
    # the seed left out is NoiseSpec's default: the same noisy path
    body["runs"][0]["noise"] = {"std": defaults["noise"]["std"]}
    omitted = client.post("/api/trajectories", json=body)
    assert omitted.json()["runs"][0]["path"] == with_defaults.json()["runs"][0]["path"]
