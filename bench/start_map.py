"""Time of a start-point map: 10,000 starts x 500 steps, all starts advanced at once.

Target: under 1 s on the 2-core reference machine. Also prints the ratio against a plain
per-start Python loop on a sample of starts (the reference a vectorised engine should beat), and
the engine alone (``start_map``, no HTTP) against the minimal NumPy loop of ``bench/engine2d.py``
(momentum on contiguous x, y arrays, f only at the end, no checks) on the same Rosenbrock map,
measured in the same run; ``engine2d.py`` times the same map via HTTP.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine2d import minimal_map_loop

from app.core.lab2d.surfaces import Surface, get_surface
from app.core.lab2d.trajectory import RunSpec, simulate, start_map

N, STEPS = 100, 500
SAMPLE = 20  # starts timed one at a time for the loop reference


def main() -> None:
    surface = get_surface("himmelblau")
    xs, ys = np.linspace(-5, 5, N), np.linspace(-5, 5, N)
    for opt, lr in (("sgd", 0.01), ("momentum", 0.005), ("adam", 0.05)):
        spec = RunSpec(opt, {"lr": lr})
        best = min(_timed(partial(start_map, surface, xs, ys, STEPS, spec)) for _ in range(3))
        per_start_loop = _timed(partial(_one_at_a_time, surface, xs[:SAMPLE], spec)) / SAMPLE
        print(
            f"start map {opt:8s}: {N * N} starts x {STEPS} steps in {best:.3f} s "
            f"({'meets' if best < 1 else 'MISSES'} the 1 s target); "
            f"one-at-a-time loop would take {per_start_loop * N * N:.1f} s (x{per_start_loop * N * N / best:.0f})"
        )
    rosenbrock, spec = get_surface("rosenbrock"), RunSpec("momentum", {"lr": 1e-4})
    xs, ys = np.linspace(-2, 2, N), np.linspace(-1, 3, N)
    engine, loop = float("inf"), float("inf")
    for _ in range(5):  # interleaved, best of each: the machine is shared
        engine = min(engine, _timed(partial(start_map, rosenbrock, xs, ys, STEPS, spec)))
        loop = min(loop, _timed(minimal_map_loop))
    print(
        f"start map momentum on Rosenbrock, engine alone {engine:.3f} s   minimal NumPy loop {loop:.3f} s"
        f"   ratio {engine / loop:.2f}"
    )


def _one_at_a_time(surface: Surface, xs: np.ndarray, spec: RunSpec) -> None:
    """One ``simulate`` call per start (x, 0.5), the plain loop the vectorised map replaces."""
    for x in xs:
        simulate(surface, np.array([x, 0.5]), STEPS, spec, record=False)


def _timed(fn: Callable[[], object]) -> float:
    """Seconds one call of ``fn`` takes."""
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main()
