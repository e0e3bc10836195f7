"""A time budget for telemetry frames (docs/telemetry.md "When telemetry is recorded").

Building a metrics frame costs a few forward passes and a dozen histograms — several training
steps' worth of time on a small network. With a short ``telemetry.interval`` the frames could
take longer than the training itself, so :class:`FrameBudget` keeps them to a share β
(``Settings.telemetry_budget``, default 0.15) of the time spent training:

* **the gate**: a frame on the grid is sent only while the frames so far are within the budget,
  F ≤ β · W, with F the seconds spent on frames and W = elapsed − F the seconds spent training.
  So F exceeds β · W by at most one frame (plus the frames always sent), and the run with
  telemetry takes about (1 + β) × the time without, at most;
* **the grid**: frames fall on multiples of the *interval in force* I = N · 2^k (N =
  ``telemetry.interval``), the smallest such interval whose steady-state cost c / (I · s) is
  within β, s being the mean training seconds per step so far. It is re-chosen after every frame
  (it grows when frames are dear, shrinks back towards N when they become cheap), and every frame
  says which interval was in force (``interval``) and whether it differs from N (``adaptive``),
  so the page labels its axis truthfully;
* **always sent**, whatever the budget: the first frame (step 0), the last frame of the requested
  grid (the last multiple of N within the run, so the final histograms are never far from the
  end) and frames a paused job's single steps ask for. Their cost still counts in F.

Epoch events are separate and never skipped. With ``telemetry.adaptive = false`` the budget is
off: a frame every N steps, exactly as requested.

Time is the CPU time of the training thread (``time.thread_time``; BLAS runs in that thread,
one BLAS thread per job), not the wall clock: other work on a busy server and the time a job
spends paused do not change the choice, and what is budgeted is what frames take from the
machine. The clock is injected so a test can drive the rule deterministically.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

#: Default budget β: frames may cost this share of the training time (Settings.telemetry_budget).
DEFAULT_BUDGET = 0.15
#: The interval in force never exceeds this many times the requested one (2¹⁶).
MAX_STRETCH = 1 << 16


class FrameBudget:
    """Decides, step by step, whether a metrics frame is sent, and times the frames.

    Parameters
    ----------
    interval : int
        The requested interval N (``telemetry.interval``), ≥ 1.
    total_steps : int
        Planned optimizer steps of the run.
    budget : float
        β: the frames may cost this share of the training time (> 0).
    adaptive : bool
        False: a frame every N steps, no budget.
    clock : callable
        Seconds (monotonic; the training thread's CPU time by default).

    Attributes
    ----------
    interval : int
        The interval in force I (a power-of-two multiple of N).
    frame_seconds : float
        F, seconds spent building and sending frames so far.
    frames : int
        Frames sent.
    """

    def __init__(
        self,
        interval: int,
        total_steps: int,
        budget: float = DEFAULT_BUDGET,
        adaptive: bool = True,
        clock: Callable[[], float] = time.thread_time,
    ) -> None:
        if interval < 1:
            raise ValueError("interval must be ≥ 1")
        if not budget > 0:
            raise ValueError("budget must be > 0")
        self.requested = int(interval)
        self.interval = int(interval)
        self.total_steps = int(total_steps)
        self.budget = float(budget)
        self.adaptive = bool(adaptive)
        self.clock = clock
        self.started = clock()
        self.frame_seconds = 0.0
        self.frames = 0
        self._last_cost = 0.0
        self._step = 0
        # The last multiple of N within the run: its frame is always sent.
        self.last_grid_step = (self.total_steps // self.requested) * self.requested

    def training_seconds(self) -> float:
        """W: seconds since the start not spent on frames."""
        return max(0.0, self.clock() - self.started - self.frame_seconds)

    def due(self, step: int, requested: bool = False) -> bool:
        """True when a frame should follow optimizer step ``step`` (≥ 1).

        ``requested``: a paused job's single step asks for a frame (always sent).
        """
        if requested:
            return True
        if step % self.requested != 0:
            return False
        if not self.adaptive or step == self.last_grid_step:
            return True
        if step % self.interval != 0:
            return False
        return self.frame_seconds <= self.budget * self.training_seconds()

    def send(self, emit: Callable[[str, dict[str, Any]], None], build: Callable[[], dict[str, Any]], step: int) -> None:
        """Build a frame with ``build()``, stamp it with the interval in force and ``emit`` it,
        counting the time of both (the encoding downstream of ``emit`` is part of the cost)."""
        t0 = self.clock()
        payload = build()
        payload["interval"] = self.interval
        payload["adaptive"] = self.interval != self.requested
        emit("metrics", payload)
        cost = self.clock() - t0
        self.frame_seconds += cost
        self.frames += 1
        self._last_cost = cost
        self._step = step
        if self.adaptive:
            self.interval = self._grid(step)

    def _grid(self, step: int) -> int:
        """The interval in force after a frame at ``step``: the smallest N · 2^k with
        c / (N · 2^k · s) ≤ β, s the mean training seconds per step so far (N before any step),
        at most the last grid step (so a short run never says "every 256 steps" of 240)."""
        if step <= 0:
            return self.requested
        per_step = self.training_seconds() / step
        if per_step <= 0:
            return self.requested
        needed = self._last_cost / (self.budget * per_step)  # steps between frames for cost share β
        if needed <= self.requested:
            return self.requested
        k = math.ceil(math.log2(needed / self.requested))
        # Never longer than the run: its last grid frame is sent anyway.
        return min(self.requested * min(1 << k, MAX_STRETCH), max(self.requested, self.last_grid_step))
