"""The fast 2-D engine against its step-by-step reference loop (``Simulator(reference=True)``), bit for bit:
shared by tests/test_engine_reference.py and tests/test_scalar_runs.py."""

from __future__ import annotations

import numpy as np

from app.core.lab2d.surfaces.base import Surface
from app.core.lab2d.trajectory import RunSpec, Simulation, Simulator


def run(surface: Surface, start: object, steps: int, spec: RunSpec, *, reference: bool, **kw: object) -> Simulation:
    sim = Simulator(surface, start, steps, spec, reference=reference, **kw)  # type: ignore[arg-type]
    sim.advance()
    return sim.result()


def both(surface: Surface, start: object, steps: int, spec: RunSpec, **kw: object) -> tuple[Simulation, Simulation]:
    """The fast engine's and the reference loop's results of the same runs."""
    fast = run(surface, start, steps, spec, reference=False, **kw)
    return fast, run(surface, start, steps, spec, reference=True, **kw)


def assert_same(fast: Simulation, ref: Simulation, *, recorded: bool = False) -> None:
    """Identical final points, losses and stopping steps, and identical recordings where the reference
    has one (with ``recorded``, both must have one)."""
    np.testing.assert_array_equal(fast.alive_until, ref.alive_until)
    np.testing.assert_array_equal(fast.final, ref.final)
    np.testing.assert_array_equal(fast.final_loss, ref.final_loss)
    if recorded:
        assert ref.recording is not None
    if ref.recording is not None:
        assert fast.recording is not None
        for name in ("path", "loss", "grad", "update", "lr"):
            np.testing.assert_array_equal(getattr(fast, name), getattr(ref, name), err_msg=name)
        assert fast.state.keys() == ref.state.keys()
        for key in ref.state:
            np.testing.assert_array_equal(fast.state[key], ref.state[key], err_msg=key)
