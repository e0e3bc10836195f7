"""Every training job and comparison becomes a saved run: a job observer with its own writer thread.

:class:`RunRecorder` is a :class:`~app.jobs.observer.JobObserver`. The manager calls it from the
job's worker (``job_started``, ``job_event``, ``job_finished``); each call only puts an operation on
an unbounded queue (never waits for the database), so the job's event stream is never held up. One
writer thread takes the operations in order and commits them:

* ``create`` — the run (id = the job id, kind ``training``; a comparison's jobs get
  ``parent_id`` = the comparison id, and the comparison itself is a run of kind ``comparison``
  created when its first job starts, config ``{"job_ids": [...]}``);
* events — gathered per run and appended as one compressed batch every
  ``saved_runs_flush_seconds`` (or sooner when many are waiting);
* ``finish`` — the run's pending events, the terminal event, then the final status and summary.
  A job that ended ``done`` with a summary saying ``diverged`` is saved as ``diverged``; one
  cancelled by the server's shutdown (:func:`server_stopping`) as ``interrupted``. A comparison
  finishes once all its jobs have: ``done`` when none failed, was interrupted or cancelled.

There is one writer per database in the process, and SQLite runs in WAL mode, so readers (the
API listing runs) never wait for it and it never meets another writer of this process.

At start-up the app calls :func:`start_recording`: runs left ``running`` by a server that died
are marked ``interrupted`` (once per process and database), then the recorder is attached to the
job manager.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from app.store.codec import RawJson
from app.store.store import RunNotFoundError, RunStore

if TYPE_CHECKING:
    from app.jobs.job import Job
    from app.jobs.manager import JobManager

logger = logging.getLogger(__name__)

MAX_PENDING_EVENTS = 256
"""Events waiting in the writer before it commits without waiting for the flush interval."""


@dataclass
class _Op:
    kind: str  # "create", "event", "finish", "stop"
    run_id: str = ""
    args: dict[str, Any] = field(default_factory=dict)


def saved_status(job_status: str, summary: dict[str, Any] | None) -> str:
    """The saved run's status: the job's, except ``diverged`` when the trainer says so."""
    if job_status == "done" and isinstance(summary, dict) and summary.get("status") == "diverged":
        return "diverged"
    return job_status


class RunRecorder:
    """Saves jobs as they run (see the module docstring).

    Parameters
    ----------
    store : RunStore
        Where runs go.
    manager : JobManager or None
        Asked for a comparison's job ids (``manager.comparison``).
    flush_seconds : float
        How often queued events are committed.
    """

    def __init__(self, store: RunStore, manager: JobManager | None = None, flush_seconds: float = 1.0) -> None:
        self.store = store
        self._manager = manager
        self._flush_seconds = flush_seconds
        self._queue: queue.SimpleQueue[_Op] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._comparisons: dict[str, dict[str, Any]] = {}  # comparison id → {"job_ids", "finished"}
        self._started: set[str] = set()  # job ids whose create was queued
        self._idle = threading.Condition()
        self._busy = 0  # operations queued and not yet committed
        self._stopping = threading.Event()  # set when the server shuts down: its cancels are interruptions
        self._thread = threading.Thread(target=self._run, name="saved-runs-writer", daemon=True)
        self._thread.start()

    # --- observer calls (the job's worker thread): queue only ------------------------------------

    def job_started(self, job: Job) -> None:
        """Queue the run's creation (and its comparison's, for a comparison's first job)."""
        self._create(job)

    def job_event(self, job: Job, event_id: int, name: str, payload: dict[str, Any]) -> None:
        """Queue one event for the next batch: the JSON text the job's log holds (serialised once)."""
        stored = job.log.after(event_id - 1)
        data: Any = RawJson(stored[0].data_json) if stored and stored[0].id == event_id else payload
        self._put(_Op("event", job.id, {"name": name, "payload": data}))

    def job_finished(self, job: Job) -> None:
        """Queue the terminal event and the final status; finish the comparison after its last job."""
        self._create(job)  # a job cancelled while queued never started
        terminal = job.log.after(job.log.last_id - 1)
        status = saved_status(job.status.value, job.summary)
        if status == "cancelled" and self._stopping.is_set():
            status = "interrupted"  # the server stopped it (shutdown), not the student
        args: dict[str, Any] = {"status": status, "summary": job.summary}
        if terminal and terminal[-1].event in ("done", "cancelled", "error"):
            args["terminal"] = (terminal[-1].event, terminal[-1].data_json)
        self._put(_Op("finish", job.id, args))
        with self._lock:
            self._started.discard(job.id)
        comparison_id = job.comparison_id
        if comparison_id is None:
            return
        with self._lock:
            entry = self._comparisons.get(comparison_id)
            if entry is None:
                return
            entry["finished"][job.id] = {
                "id": job.id,
                "label": job.label,
                "status": status,
                "test_acc": (job.summary or {}).get("test_acc"),
                "test_loss": (job.summary or {}).get("test_loss"),
            }
            if len(entry["finished"]) < len(entry["job_ids"]):
                return
            del self._comparisons[comparison_id]
        runs = [entry["finished"][jid] for jid in entry["job_ids"]]
        statuses = {r["status"] for r in runs}
        final = next((s for s in ("error", "interrupted", "cancelled") if s in statuses), "done")
        self._put(_Op("finish", comparison_id, {"status": final, "summary": {"runs": runs}}))

    def _create(self, job: Job) -> None:
        comparison_id = job.comparison_id
        job_ids: list[str] | None = None  # set when this job opens its comparison
        with self._lock:
            if job.id in self._started:
                return
            self._started.add(job.id)
            if comparison_id is not None and comparison_id not in self._comparisons:
                comparison = self._manager.comparison(comparison_id) if self._manager else None
                job_ids = list(comparison.job_ids) if comparison else [job.id]
                self._comparisons[comparison_id] = {"job_ids": job_ids, "finished": {}}
        if comparison_id is not None and job_ids is not None:
            label = " · ".join(self._label_of(jid, job) for jid in job_ids)[:200]
            config = {"job_ids": job_ids}
            self._put(_Op("create", comparison_id, {"kind": "comparison", "label": label, "config": config}))
        self._put(
            _Op(
                "create",
                job.id,
                {"kind": "training", "label": job.label, "config": job.config, "parent_id": comparison_id},
            )
        )

    def _label_of(self, job_id: str, fallback: Job) -> str:
        """A comparison's label is its runs' labels (language-neutral: they are the user's)."""
        if self._manager is None or job_id == fallback.id:
            return fallback.label
        try:
            return self._manager.get(job_id).label
        except KeyError:
            return job_id

    def _put(self, op: _Op) -> None:
        with self._idle:
            self._busy += 1
        self._queue.put(op)

    # --- the writer thread ----------------------------------------------------------------------

    def _run(self) -> None:
        pending: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        n_pending = 0
        gone: set[str] = set()  # runs deleted while running: their later operations are dropped
        next_flush = time.monotonic() + self._flush_seconds
        while True:
            try:
                op: _Op | None = self._queue.get(timeout=max(0.0, next_flush - time.monotonic()))
            except queue.Empty:
                op = None
            if op is not None and op.kind == "event":
                pending.setdefault(op.run_id, []).append((op.args["name"], op.args["payload"]))
                n_pending += 1
                if n_pending < MAX_PENDING_EVENTS and time.monotonic() < next_flush:
                    continue
            # a create or finish must see every earlier event committed first
            if n_pending:
                self._flush(pending, gone)
                self._done(n_pending)
                pending, n_pending = {}, 0
            next_flush = time.monotonic() + self._flush_seconds
            if op is None or op.kind == "event":
                continue
            if op.kind == "stop":
                self._done(1)
                return
            self._apply(op, gone)
            self._done(1)

    def _done(self, n: int) -> None:
        if n:
            with self._idle:
                self._busy -= n
                self._idle.notify_all()

    def _flush(self, pending: dict[str, list[tuple[str, dict[str, Any]]]], gone: set[str]) -> None:
        for run_id, events in pending.items():
            if run_id in gone:
                continue
            try:
                self.store.append_events(run_id, events)
            except RunNotFoundError:
                gone.add(run_id)
            except Exception:
                logger.exception("saving events of run %s failed", run_id)

    def _apply(self, op: _Op, gone: set[str]) -> None:
        if op.run_id in gone:
            return
        try:
            if op.kind == "create":
                self.store.create(run_id=op.run_id, **op.args)
            elif op.kind == "finish":
                terminal = op.args.get("terminal")
                if terminal is not None:
                    self.store.append_events(op.run_id, [(terminal[0], RawJson(terminal[1]))])
                self.store.finish(op.run_id, op.args["status"], op.args["summary"])
        except RunNotFoundError:
            gone.add(op.run_id)
        except Exception:
            logger.exception("saving run %s (%s) failed", op.run_id, op.kind)

    # --- control ----------------------------------------------------------------------------------

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far is committed (tests, shutdown); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._busy > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._idle.wait(left)
        return True

    def server_stopping(self) -> None:
        """From now on a cancelled job was stopped by the server's shutdown: saved as ``interrupted``."""
        self._stopping.set()

    def close(self, timeout: float = 10.0) -> None:
        """Commit what is queued and stop the writer."""
        self._put(_Op("stop"))
        self._thread.join(timeout)


# --- the process-wide recorder ------------------------------------------------------------------

_recorders: dict[int, tuple[RunRecorder, int]] = {}  # id(manager) → (recorder, users)
_interrupted: set[str] = set()  # database URLs whose leftover running runs were marked
_recorders_lock = threading.Lock()


def start_recording(manager: JobManager, store: RunStore, flush_seconds: float = 1.0) -> RunRecorder:
    """Attach a recorder to ``manager`` (once; later calls count users), after marking runs a dead
    server left ``running`` as ``interrupted`` (once per process and database)."""
    with _recorders_lock:
        if store.url not in _interrupted:
            count = store.interrupt_running()
            if count:
                logger.warning("%d saved run(s) were still running when the server stopped: now interrupted", count)
            _interrupted.add(store.url)
        entry = _recorders.get(id(manager))
        if entry is not None:
            _recorders[id(manager)] = (entry[0], entry[1] + 1)
            return entry[0]
        recorder = RunRecorder(store, manager, flush_seconds)
        manager.add_observer(recorder)
        _recorders[id(manager)] = (recorder, 1)
        return recorder


def server_stopping(manager: JobManager) -> None:
    """The server is shutting down: the jobs it cancels now are saved as ``interrupted``."""
    with _recorders_lock:
        entry = _recorders.get(id(manager))
    if entry is not None:
        entry[0].server_stopping()


def stop_recording(manager: JobManager) -> None:
    """One user less; the last one commits what is queued and stops the writer."""
    with _recorders_lock:
        entry = _recorders.get(id(manager))
        if entry is None:
            return
        recorder, users = entry
        if users > 1:
            _recorders[id(manager)] = (recorder, users - 1)
            return
        del _recorders[id(manager)]
    recorder.close()
