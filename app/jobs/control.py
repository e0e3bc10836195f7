"""Pause, resume and single steps of a running job (docs/API.md "Training Lab", ``POST /api/jobs/{id}/pause``).

The trainer polls ``should_stop()`` before every optimizer step. The manager hands it a
:class:`JobGate` instead of a bare flag: while the job is paused the gate *blocks* there (so the
worker thread sleeps between two steps, holding its slot), lets a granted number of single steps
through, and then says through ``frame_due()`` that a metrics frame should follow the last of
them (``app.core.nn.training.StepGate``). A job left paused longer than ``max_pause_seconds`` is
cancelled, so an abandoned paused job cannot hold a slot forever.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from app.jobs.job import Job, JobStateError, JobStatus

#: Longest single wait of a paused gate before it re-checks the clock and the cancel flag.
POLL_SECONDS = 0.5


class JobGate:
    """The ``should_stop`` of one job: True once cancelled, blocks while paused.

    Parameters
    ----------
    job : Job
        The job whose pause state (``_paused``, ``_step_budget`` under ``_control``) is read.
    max_pause_seconds : float
        A pause longer than this cancels the job.
    clock : callable
        Monotonic seconds.
    """

    def __init__(self, job: Job, max_pause_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.job = job
        self.max_pause_seconds = max_pause_seconds
        self.clock = clock
        self._frame = False

    def __call__(self) -> bool:
        """Called by the worker before each step: wait while paused; True when the job must stop."""
        job = self.job
        with job._control:
            started = self.clock()
            while job._paused and job._step_budget == 0 and not job.cancel_requested:
                if self.clock() - started > self.max_pause_seconds:
                    job._cancel.set()
                    break
                job._control.wait(POLL_SECONDS)
            if job.cancel_requested:
                return True
            if job._paused:  # a granted single step
                job._step_budget -= 1
                self._frame = job._step_budget == 0
            return False

    def frame_due(self) -> bool:
        """True once, right after the last granted single step."""
        due, self._frame = self._frame, False
        return due


def _require(job: Job, status: JobStatus, action: str) -> None:
    """Raise :class:`JobStateError` unless ``job`` is ``status`` (caller holds ``job._lock``)."""
    if job.status is not status:
        raise JobStateError(job.id, job.status.value, action, status.value)


def pause_job(job: Job) -> Job:
    """Pause a running job before its next optimizer step (SSE ``status`` event ``paused``).

    Lock order: ``job._lock`` (status and log, so a pause never races the terminal event), then
    ``job._control`` (what the gate reads). Raises :class:`JobStateError` unless running.
    """
    with job._lock:
        _require(job, JobStatus.RUNNING, "pause")
        with job._control:
            job._paused, job._step_budget = True, 0
        job.status = JobStatus.PAUSED
        job.log.append("status", {"status": "paused"})
    return job


def resume_job(job: Job) -> Job:
    """Let a paused job run on (SSE ``status`` event ``running``); :class:`JobStateError` unless paused."""
    with job._lock:
        _require(job, JobStatus.PAUSED, "resume")
        with job._control:
            job._paused, job._step_budget = False, 0
            job._control.notify_all()
        job.status = JobStatus.RUNNING
        job.log.append("status", {"status": "running"})
    return job


def step_job(job: Job, steps: int = 1) -> Job:
    """Let a paused job take ``steps`` more optimizer steps, then a metrics frame; it stays paused."""
    with job._lock:
        _require(job, JobStatus.PAUSED, "step")
        with job._control:
            job._step_budget += int(steps)
            job._control.notify_all()
    return job
