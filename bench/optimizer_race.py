"""Steps per second of a 12-optimizer race of 10,000 steps (with full per-step recording).

Run: ``make bench`` or ``.venv/bin/python bench/optimizer_race.py``.
"""

from __future__ import annotations

import time

import numpy as np

from app.core.lab2d.surfaces import get_surface
from app.core.lab2d.trajectory import RunSpec, simulate
from app.core.optim.optimizers import OPTIMIZERS

STEPS = 10_000


def main() -> None:
    surface = get_surface("rosenbrock")
    lrs = {"sgd": 1e-3, "momentum": 1e-3, "nesterov": 1e-3, "adagrad": 0.5, "rmsprop": 1e-2, "adam": 1e-2,
           "adamw": 1e-2, "nadam": 1e-2, "amsgrad": 1e-2, "adadelta": 1.0, "newton": 1.0, "lbfgs": 1.0}  # fmt: skip
    assert set(lrs) == set(OPTIMIZERS)
    t0 = time.perf_counter()
    total = 0
    for opt, lr in lrs.items():
        t = time.perf_counter()
        sim = simulate(surface, np.array([-1.5, 2.0]), STEPS, RunSpec(opt, {"lr": lr}))
        steps = int(min(sim.alive_until[0], STEPS + 1)) - 1
        total += steps
        rate = steps / (time.perf_counter() - t)
        print(f"  {opt:9s} {steps:6d} steps  {rate:10.0f} steps/s  final f = {sim.final_loss[0]:.3g}")
    elapsed = time.perf_counter() - t0
    print(f"race: 12 optimizers x {STEPS} steps: {elapsed:.2f} s, {total / elapsed:,.0f} steps/s overall")


if __name__ == "__main__":
    main()
