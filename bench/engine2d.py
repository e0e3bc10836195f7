"""The 2-D engine against its references, measured in one process (issue 9, point 4).

Prints ratios (ours / reference; below 1 means faster than the reference):

1. per step, one Rosenbrock path: ``simulate`` (every step recorded, as the API does) against the
   textbook-style loop of ``bench/textbook_loop.py`` (gradient + update on a dict of 1-element
   arrays, nothing recorded) — target ≤ 1;
2. 7 optimizers × 10,000 steps via HTTP (``POST /api/trajectories``, in-process ASGI client)
   against torch.optim in-process on the same surface (autograd + ``step()``; timed on 1,000
   steps per optimizer and scaled to 10,000) — target ≤ 0.05;
3. the textbook preset (f = x²/20 + y² from (−7, 2), 30 steps, 4 optimizers) — server time,
   read from the answer's ``Server-Timing`` header (app/api/middleware/server_timing.py), target
   ≤ 5 ms; the in-process client's round trip is printed next to it;
4. 12 optimizers × 2,000 steps on Rosenbrock — within the default budget and < 300 ms;
5. the start-point map, 10,000 starts × 500 steps via HTTP against a minimal NumPy loop
   (momentum on (x, y) arrays, no checks) — target ≤ 2;
6. JSON of the 7 × 10,000 race: orjson from NumPy against ``clean()`` lists + pydantic, and the
   size with ``format`` leaving out the state arrays.

Each figure is the best of a few repeats (the machine is shared; read the ratios).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from textbook_loop import textbook_run

from app.api.numpy_json import dumps
from app.api.schemas.lab_results import Outcome, TrajectoryResponse, TrajectoryRun
from app.config import Settings
from app.core.lab2d.cost import update_cost
from app.core.lab2d.results import run_record
from app.core.lab2d.surfaces import get_surface
from app.core.lab2d.trajectory import RunSpec, simulate
from app.core.optim.registry import OPTIMIZERS

ROSENBROCK_START = (-1.5, 2.0)
RACE = ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw")
TEXTBOOK_PRESET = {
    "surface": "book_bowl",
    "start": [-7, 2],
    "steps": 30,
    "runs": [
        {"optimizer": "sgd", "params": {"lr": 0.95}},
        {"optimizer": "momentum", "params": {"lr": 0.1}},
        {"optimizer": "adagrad", "params": {"lr": 1.5}},
        {"optimizer": "adam", "params": {"lr": 0.3}},
    ],
}


def best(fn: Callable[[], object], repeats: int = 5) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn``."""
    out = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out = min(out, time.perf_counter() - t)
    return out


def per_step() -> None:
    surface, steps = get_surface("rosenbrock"), 5_000
    for optimizer, lr in (("sgd", 1e-3), ("momentum", 1e-3), ("adagrad", 0.1), ("rmsprop", 1e-3), ("adam", 1e-3)):
        spec = RunSpec(optimizer, {"lr": lr, **({"rho": 0.99} if optimizer == "rmsprop" else {})})
        ours = best(lambda spec=spec: simulate(surface, ROSENBROCK_START, steps, spec)) / steps  # type: ignore[misc]
        book = best(lambda o=optimizer, lr=lr: textbook_run(o, lr, ROSENBROCK_START, steps)) / steps  # type: ignore[misc]
        print(
            f"per step  {optimizer:8s} ours {ours * 1e6:6.1f} µs (recorded)  textbook loop {book * 1e6:6.1f} µs"
            f"  ratio {ours / book:.2f}  (target ≤ 1)"
        )


def torch_race(steps: int) -> float:
    """Seconds for the seven race optimizers of torch.optim, ``steps`` each, on Rosenbrock."""
    import torch as torch_module

    torch: Any = torch_module  # typed loosely: the bench runs with or without torch's stubs
    torch.set_num_threads(1)
    makers: dict[str, Callable[[list[Any]], Any]] = {
        "sgd": lambda p: torch.optim.SGD(p, lr=1e-3),
        "momentum": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9),
        "nesterov": lambda p: torch.optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True),
        "adagrad": lambda p: torch.optim.Adagrad(p, lr=0.01),
        "rmsprop": lambda p: torch.optim.RMSprop(p, lr=1e-3),
        "adam": lambda p: torch.optim.Adam(p, lr=1e-3),
        "adamw": lambda p: torch.optim.AdamW(p, lr=1e-3),
    }
    t = time.perf_counter()
    for make in makers.values():
        theta = torch.tensor(ROSENBROCK_START, dtype=torch.float64, requires_grad=True)
        opt = make([theta])
        for _ in range(steps):
            opt.zero_grad()
            x, y = theta[0], theta[1]
            loss = (1.0 - x) ** 2 + 100.0 * (y - x**2) ** 2
            loss.backward()
            opt.step()
    return time.perf_counter() - t


def via_http() -> None:
    from fastapi.testclient import TestClient

    from app.main import app

    client = TestClient(app, base_url="http://localhost")  # an allowed host (PLAYGROUND_ALLOWED_HOSTS)
    race = {
        "surface": "rosenbrock",
        "start": list(ROSENBROCK_START),
        "steps": 10_000,
        "runs": [{"optimizer": o, "params": {"lr": 1e-3}} for o in RACE],
    }
    ok = client.post("/api/trajectories", json=race)
    assert ok.status_code == 200, ok.text[:300]
    ours = best(lambda: client.post("/api/trajectories", json=race), 3)
    try:
        torch_s = min(torch_race(1_000) for _ in range(2)) * 10
    except ImportError:
        print("7 × 10,000 via HTTP: torch not installed (make bench installs .[bench])")
    else:
        print(
            f"7 × 10,000 via HTTP {ours:.3f} s   torch.optim in-process {torch_s:.2f} s (1,000 steps × 10)"
            f"   ratio {ours / torch_s:.3f}  (target ≤ 0.05; issue 9: 0.29)"
        )
        # Where the time goes: the server's own time (Server-Timing), and the request without gzip.
        server = min(server_ms(client.post("/api/trajectories", json=race)) for _ in range(2))
        identity = {"accept-encoding": "identity"}
        plain = best(lambda: client.post("/api/trajectories", json=race, headers=identity), 2)
        print(
            f"   server time {server / 1e3:.3f} s (Server-Timing, incl. gzip)   without gzip"
            f" (Accept-Encoding: identity) {plain:.3f} s, ratio {plain / torch_s:.3f}"
        )
    lean = client.post("/api/trajectories", json={**race, "format": {"arrays": ["grad", "update", "lr", "distance"]}})
    print(f"   answer {len(ok.content) / 1e6:.1f} MB, without state arrays {len(lean.content) / 1e6:.1f} MB")

    preset = best(lambda: client.post("/api/trajectories", json=TEXTBOOK_PRESET), 20)
    server = min(server_ms(client.post("/api/trajectories", json=TEXTBOOK_PRESET)) for _ in range(20))
    print(
        f"textbook preset server time {server:.1f} ms (Server-Timing; target ≤ 5 ms)"
        f"   round trip {preset * 1e3:.1f} ms (in-process client)"
    )

    rosenbrock = get_surface("rosenbrock")
    twelve = {
        "surface": "rosenbrock",
        "start": list(ROSENBROCK_START),
        "steps": 2_000,
        "runs": [{"optimizer": o} for o in OPTIMIZERS],
    }
    work = sum(update_cost(rosenbrock, o).work(2_000, 1) for o in OPTIMIZERS)
    status = client.post("/api/trajectories", json=twelve).status_code
    t12 = best(lambda: client.post("/api/trajectories", json=twelve), 3)
    print(
        f"12 × 2,000: status {status}, {work / 1e6:.1f} M of the {Settings().max_work / 1e6:.0f} M budget, "
        f"{t12 * 1e3:.0f} ms  (target < 300 ms)"
    )

    smap = {"surface": "rosenbrock", "run": {"optimizer": "momentum", "params": {"lr": 1e-4}}, "steps": 500, "n": 100}
    assert client.post("/api/sweeps/start-map", json=smap).status_code == 200
    ours_map = best(lambda: client.post("/api/sweeps/start-map", json=smap), 3)
    ref_map = best(minimal_map_loop, 3)
    print(
        f"start map 10,000 × 500 via HTTP {ours_map:.3f} s   minimal NumPy loop {ref_map:.3f} s"
        f"   ratio {ours_map / ref_map:.2f}  (target ≤ 2; issue 9: 12–23)"
    )


def server_ms(response: Any) -> float:
    """The server's own time of an answer, from its ``Server-Timing: app;dur=<ms>`` header."""
    name, _, duration = response.headers["server-timing"].partition(";dur=")
    assert name == "app", response.headers["server-timing"]
    return float(duration)


def minimal_map_loop() -> None:
    """Momentum from 100 × 100 starts for 500 steps on (x, y) arrays; f at the end. No checks."""
    xs, ys = np.meshgrid(np.linspace(-2, 2, 100), np.linspace(-1, 3, 100))
    x, y = xs.ravel().copy(), ys.ravel().copy()
    vx, vy = np.zeros_like(x), np.zeros_like(y)
    lr, mu = 1e-4, 0.9
    for _ in range(500):
        r = y - x * x
        gx = -2.0 * (1.0 - x) - 400.0 * x * r
        gy = 200.0 * r
        vx = mu * vx - lr * gx
        vy = mu * vy - lr * gy
        x += vx
        y += vy
    _ = (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def encoding() -> None:
    surface = get_surface("rosenbrock")
    runs = []
    for o in RACE:
        spec = RunSpec(o, {"lr": 1e-3}, label=o)
        sim = simulate(surface, ROSENBROCK_START, 10_000, spec)
        runs.append((spec, sim))

    def old() -> bytes:
        out = []
        for spec, sim in runs:
            rec: dict[str, Any] = run_record(surface, sim, 0, True, spec.optimizer, spec.build().params)
            rec["outcome"] = Outcome.model_validate(rec["outcome"])
            out.append(TrajectoryRun.model_construct(label=spec.label, optimizer=spec.optimizer, **rec))
        model = TrajectoryResponse.model_construct(surface="rosenbrock", start=[-1.5, 2.0], steps=10_000, runs=out)
        return model.model_dump_json(exclude_unset=True).encode()

    def new() -> bytes:
        from app.core.lab2d.results import run_arrays, run_summary

        out = []
        for spec, sim in runs:
            run: dict[str, object] = {"label": spec.label, "optimizer": spec.optimizer}
            run.update(run_arrays(surface, sim, 0))
            summary = run_summary(surface, sim, 0, spec.optimizer, spec.build().params)
            summary["outcome"] = Outcome.model_validate(summary["outcome"]).model_dump(mode="json", by_alias=True)
            run.update(summary)
            out.append(run)
        return dumps({"surface": "rosenbrock", "start": [-1.5, 2.0], "steps": 10_000, "runs": out})

    assert json.loads(old())["runs"][0]["path"] == json.loads(new())["runs"][0]["path"]
    t_old, t_new = best(old, 3), best(new, 3)
    print(
        f"JSON of 7 × 10,000: orjson from NumPy {t_new * 1e3:.0f} ms   clean() + pydantic {t_old * 1e3:.0f} ms"
        f"   ratio {t_new / t_old:.2f}"
    )


def main() -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    per_step()
    via_http()
    encoding()


if __name__ == "__main__":
    main()
