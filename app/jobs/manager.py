"""Training jobs run in a pool of worker processes; the web process only admits, queues and relays.

A *unit* is what occupies one worker: a single job, or a whole comparison whose jobs run one
after another in the same worker. **Running capacity** is the number of workers, ``min(
max_concurrent_jobs, worker_processes)``: the pool grows on demand up to it and keeps idle
workers for the next unit. Units beyond it wait in a FIFO queue (status ``queued``; each waiting
job gets ``queue`` events ``{"position": n}``, 1 = next, whenever its place changes). A client
(the request's host) may have at most ``max_queued_per_client`` units waiting and everyone together
``max_queued_jobs``; only beyond those is a submission refused (:class:`QueueFullError`, HTTP 429).

Each job owns an :class:`~app.jobs.events.EventLog`; the events a worker sends (already JSON text)
are appended to it here in the web process, in order, then the :class:`JobObserver` hooks run
(``job_started``, ``job_event``, ``job_finished``; the observers hear the events of a running job,
including ``status``, not the ``queue`` events of a waiting one). Cancel, pause, resume and step
are forwarded to the worker (``app/jobs/worker.py``). A worker that dies (killed, out of memory)
ends its job as ``error`` (code ``job.worker_died``) and is replaced for the rest of its unit.

The trainer is injected (``JobManager(trainer=...)``; it is pickled to the workers, so it must be a
module-level function or an instance of a module-level class); by default it is
:func:`default_trainer` (``app.core.nn.training.train``, imported lazily), with the signature::

    trainer(config, emit, should_stop, mnist_dir=None, limits=None) -> summary dict

where ``emit(name, payload)`` publishes a ``metrics`` / ``epoch`` event and ``should_stop()``
turns true once the job is cancelled (the trainer polls it and returns early). ``should_stop`` is a
:class:`~app.jobs.control.JobGate`: it blocks while the job is paused (``pause``/``resume``/``step``).

Lock order: the manager's lock, then a job's ``_lock``; never the other way round.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from app.config import Settings, get_settings, worker_processes
from app.jobs.events import EventLog
from app.jobs.job import (
    Comparison,
    Job,
    JobNotFoundError,
    JobStateError,
    JobStatus,
    ManagerClosedError,
    QueueFullError,
    default_label,
)
from app.jobs.observer import JobObserver
from app.jobs.pool import WorkerHandle
from app.jobs.worker import INTERNAL_ERROR_MESSAGE

logger = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any]], None]
ShouldStop = Callable[[], bool]

__all__ = [
    "INTERNAL_ERROR_MESSAGE", "JobManager", "JobNotFoundError", "JobStateError", "JobStatus", "ManagerClosedError",
    "QueueFullError", "default_trainer", "get_manager", "shutdown_manager",
]  # fmt: skip

PAUSE_WAIT_SECONDS = 5.0
"""How long ``pause`` waits for the worker to stop at its gate before answering (usually one step)."""

WORKER_DIED_MESSAGE = "The training worker process stopped unexpectedly (exit code {exitcode}); the run was ended."


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
    (the largest data set to load), ``data_dir`` (where uploaded sets are stored) and
    ``telemetry_budget`` (what frames may cost) are passed on.
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
        telemetry_budget=limits.get("telemetry_budget"),
        limits=limits,  # also the weight-trajectory and sharpness bounds (docs/landscape.md)
    )


@dataclass(eq=False)
class _Unit:
    """One job, or a comparison's jobs in order, as it waits for and then occupies one worker."""

    id: str
    jobs: list[Job]
    client: str | None
    next: int = 0  # index of the next job to hand to the worker
    position: int = 0  # last queue position announced (0: none)
    worker: WorkerHandle | None = None
    current: Job | None = None  # the job the worker is running
    done: bool = field(default=False)

    def waiting(self) -> bool:
        """True while some job of the unit has not finished."""
        return any(not job.status.finished for job in self.jobs)


class JobManager:
    """Admits, queues, runs (in worker processes), controls and forgets training jobs.

    Parameters
    ----------
    settings : Settings or None
        Limits to use; ``None`` reads :func:`app.config.get_settings` at each use.
    trainer : Trainer or None
        The training function (picklable); ``None`` means :func:`default_trainer`.
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
        self._lock = threading.RLock()
        self._jobs: dict[str, Job] = {}  # insertion order = creation order
        self._comparisons: dict[str, Comparison] = {}
        self._unit_of: dict[str, _Unit] = {}  # job id → its unit (while the unit is queued or running)
        self._queue: deque[_Unit] = deque()
        self._running: dict[str, _Unit] = {}  # unit id → unit on a worker
        self._workers: list[WorkerHandle] = []
        self._worker_count = 0
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

    @property
    def capacity(self) -> int:
        """Units that run at once: the number of worker processes, ``min(max_concurrent_jobs, worker_processes)``."""
        settings = self.settings
        return max(1, min(settings.max_concurrent_jobs, worker_processes(settings)))

    # --- admission ---------------------------------------------------------------------------

    def submit(self, config: dict[str, Any], client: str | None = None) -> Job:
        """Run one job now, or queue it; raises :class:`QueueFullError` when the queue is full.

        ``client`` (the request's host) is bounded by ``max_queued_per_client``; ``None`` (a
        submission from inside the server) only by ``max_queued_jobs``.
        """
        with self._lock:
            self._admit(client)
            job = self._new_job("j", config, None)
            self._enqueue(_Unit(job.id, [job], client))
            return job

    def submit_comparison(self, configs: Iterable[dict[str, Any]], client: str | None = None) -> Comparison:
        """Queue several jobs that run one after another in a single worker (one unit of the queue)."""
        configs = list(configs)
        if not configs:
            raise ValueError("a comparison needs at least one configuration")
        with self._lock:
            self._admit(client)
            comparison_id = _new_id("c")
            # The comparison's event logs share one byte budget, so 32 runs keep what ~8 single jobs do.
            settings = self.settings
            per_run = min(settings.max_event_bytes_per_job, settings.max_comparison_event_bytes // len(configs))
            jobs = [self._new_job("j", config, comparison_id, max(per_run, 2**16)) for config in configs]
            comparison = Comparison(comparison_id, tuple(job.id for job in jobs))
            self._comparisons[comparison_id] = comparison
            self._enqueue(_Unit(comparison_id, jobs, client))
            return comparison

    def _admit(self, client: str | None) -> None:
        """Check that the unit may run or wait (caller holds the lock); evict expired jobs first."""
        if self._closed:
            raise ManagerClosedError("the server is shutting down; no new training jobs")
        self._evict()
        if len(self._running) < self.capacity and not self._queue:
            return  # it runs at once
        settings = self.settings
        mine = sum(1 for unit in self._queue if client is not None and unit.client == client)
        if client is not None and mine >= settings.max_queued_per_client:
            raise QueueFullError("max_queued_per_client", settings.max_queued_per_client, mine)
        if len(self._queue) >= settings.max_queued_jobs:
            raise QueueFullError("max_queued_jobs", settings.max_queued_jobs, len(self._queue))

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

    def _enqueue(self, unit: _Unit) -> None:
        """Put ``unit`` at the end of the queue and start what fits (caller holds the lock)."""
        for job in unit.jobs:
            self._unit_of[job.id] = unit
        self._queue.append(unit)
        self._dispatch()

    # --- the queue and the workers (caller holds the lock) ------------------------------------

    def _dispatch(self) -> None:
        """Move units from the head of the queue onto free workers, then announce the new positions."""
        while self._queue and not self._closed and len(self._running) < self.capacity:
            unit = self._queue.popleft()
            if not unit.waiting():
                self._forget_unit(unit)
                continue
            worker = next((w for w in self._workers if w.unit is None), None)
            if worker is None:
                try:
                    worker = self._new_worker()
                except Exception:
                    logger.exception("could not start a training worker process")
                    self._end_unit(unit, JobStatus.ERROR, {"status": "error", "message": INTERNAL_ERROR_MESSAGE})
                    continue
            unit.worker, worker.unit = worker, unit
            self._running[unit.id] = unit
            self._start_next(unit)
        self._announce_positions()

    def _new_worker(self) -> WorkerHandle:
        self._worker_count += 1
        worker = WorkerHandle(
            self._trainer,
            self.settings.worker_blas_threads,
            self._on_message,
            self._on_exit,
            name=f"playground-worker-{self._worker_count}",
        )
        self._workers.append(worker)
        return worker

    def _start_next(self, unit: _Unit) -> None:
        """Hand the unit's next unfinished job to its worker, or free the worker when none is left."""
        settings = self.settings
        worker = unit.worker
        assert worker is not None
        while unit.next < len(unit.jobs):
            job = unit.jobs[unit.next]
            unit.next += 1
            with job._lock:
                if job.status.finished:
                    continue  # cancelled while it waited
            unit.current = job
            worker.job_id = job.id
            limits = settings.model_dump(mode="json")
            mnist_dir = str(settings.mnist_dir) if settings.mnist_dir is not None else None
            worker.send(("run", job.id, job.config, limits, mnist_dir, settings.max_pause_seconds))
            if job.cancel_requested:
                worker.send(("cancel", job.id))
            return
        # Nothing left: the unit is done and its worker is free for the next one.
        unit.current, unit.done = None, True
        worker.unit, worker.job_id = None, None
        self._running.pop(unit.id, None)
        self._forget_unit(unit)

    def _forget_unit(self, unit: _Unit) -> None:
        for job in unit.jobs:
            if self._unit_of.get(job.id) is unit:
                del self._unit_of[job.id]

    def _end_unit(self, unit: _Unit, status: JobStatus, payload: dict[str, Any]) -> None:
        """Finish every unfinished job of ``unit`` with ``status`` (shutdown, a worker that cannot start)."""
        for job in unit.jobs:
            with job._lock:
                if not job.status.finished:
                    self._finish(job, status, {**payload, "summary": None})
        self._forget_unit(unit)

    def _announce_positions(self) -> None:
        """Append a ``queue`` event to every waiting job whose place in line changed."""
        for position, unit in enumerate(self._queue, start=1):
            if unit.position == position:
                continue
            unit.position = position
            for job in unit.jobs:
                with job._lock:
                    if job.status is JobStatus.QUEUED:
                        job.log.append("queue", {"position": position})

    # --- messages from the workers (reader threads) ------------------------------------------

    def _on_message(self, worker: WorkerHandle, message: tuple[Any, ...]) -> None:
        kind, job_id = message[0], message[1]
        job = self._jobs.get(job_id)
        if job is None:  # pragma: no cover - running jobs are never evicted
            return
        if kind == "event":
            _, _, name, text, progress = message
            with job._lock:
                if job.status.finished:
                    return
                event_id = job.log.append_json(name, text)
                if progress is not None:
                    job.progress = progress
            if self._observers:
                self._notify("job_event", job, event_id, name, json.loads(text))
        elif kind == "started":
            with job._lock:
                if job.status.finished:
                    return
                job.set_status(JobStatus.RUNNING)
            self._notify("job_started", job)
        elif kind == "paused":
            with job._lock:
                if job.status is not JobStatus.RUNNING:
                    return
                job.set_status(JobStatus.PAUSED)
                event_id = job.log.append("status", {"status": "paused"})
            self._notify("job_event", job, event_id, "status", {"status": "paused"})
        elif kind == "finished":
            _, _, status, payload, trace = message
            if trace:
                logger.error("training job %s failed in its worker:\n%s", job.id, trace)
            with job._lock:
                if not job.status.finished:
                    self._finish(job, JobStatus(status), payload)
            with self._lock:
                unit = worker.unit
                if unit is not None and unit.current is job:
                    unit.current, worker.job_id = None, None
                    self._start_next(unit)
                    self._dispatch()

    def _on_exit(self, worker: WorkerHandle, exitcode: int | None) -> None:
        """A worker's pipe closed: end its job, replace it for the rest of its unit."""
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)
            unit = worker.unit
            worker.unit, worker.job_id = None, None
            if unit is None:
                return
            job = unit.current
            unit.current = None
            if job is not None:
                with job._lock:
                    if not job.status.finished:
                        if self._closed:
                            self._finish(job, JobStatus.CANCELLED, {"status": "cancelled", "summary": None})
                        else:
                            logger.error("worker %s (job %s) exited with code %s", worker.name, job.id, exitcode)
                            payload: dict[str, Any] = {
                                "status": "error",
                                "message": WORKER_DIED_MESSAGE.format(exitcode=exitcode),
                                "code": "job.worker_died",
                                "params": {"exitcode": exitcode},
                                "summary": None,
                            }
                            self._finish(job, JobStatus.ERROR, payload)
            if self._closed:
                self._running.pop(unit.id, None)
                self._end_unit(unit, JobStatus.CANCELLED, {"status": "cancelled"})
                return
            try:
                replacement = self._new_worker()
            except Exception:
                logger.exception("could not replace training worker %s", worker.name)
                self._running.pop(unit.id, None)
                self._end_unit(unit, JobStatus.ERROR, {"status": "error", "message": INTERNAL_ERROR_MESSAGE})
                self._dispatch()
                return
            unit.worker, replacement.unit = replacement, unit
            self._start_next(unit)
            self._dispatch()

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
        """How many workers are busy now."""
        with self._lock:
            return len(self._running)

    @property
    def queued_units(self) -> int:
        """How many units wait in the queue."""
        with self._lock:
            return len(self._queue)

    def worker_pids(self) -> list[int]:
        """Process ids of the live worker processes."""
        with self._lock:
            return [w.pid for w in self._workers if w.pid is not None]

    def _worker_of(self, job: Job) -> WorkerHandle | None:
        """The worker running ``job`` now, if any (caller holds the lock)."""
        unit = self._unit_of.get(job.id)
        return unit.worker if unit is not None and unit.current is job else None

    # --- cancelling --------------------------------------------------------------------------

    def cancel(self, job_id: str) -> Job:
        """Ask a job to stop; a queued one is cancelled at once, a running one at its worker's next poll.

        Cancelling a finished job changes nothing. Raises :class:`JobNotFoundError`.
        """
        job = self.get(job_id)
        job._cancel.set()
        with self._lock:
            worker = self._worker_of(job)
            if worker is not None:
                worker.send(("cancel", job.id))
                return job
            with job._lock:
                if not job.status.finished:
                    self._finish(job, JobStatus.CANCELLED, {"status": "cancelled", "summary": None})
            unit = self._unit_of.get(job.id)
            if unit is not None and unit in self._queue and not unit.waiting():
                self._queue.remove(unit)
                self._forget_unit(unit)
                self._announce_positions()
        return job

    # --- pause, resume, single steps ----------------------------------------------------------

    def pause(self, job_id: str) -> Job:
        """Pause a running job before its next optimizer step.

        The worker is told to stop at its gate; the job becomes ``paused`` (SSE ``status`` event)
        once it has, and this waits up to :data:`PAUSE_WAIT_SECONDS` for that. Raises
        :class:`JobNotFoundError`, or :class:`JobStateError` unless the job is running.
        """
        job = self.get(job_id)
        with self._lock:
            with job._lock:
                _require(job, JobStatus.RUNNING, "pause")
            worker = self._worker_of(job)
        if worker is not None:
            worker.send(("pause", job.id))
            job.wait_status({JobStatus.PAUSED}, PAUSE_WAIT_SECONDS)
        return job

    def resume(self, job_id: str) -> Job:
        """Let a paused job run on (SSE ``status`` event ``running``); :class:`JobStateError` unless paused."""
        job = self.get(job_id)
        with self._lock:
            worker = self._worker_of(job)
            with job._lock:
                _require(job, JobStatus.PAUSED, "resume")
                if worker is not None:
                    worker.send(("resume", job.id))
                job.set_status(JobStatus.RUNNING)
                event_id = job.log.append("status", {"status": "running"})
        self._notify("job_event", job, event_id, "status", {"status": "running"})
        return job

    def step(self, job_id: str, steps: int = 1) -> Job:
        """Let a paused job take ``steps`` steps, then a metrics frame; it stays paused."""
        job = self.get(job_id)
        with self._lock:
            worker = self._worker_of(job)
            with job._lock:
                _require(job, JobStatus.PAUSED, "step")
                if worker is not None:
                    worker.send(("step", job.id, int(steps)))
        return job

    # --- shutting down -----------------------------------------------------------------------

    def cancel_all(self) -> list[Job]:
        """Refuse new jobs and cancel every unfinished one (returns at once; streams get ``cancelled``)."""
        with self._lock:
            self._closed = True
            jobs = [job for job in self._jobs.values() if not job.status.finished]
        for job in jobs:
            self.cancel(job.id)
        return jobs

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel every job, wait up to ``timeout`` s for them, then stop the worker processes.

        A worker still busy when the time is up is terminated (its job ends ``cancelled``).
        """
        deadline = time.monotonic() + timeout
        for job in self.cancel_all():
            job.wait_finished(max(0.0, deadline - time.monotonic()))
        with self._lock:
            workers = list(self._workers)
        for worker in workers:
            worker.stop()
        for worker in workers:
            worker.join(max(0.1, deadline - time.monotonic()))
            worker.reader.join(3.0)

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

    def _finish(self, job: Job, status: JobStatus, payload: dict[str, Any]) -> None:
        """Store the terminal event and state together (caller holds ``job._lock``)."""
        job.summary = payload.get("summary")
        if status is JobStatus.DONE:
            job.progress = 1.0
        job.log.append(status.value, payload)
        job.finished_at = self._clock()
        job.set_status(status)
        job._finished.set()
        self._notify("job_finished", job)


def _require(job: Job, status: JobStatus, action: str) -> None:
    """Raise :class:`JobStateError` unless ``job`` is ``status`` (caller holds ``job._lock``)."""
    if job.status is not status:
        raise JobStateError(job.id, job.status.value, action, status.value)


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


def cancel_all_jobs() -> None:
    """Cancel every job of the process-wide manager, if there is one (first step of a shutdown).

    Open event streams then end with their ``cancelled`` event while the server drains them.
    """
    with _manager_lock:
        manager = _manager
    if manager is not None:
        manager.cancel_all()


def shutdown_manager(timeout: float = 5.0) -> None:
    """Cancel running jobs and stop the process-wide manager's workers (call from the app's lifespan).

    A later :func:`get_manager` starts a fresh manager, so the app can be started again in tests.
    """
    global _manager
    with _manager_lock:
        manager, _manager = _manager, None
    if manager is not None:
        manager.shutdown(timeout)
