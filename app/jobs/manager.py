"""Training jobs run in worker threads, so the event loop keeps answering while they train.

A *unit* is what occupies one of ``Settings.max_concurrent_jobs`` slots: a single job, or a whole
comparison whose jobs run one after another in the same worker thread. Each job owns an
:class:`~app.jobs.events.EventLog` that SSE streams read while the worker appends to it.

The trainer is injected (``JobManager(trainer=...)``); by default it is
:func:`default_trainer` (``app.core.nn.training.train``, imported lazily), with the signature::

    trainer(config, emit, should_stop, mnist_dir=None, limits=None) -> summary dict

where ``emit(name, payload)`` publishes a ``metrics`` / ``epoch`` event and ``should_stop()``
turns true once the job is cancelled (the trainer polls it and returns early). ``should_stop`` is a
:class:`~app.jobs.control.JobGate`: it blocks while the job is paused (``pause``/``resume``/``step``).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, Protocol

from app.config import Settings, get_settings
from app.core.errors import InputError
from app.jobs.control import JobGate, pause_job, resume_job, step_job
from app.jobs.events import TERMINAL_EVENTS, EventLog, json_safe
from app.jobs.job import (
    Comparison,
    Job,
    JobNotFoundError,
    JobStatus,
    ManagerClosedError,
    TooManyJobsError,
    default_label,
)
from app.jobs.observer import JobObserver

logger = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any]], None]
ShouldStop = Callable[[], bool]

INTERNAL_ERROR_MESSAGE = "Training failed because of an internal error; the server log has details."


class Trainer(Protocol):
    """The training function a job runs (see ``app.core.nn.training.train``)."""

    def __call__(
        self,
        config: dict[str, Any],
        emit: Emit,
        should_stop: ShouldStop,
        mnist_dir: Any = None,
        limits: Any = None,
    ) -> dict[str, Any]: ...


def default_trainer(
    config: dict[str, Any],
    emit: Emit,
    should_stop: ShouldStop,
    mnist_dir: Any = None,
    limits: Any = None,
) -> dict[str, Any]:
    """Run ``app.core.nn.training.train`` on the typed config.

    The API has already checked ``config`` against the settings' limits; only ``max_samples``
    (the largest data set to load) and ``data_dir`` (where uploaded sets are stored) are passed on.
    """
    from app.core.nn.config import parse_config
    from app.core.nn.training import train

    limits = limits or {}
    unit_view = (int(limits.get("max_unit_view_inputs", 32)), int(limits.get("max_unit_view_units", 32)))
    return train(
        parse_config(config),
        emit,
        should_stop,
        mnist_dir=mnist_dir,
        max_samples=limits.get("max_samples"),
        unit_view_size=unit_view,
        data_dir=limits.get("data_dir"),
        limits=limits,  # also the weight-trajectory and sharpness bounds (docs/landscape.md)
    )


class JobManager:
    """Admits, runs, cancels and forgets training jobs.

    Parameters
    ----------
    settings : Settings or None
        Limits to use; ``None`` reads :func:`app.config.get_settings` at each use.
    trainer : Trainer or None
        The training function; ``None`` means :func:`default_trainer`.
    clock : callable
        Monotonic seconds, used for the finished-job time-to-live (injectable for tests).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        trainer: Trainer | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fixed_settings = settings
        self._trainer: Trainer = trainer or default_trainer
        self._clock = clock
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}  # insertion order = creation order
        self._comparisons: dict[str, Comparison] = {}
        self._units: dict[str, threading.Thread] = {}  # unit id → its worker
        self._closed = False
        self._observers: list[JobObserver] = []

    def add_observer(self, observer: JobObserver) -> None:
        """Register ``observer`` for every job started from now on (``app/jobs/observer.py``)."""
        with self._lock:
            self._observers.append(observer)

    def _notify(self, method: str, job: Job, *args: Any) -> None:
        """Call ``method`` on every observer; an observer's exception is logged, never raised."""
        for observer in list(self._observers):
            try:
                getattr(observer, method)(job, *args)
            except Exception:
                logger.exception("job observer %r failed in %s for %s", observer, method, job.id)

    @property
    def settings(self) -> Settings:
        """The limits in force now."""
        return self._fixed_settings or get_settings()

    # --- admission ---------------------------------------------------------------------------

    def submit(self, config: dict[str, Any]) -> Job:
        """Start one job in its own worker; raises :class:`TooManyJobsError` when all slots are busy."""
        with self._lock:
            self._admit()
            job = self._new_job("j", config, None)
            self._start_unit(job.id, [job])
            return job

    def submit_comparison(self, configs: Iterable[dict[str, Any]]) -> Comparison:
        """Queue several jobs that run one after another in a single worker slot."""
        configs = list(configs)
        if not configs:
            raise ValueError("a comparison needs at least one configuration")
        with self._lock:
            self._admit()
            comparison_id = _new_id("c")
            # The comparison's event logs share one byte budget, so 32 runs keep what ~8 single jobs do.
            settings = self.settings
            per_run = min(settings.max_event_bytes_per_job, settings.max_comparison_event_bytes // len(configs))
            jobs = [self._new_job("j", config, comparison_id, max(per_run, 2**16)) for config in configs]
            comparison = Comparison(comparison_id, tuple(job.id for job in jobs))
            self._comparisons[comparison_id] = comparison
            self._start_unit(comparison_id, jobs)
            return comparison

    def _admit(self) -> None:
        """Check that a slot is free (caller holds the lock); evict expired jobs first."""
        if self._closed:
            raise ManagerClosedError("the server is shutting down; no new training jobs")
        self._evict()
        limit = self.settings.max_concurrent_jobs
        running = sum(1 for thread in self._units.values() if thread.is_alive())
        if running >= limit:
            raise TooManyJobsError(running, limit)

    def _new_job(
        self, prefix: str, config: dict[str, Any], comparison_id: str | None, max_bytes: int | None = None
    ) -> Job:
        settings = self.settings
        job = Job(
            id=_new_id(prefix),
            label=config.get("label") or default_label(config),
            config=config,
            created=datetime.now(UTC),
            log=EventLog(settings.max_events_per_job, max_bytes or settings.max_event_bytes_per_job),
            comparison_id=comparison_id,
        )
        self._jobs[job.id] = job
        return job

    def _start_unit(self, unit_id: str, jobs: list[Job]) -> None:
        thread = threading.Thread(target=self._run_unit, args=(unit_id, jobs), name=f"train-{unit_id}", daemon=True)
        self._units[unit_id] = thread
        thread.start()

    # --- queries -----------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        """The job with this id; raises :class:`JobNotFoundError`."""
        with self._lock:
            self._evict()
            job = self._jobs.get(job_id)
        if job is None:
            raise JobNotFoundError(job_id)
        return job

    def jobs(self) -> list[Job]:
        """All kept jobs, oldest first."""
        with self._lock:
            self._evict()
            return list(self._jobs.values())

    def comparison(self, comparison_id: str) -> Comparison | None:
        """The comparison with this id, if it was submitted here."""
        with self._lock:
            return self._comparisons.get(comparison_id)

    @property
    def running_units(self) -> int:
        """How many slots are busy now."""
        with self._lock:
            return sum(1 for thread in self._units.values() if thread.is_alive())

    # --- cancelling --------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop; a queued one is cancelled at once, a running one at its next poll.

        Cancelling a finished job changes nothing. Raises :class:`JobNotFoundError`.
        """
        job = self.get(job_id)
        job._cancel.set()
        with job._control:  # wake a paused worker so it sees the flag at once
            job._control.notify_all()
        with job._lock:
            if job.status is JobStatus.QUEUED:
                self._finish(job, JobStatus.CANCELLED, {"status": "cancelled", "summary": None})
        return job

    # --- pause, resume, single steps ----------------------------------------------------------

    def pause(self, job_id: str) -> Job:
        """Pause a running job (:func:`~app.jobs.control.pause_job`); raises :class:`JobNotFoundError`
        or :class:`JobStateError`."""
        return pause_job(self.get(job_id))

    def resume(self, job_id: str) -> Job:
        """Let a paused job run on (:func:`~app.jobs.control.resume_job`)."""
        return resume_job(self.get(job_id))

    def step(self, job_id: str, steps: int = 1) -> Job:
        """Let a paused job take ``steps`` steps, then a frame (:func:`~app.jobs.control.step_job`)."""
        return step_job(self.get(job_id), steps)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Refuse new jobs, cancel every unfinished one and wait up to ``timeout`` s for workers."""
        with self._lock:
            self._closed = True
            jobs = list(self._jobs.values())
            threads = list(self._units.values())
        for job in jobs:
            if not job.status.finished:
                self.cancel(job.id)
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                logger.warning("training worker %s did not stop within %.1f s", thread.name, timeout)

    # --- eviction ----------------------------------------------------------------------------

    def _evict(self) -> None:
        """Forget finished jobs past their time-to-live, then the oldest beyond ``max_kept_jobs``.

        Caller holds the lock. Queued and running jobs are never evicted.
        """
        settings = self.settings
        now = self._clock()
        finished = [(job.finished_at, job) for job in self._jobs.values() if job.finished_at is not None]
        expired = {job.id for at, job in finished if now - at > settings.job_ttl_seconds}
        kept = [job for _, job in sorted((p for p in finished if p[1].id not in expired), key=lambda p: p[0])]
        excess = len(kept) - settings.max_kept_jobs
        if excess > 0:
            expired.update(j.id for j in kept[:excess])
        for job_id in expired:
            del self._jobs[job_id]
        live_ids = set(self._jobs)
        self._comparisons = {cid: c for cid, c in self._comparisons.items() if live_ids.intersection(c.job_ids)}
        self._units = {uid: t for uid, t in self._units.items() if t.is_alive()}

    # --- the worker --------------------------------------------------------------------------

    def _run_unit(self, unit_id: str, jobs: list[Job]) -> None:
        """Worker body: run the unit's jobs in order; never lets an exception escape."""
        for job in jobs:
            try:
                self._run_job(job)
            except BaseException:  # pragma: no cover - last line of defence for the thread
                logger.exception("training worker for %s failed outside the trainer", job.id)
                with job._lock:
                    if not job.status.finished:
                        self._finish(
                            job,
                            JobStatus.ERROR,
                            {"status": "error", "message": INTERNAL_ERROR_MESSAGE, "summary": None},
                        )

    def _run_job(self, job: Job) -> None:
        with job._lock:
            if job.status.finished:  # cancelled while queued
                return
            if job.cancel_requested:
                self._finish(job, JobStatus.CANCELLED, {"status": "cancelled", "summary": None})
                return
            job.status = JobStatus.RUNNING
        self._notify("job_started", job)

        def emit(name: str, payload: dict[str, Any]) -> None:
            # The terminal events belong to the manager; a trainer cannot end the stream early.
            if name in TERMINAL_EVENTS:
                logger.warning("job %s: trainer emitted reserved event %r; ignored", job.id, name)
                return
            # Only this worker finishes a running job, so the log is still open here.
            event_id = job.log.append(name, payload)
            self._notify("job_event", job, event_id, name, payload)
            progress = payload.get("progress") if isinstance(payload, dict) else None
            if isinstance(progress, (int, float)) and 0.0 <= progress <= 1.0:
                with job._lock:
                    job.progress = float(progress)

        settings = self.settings
        limits = settings.model_dump(mode="json")
        try:
            summary = self._trainer(
                job.config,
                emit,
                JobGate(job, settings.max_pause_seconds),
                mnist_dir=settings.mnist_dir,
                limits=limits,
            )
        except InputError as exc:
            payload = {
                "status": "error",
                "message": exc.message,
                "field": exc.field,
                "code": exc.code,
                "params": json_safe(exc.params),
                "summary": None,
            }
            with job._lock:
                self._finish(job, JobStatus.ERROR, payload)
            return
        except Exception:
            logger.exception("training job %s failed", job.id)
            payload = {"status": "error", "message": INTERNAL_ERROR_MESSAGE, "summary": None}
            with job._lock:
                self._finish(job, JobStatus.ERROR, payload)
            return
        status = JobStatus.CANCELLED if job.cancel_requested else JobStatus.DONE
        summary = json_safe(summary) if isinstance(summary, dict) else None
        with job._lock:
            self._finish(job, status, {"status": status.value, "summary": summary})

    def _finish(self, job: Job, status: JobStatus, payload: dict[str, Any]) -> None:
        """Store the terminal event and state together (caller holds ``job._lock``)."""
        job.status = status
        job.summary = payload.get("summary")
        if status is JobStatus.DONE:
            job.progress = 1.0
        job.log.append(status.value, payload)
        job.finished_at = self._clock()
        job._finished.set()
        self._notify("job_finished", job)


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- the process-wide manager ----------------------------------------------------------------

_manager: JobManager | None = None
_manager_lock = threading.Lock()


def get_manager() -> JobManager:
    """The process-wide manager, created on first use with the real trainer."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = JobManager()
        return _manager


def shutdown_manager(timeout: float = 5.0) -> None:
    """Cancel running jobs and stop the process-wide manager (call from the app's lifespan).

    A later :func:`get_manager` starts a fresh manager, so the app can be started again in tests.
    """
    global _manager
    with _manager_lock:
        manager, _manager = _manager, None
    if manager is not None:
        manager.shutdown(timeout)
