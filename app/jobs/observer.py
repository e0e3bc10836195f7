"""Observers of the job life cycle: what outlives a job (saved runs) hears about it here.

The manager calls every registered :class:`JobObserver` from the web process, after the change
is in the job's own state and event log:

* ``job_started(job)`` when the job starts running (its config and label are final);
* ``job_event(job, event_id, name, payload)`` for every event the trainer emits (``metrics``,
  ``epoch``, ``status``, …), with the id the event got in the job's log;
* ``job_finished(job)`` once, after the terminal event (``job.status`` and ``job.summary`` are set).

Training runs in worker processes; their events reach the web process through a pipe and are
relayed from one reader thread per worker, so the calls for one job come in order, but
the ``status: running`` event of a resume comes from the request's thread: an observer
must be thread-safe. A job's ``queue`` events (while it waits, before ``job_started``) are not
relayed. Observers must be quick and must not raise: a slow one delays the job's stream. One
that needs to do I/O (a database) queues the work for a thread of its own. An exception is
logged and dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from app.jobs.job import Job


class JobObserver(Protocol):
    """Hears of a job's start, its events and its end (see the module docstring)."""

    def job_started(self, job: Job) -> None: ...

    def job_event(self, job: Job, event_id: int, name: str, payload: dict[str, Any]) -> None: ...

    def job_finished(self, job: Job) -> None: ...
