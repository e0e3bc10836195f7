"""Pause, resume and single steps of a running job, inside its worker process (docs/API.md "Training Lab").

The trainer polls ``should_stop()`` before every optimizer step. The worker hands it a
:class:`JobGate` instead of a bare flag; the web process forwards ``cancel`` / ``pause`` /
``resume`` / ``step`` to the worker (``app/jobs/worker.py``), whose listener thread calls the
gate's methods below. While the job is paused the gate *blocks* there (the worker sleeps between
two steps, holding its slot). The first time it blocks after a pause it calls ``on_paused`` — so
the web process logs ``status: paused`` only once the worker has really stopped, after any frame
of the step that was in flight. A step request lets a granted number of single steps through;
while they run the trainer emits no interval frame (``stepping()``), and ``frame_due()`` says a
metrics frame follows the last of them (``app.core.nn.training.StepGate``). So the frames of two
step requests of ``n`` steps are exactly ``n`` steps apart. A job left paused longer than
``max_pause_seconds`` is cancelled, so an abandoned paused job cannot hold a worker forever.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

#: Longest single wait of a paused gate before it re-checks the clock and the cancel flag.
POLL_SECONDS = 0.5


class JobGate:
    """The ``should_stop`` of one job in its worker: True once cancelled, blocks while paused.

    Parameters
    ----------
    max_pause_seconds : float
        A pause longer than this cancels the job.
    on_paused : callable
        Called (from the trainer's thread) when the gate first blocks after a pause.
    clock : callable
        Monotonic seconds.
    """

    def __init__(
        self,
        max_pause_seconds: float,
        on_paused: Callable[[], None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_pause_seconds = max_pause_seconds
        self.on_paused = on_paused
        self.clock = clock
        self._cond = threading.Condition()
        self._cancelled = False
        self._paused = False
        self._announced = False  # on_paused called since the last pause request
        self._budget = 0  # granted single steps not yet taken
        self._single = False  # the step just let through was a granted single step
        self._frame = False

    # --- the controls (listener thread) -------------------------------------------------------

    def cancel(self) -> None:
        """Stop at the next poll (wakes a paused gate)."""
        with self._cond:
            self._cancelled = True
            self._cond.notify_all()

    def pause(self) -> None:
        """Block before the next optimizer step."""
        with self._cond:
            if not self._paused:
                self._paused, self._announced, self._budget = True, False, 0

    def resume(self) -> None:
        """Run on freely."""
        with self._cond:
            self._paused, self._budget = False, 0
            self._cond.notify_all()

    def step(self, steps: int) -> None:
        """While paused: let ``steps`` more optimizer steps through, then a frame."""
        with self._cond:
            if self._paused:
                self._budget += max(0, int(steps))
                self._cond.notify_all()

    @property
    def cancelled(self) -> bool:
        """True once cancelled (by a request, a shutdown or a too-long pause)."""
        return self._cancelled

    # --- the trainer's side -------------------------------------------------------------------

    def __call__(self) -> bool:
        """Called by the trainer before each step: wait while paused; True when the job must stop."""
        with self._cond:
            started = self.clock()
            while self._paused and self._budget == 0 and not self._cancelled:
                if not self._announced:
                    self._announced = True
                    self.on_paused()
                if self.clock() - started > self.max_pause_seconds:
                    self._cancelled = True
                    break
                self._cond.wait(POLL_SECONDS)
            if self._cancelled:
                return True
            self._single = self._paused  # a granted single step
            if self._single:
                self._budget -= 1
                self._frame = self._budget == 0
            return False

    def frame_due(self) -> bool:
        """True once, right after the last granted single step."""
        with self._cond:
            due, self._frame = self._frame, False
            return due

    def stepping(self) -> bool:
        """True while the step just taken was a granted single step (no interval frames then)."""
        return self._single
