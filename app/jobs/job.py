"""One training job and its life cycle: status, event log, cancellation flag (``manager.py`` runs them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from app.jobs.events import EventLog


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


class TooManyJobsError(Exception):
    """All ``max_concurrent_jobs`` slots are busy."""

    def __init__(self, running: int, limit: int) -> None:
        super().__init__(
            f"{running} training job(s) are already running, the most at once ({limit}); "
            "wait for one to finish or stop one."
        )
        self.running = running
        self.limit = limit


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
    # Pause state, read by the worker's gate (``control.JobGate``); lock order: _lock, then _control.
    _control: threading.Condition = field(default_factory=threading.Condition, repr=False)
    _paused: bool = field(default=False, repr=False)
    _step_budget: int = field(default=0, repr=False)

    @property
    def cancel_requested(self) -> bool:
        """True once :meth:`JobManager.cancel` (or shutdown) asked this job to stop."""
        return self._cancel.is_set()

    def wait_finished(self, timeout: float | None = None) -> bool:
        """Block until the job reaches a terminal state; False if ``timeout`` ran out first."""
        return self._finished.wait(timeout)

    def info(self) -> dict[str, Any]:
        """The short listing ``{"id", "status", "label", "created", "progress"}``."""
        with self._lock:
            return self._fields()

    def snapshot(self) -> tuple[dict[str, Any], str]:
        """A consistent ``(fields, history JSON array)`` pair for ``GET /api/jobs/{id}``.

        ``fields`` has ``id``, ``status``, ``label``, ``config``, ``created``, ``progress``,
        ``summary``; a terminal status always comes with its terminal event in the history.
        """
        with self._lock:
            fields = self._fields()
            fields["config"] = self.config
            fields["summary"] = self.summary
            return fields, self.log.history_json()

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
    """Several jobs sharing one worker slot, run one after another."""

    id: str
    job_ids: tuple[str, ...]


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def default_label(config: dict[str, Any]) -> str:
    """A readable label from a config without one, e.g. ``"adam · relu · [100, 100]"``."""
    optimizer = (config.get("optimizer") or {}).get("optimizer", "?")
    model = config.get("model") or {}
    return f"{optimizer} · {model.get('activation', '?')} · {list(model.get('hidden', []))}"
