"""One training job and its life cycle: status, event log, cancellation flag (``manager.py`` runs them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.jobs.events import EventLog, JobEvent


class JobStatus(StrEnum):
    """Life cycle of a job: queued → running (⇄ paused) → done | cancelled | error."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"
    ERROR = "error"

    @property
    def finished(self) -> bool:
        """True for the three terminal states."""
        return self in (JobStatus.DONE, JobStatus.CANCELLED, JobStatus.ERROR)


class QueueFullError(Exception):
    """The wait queue is full: for this client (``max_queued_per_client``) or for everyone (``max_queued_jobs``).

    Attributes
    ----------
    setting : str
        ``"max_queued_per_client"`` or ``"max_queued_jobs"``.
    limit : int
        That setting's value.
    queued : int
        How many units wait now (this client's, or all).
    """

    def __init__(self, setting: str, limit: int, queued: int) -> None:
        who = "you already have" if setting == "max_queued_per_client" else "there are already"
        super().__init__(
            f"{who} {queued} run(s) waiting in the queue, the most allowed ({limit}); "
            "wait for one to start or stop one."
        )
        self.setting = setting
        self.limit = limit
        self.queued = queued


class JobNotFoundError(KeyError):
    """No job with this id (never existed, or finished and evicted)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id)
        self.job_id = job_id

    def __str__(self) -> str:
        return f"no job with id {self.job_id!r} (finished jobs are kept only for a while)"


class ManagerClosedError(RuntimeError):
    """The server is shutting down and accepts no new jobs."""


class JobStateError(RuntimeError):
    """The job is not in a state where this control applies (pause a running job, resume or step
    a paused one)."""

    def __init__(self, job_id: str, status: str, action: str, needed: str) -> None:
        super().__init__(f"job {job_id} is {status}; {action} needs a {needed} job")
        self.job_id, self.status, self.action, self.needed = job_id, status, action, needed


@dataclass(eq=False)
class Job:
    """One training run and its event history.

    Attributes
    ----------
    id : str
        ``"j-"`` followed by 12 hex digits.
    label : str
        Display name (the config's ``label``, or one derived from it).
    config : dict
        The validated training configuration as passed to the trainer.
    created : datetime
        Submission time (UTC).
    log : EventLog
        The job's bounded event history.
    comparison_id : str or None
        The comparison this job belongs to, if any.
    """

    id: str
    label: str
    config: dict[str, Any]
    created: datetime
    log: EventLog
    comparison_id: str | None = None
    status: JobStatus = JobStatus.QUEUED
    progress: float = 0.0
    summary: dict[str, Any] | None = None
    finished_at: float | None = None  # manager clock (monotonic seconds) at the terminal event
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)
    # Notified (under _lock) whenever ``status`` changes, for the controls that wait for the worker.
    _changed: threading.Condition = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._changed = threading.Condition(self._lock)

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`JobManager.cancel` (or shutdown) asked this job to stop."""
        return self._cancel.is_set()

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Block until the job reaches a terminal state; False if ``timeout`` ran out first."""
        return self._finished.wait(timeout)

    def wait_status(self, statuses: set[JobStatus], timeout: float) -> JobStatus:
        """Wait up to ``timeout`` s until the status is one of ``statuses``; returns the status then."""
        with self._changed:
            self._changed.wait_for(lambda: self.status in statuses or self.status.finished, timeout)
            return self.status

    def set_status(self, status: JobStatus) -> None:
        """Change the status and wake :meth:`wait_status` (caller holds ``_lock``)."""
        self.status = status
        self._changed.notify_all()

    def info(self) -> dict[str, Any]:
        """The short listing ``{"id", "status", "label", "created", "progress"}``."""
        with self._lock:
            return self._fields()

    def snapshot(self, after: int = 0, limit: int | None = None) -> tuple[dict[str, Any], list[JobEvent], bool]:
        """A consistent ``(fields, events, more)`` triple for ``GET /api/jobs/{id}``.

        ``fields`` has ``id``, ``status``, ``label``, ``config``, ``created``, ``progress``,
        ``summary``; ``events`` are the kept events after ``after`` (at most ``limit``), ``more``
        says whether later ones were left out. A terminal status always comes with its terminal
        event in the full history. The events are the log's own objects (nothing is copied).
        """
        with self._lock:
            fields = self._fields()
            fields["config"] = self.config
            fields["summary"] = self.summary
            events, more = self.log.page(after, limit)
            return fields, events, more

    def _fields(self) -> dict[str, Any]:
        """The listing fields; the caller holds the job's lock."""
        return {
            "id": self.id,
            "status": self.status.value,
            "label": self.label,
            "created": _iso(self.created),
            "progress": self.progress,
        }


@dataclass(frozen=True)
class Comparison:
    """Several jobs sharing one worker, run one after another (one unit of the queue)."""

    id: str
    job_ids: tuple[str, ...]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_label(config: dict[str, Any]) -> str:
    """A readable label from a config without one, e.g. ``"adam · relu · [100, 100]"``."""
    optimizer = (config.get("optimizer") or {}).get("optimizer", "?")
    model = config.get("model") or {}
    return f"{optimizer} · {model.get('activation', '?')} · {list(model.get('hidden', []))}"
