"""Admits, runs, follows and cancels hyperparameter searches (docs/searches.md).

One thread per search (it only waits on futures; the trials run in the executor's processes)
submits at most ``parallelism`` trials at a time to the shared :class:`~app.searches.executors.TrialExecutor`
— one more when the search may use the whole executor, so the next trial is already waiting in the
pool when one finishes and no worker idles while this thread records a result — so a search never
floods the pool and cancelling leaves at most that one trial queued there (it starts, sees the stop
switch and returns at once). As trials finish it
appends a ``trial`` event to the search's :class:`~app.jobs.events.EventLog` (SSE, resumable with
``Last-Event-ID`` as for jobs) and to the run store, then the terminal ``done`` / ``cancelled`` /
``error`` event with the ranked summary.

Cancelling: the trials not yet submitted are dropped at once, queued futures are cancelled, and
the stop switch is set, which running trials see at their next poll (≤ 0.1 s plus one step).
A trial whose worker process died (the pool reports ``BrokenProcessPool`` for every trial in
flight) is retried once on a fresh pool, then reported as ``error``; a trial that raises is an
``error`` with its message; one whose loss became non-finite is ``diverged``. None stops the search.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from app.config import Settings, get_settings
from app.core.nn import search as core
from app.core.nn.config import TrainingConfig
from app.core.nn.options import to_dict
from app.jobs.events import TERMINAL_EVENTS, EventLog, json_safe
from app.searches.executors import TrialExecutor, get_executor, reset_executor
from app.searches.saving import RunStoreLike, SearchSaver, default_store, load_saved
from app.searches.tasks import run_trial_task

logger = logging.getLogger(__name__)

#: How often the search thread wakes to check for a cancel while trials run.
WAKE_SECONDS = 0.1
#: How long a cancelled search waits for its running trials to stop before it gives up on them.
CANCEL_GRACE_SECONDS = 5.0
#: Events besides the trials: the start ``status`` event and the terminal one, with room to spare.
EXTRA_EVENTS = 8
#: Estimated bytes of one stored ``trial`` event: a fixed part plus one curve point per epoch.
TRIAL_EVENT_BYTES = 600
EPOCH_POINT_BYTES = 90


class SearchNotFoundError(KeyError):
    """No search with this id (in memory or in the store)."""

    def __init__(self, search_id: str) -> None:
        super().__init__(search_id)
        self.search_id = search_id

    def __str__(self) -> str:
        return f"no search with id {self.search_id!r}"


class TooManySearchesError(RuntimeError):
    """``max_concurrent_searches`` searches are running."""

    def __init__(self, running: int, limit: int) -> None:
        super().__init__(f"{running} searches are running, the limit is {limit}; wait or cancel one")
        self.running = running
        self.limit = limit


def estimated_bytes(trials: int, epochs: int) -> int:
    """What a search's events take when stored: ``trials × (TRIAL_EVENT_BYTES + epochs × EPOCH_POINT_BYTES)``."""
    return trials * (TRIAL_EVENT_BYTES + epochs * EPOCH_POINT_BYTES)


@dataclass(frozen=True)
class SearchRequest:
    """What to search (the body of ``POST /api/searches``, parsed).

    ``base`` is the trial network and data (the textbook's by default); ``epochs``, ``subset``
    (samples used: training + validation, no test split) and ``val_fraction`` override it.
    """

    space: core.SearchSpace
    method: str = "random"
    trials: int = core.DEFAULT_TRIALS
    epochs: int = core.DEFAULT_EPOCHS
    subset: int = core.DEFAULT_SUBSET
    val_fraction: float = core.DEFAULT_VAL_FRACTION
    seed: int = 0
    parallelism: int | None = None
    base: TrainingConfig | None = None
    label: str | None = None
    parent_id: str | None = None
    narrowed_best: int | None = None  # how many best trials of the parent the ranges were narrowed to

    def base_config(self) -> TrainingConfig:
        """The base of every trial: ``base`` (or the textbook's) with this request's epochs and split."""
        import dataclasses

        base = self.base or core.textbook_base()
        dataset = dataclasses.replace(
            base.dataset, n_samples=self.subset, val_fraction=self.val_fraction, test_fraction=0.0, train_limit=None
        )
        return dataclasses.replace(base, dataset=dataset, epochs=self.epochs, early_stopping=None)

    def as_json(self) -> dict[str, Any]:
        """The request as JSON-shaped data (the saved run's config; ``POST /api/searches`` accepts it)."""
        return {
            "space": [a.to_dict() for a in self.space],
            "method": self.method,
            "trials": self.trials,
            "epochs": self.epochs,
            "subset": self.subset,
            "val_fraction": self.val_fraction,
            "seed": self.seed,
            "parallelism": self.parallelism,
            "base": to_dict(self.base) if self.base is not None else None,
            "label": self.label,
            "parent_id": self.parent_id,
            "narrowed_best": self.narrowed_best,
        }


def trial_seed(seed: int, index: int) -> int:
    """The training seed of trial ``index`` of a search seeded ``seed`` (independent per trial)."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def default_label(request: SearchRequest) -> str:
    axes = " × ".join(a.knob for a in request.space)
    return f"{request.method} search: {axes}, {request.trials} trials"


@dataclass
class Search:
    """One search: its request, designed trials, results so far and event log."""

    id: str
    label: str
    request: SearchRequest
    designs: list[dict[str, float]]
    log: EventLog
    created: datetime
    status: str = "queued"  # queued | running | done | cancelled | error
    trials: list[dict[str, Any]] = field(default_factory=list)  # finished trials, in finishing order
    executor_kind: str = ""
    parallelism: int = 0
    started_at: float | None = None
    finished_at: float | None = None
    message: str | None = None
    summary: dict[str, Any] | None = None
    _cancel: threading.Event = field(default_factory=threading.Event, repr=False)
    _finished: threading.Event = field(default_factory=threading.Event, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def wait_finished(self, timeout: float) -> bool:
        return self._finished.wait(timeout)

    def timing(self, now: float) -> dict[str, Any]:
        """``{"done", "total", "progress", "elapsed", "eta"}`` (ETA from the mean wall time per trial so far)."""
        done, total = len(self.trials), len(self.designs)
        end = self.finished_at if self.finished_at is not None else now
        elapsed = end - self.started_at if self.started_at is not None else 0.0
        eta = elapsed / done * (total - done) if done and self.finished_at is None else None
        progress = done / total if total else 1.0
        return {"done": done, "total": total, "progress": progress, "elapsed": elapsed, "eta": eta}

    def snapshot(self, now: float) -> dict[str, Any]:
        """The search as ``GET /api/searches/{id}`` returns it: status, timing, trials ranked."""
        with self._lock:
            trials = list(self.trials)
            status = self.status
        out: dict[str, Any] = json_safe(
            {
                "id": self.id,
                "label": self.label,
                "status": status,
                "created": self.created.isoformat(),
                "config": self.request.as_json(),
                "parent_id": self.request.parent_id,
                "executor": self.executor_kind,
                "parallelism": self.parallelism,
                "message": self.message,
                **self.timing(now),
                "trials": core.rank(trials),
                "last_event_id": self.log.last_id,
            }
        )
        return out


def summarize(request: SearchRequest, trials: list[dict[str, Any]], timing: dict[str, Any]) -> dict[str, Any]:
    """The terminal summary: counts by status, the best trial, the ranked trials, coverage of each knob."""
    counts: dict[str, int] = {}
    for t in trials:
        counts[str(t.get("status"))] = counts.get(str(t.get("status")), 0) + 1
    ranked = core.rank(trials)
    best = ranked[0] if ranked and ranked[0].get("status") == "done" else None
    out: dict[str, Any] = json_safe(
        {
            **timing,
            "counts": counts,
            "best": best,
            "distinct": {a.knob: core.distinct_values(trials, a.knob) for a in request.space},
            "trials": ranked,
        }
    )
    return out


class SearchManager:
    """Admits, runs, cancels and looks up searches.

    Parameters
    ----------
    settings : Settings or None
        Limits; None reads :func:`app.config.get_settings` at each use.
    executor : callable or None
        ``executor(settings) -> TrialExecutor`` (default: the process-wide one,
        :func:`~app.searches.executors.get_executor`).
    store : callable or None
        ``store(settings) -> RunStoreLike | None`` (default: ``app.store``'s, when present).
    clock : callable
        Monotonic seconds.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        executor: Callable[[Settings], TrialExecutor] | None = None,
        store: Callable[[Settings], RunStoreLike | None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fixed_settings = settings
        self._executor = executor or get_executor
        self._store_factory = store or default_store
        self._store: RunStoreLike | None = None
        self._store_ready = False
        self._clock = clock
        self._lock = threading.Lock()
        self._searches: dict[str, Search] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._closed = False

    @property
    def settings(self) -> Settings:
        return self._fixed_settings or get_settings()

    @property
    def store(self) -> RunStoreLike | None:
        if not self._store_ready:
            self._store = self._store_factory(self.settings)
            self._store_ready = True
        return self._store

    # --- admission ---------------------------------------------------------------------------

    def submit(self, request: SearchRequest) -> Search:
        """Start a search in its own thread; :class:`TooManySearchesError` when the slots are full."""
        settings = self.settings
        designs = core.design(request.space, request.method, request.trials, request.seed)
        with self._lock:
            if self._closed:
                raise TooManySearchesError(0, 0)
            running = sum(1 for t in self._threads.values() if t.is_alive())
            if running >= settings.max_concurrent_searches:
                raise TooManySearchesError(running, settings.max_concurrent_searches)
            self._evict(settings)
            search_id = f"s-{uuid.uuid4().hex[:12]}"
            search = Search(
                id=search_id,
                label=request.label or default_label(request),
                request=request,
                designs=designs,
                log=EventLog(len(designs) + EXTRA_EVENTS, settings.max_search_bytes),
                created=datetime.now(UTC),
            )
            self._searches[search_id] = search
            thread = threading.Thread(target=self._run, args=(search,), name=f"search-{search_id}", daemon=True)
            self._threads[search_id] = thread
        thread.start()
        return search

    def narrow(self, search_id: str, best: int | None = None, margin: float = core.DEFAULT_MARGIN) -> Search:
        """Start a finer search around the best trials of ``search_id`` (same budget and settings, seed + 1)."""
        request, trials = self._request_and_trials(search_id)
        space = core.narrow(request.space, trials, best, margin)
        finished = sum(1 for t in trials if t.get("status") == "done" and t.get("val_acc") is not None)
        kept = min(finished, core.default_best(finished) if best is None else max(1, best))
        finer = SearchRequest(
            space=space,
            method=request.method,
            trials=request.trials,
            epochs=request.epochs,
            subset=request.subset,
            val_fraction=request.val_fraction,
            seed=request.seed + 1,
            parallelism=request.parallelism,
            base=request.base,
            label=None,
            parent_id=search_id,
            narrowed_best=kept,
        )
        return self.submit(finer)

    def _request_and_trials(self, search_id: str) -> tuple[SearchRequest, list[dict[str, Any]]]:
        with self._lock:
            search = self._searches.get(search_id)
        if search is not None:
            with search._lock:
                return search.request, list(search.trials)
        saved = load_saved(self.store, search_id)
        if saved is None:
            raise SearchNotFoundError(search_id)
        return request_from_json(saved["config"]), saved["trials"]

    # --- queries -----------------------------------------------------------------------------

    def get(self, search_id: str) -> Search:
        """A search in memory; :class:`SearchNotFoundError` otherwise (see :meth:`saved`)."""
        with self._lock:
            search = self._searches.get(search_id)
        if search is None:
            raise SearchNotFoundError(search_id)
        return search

    def snapshot(self, search_id: str) -> dict[str, Any]:
        """The search's state: from memory, else from the run store (after a restart)."""
        with self._lock:
            search = self._searches.get(search_id)
        if search is not None:
            return search.snapshot(self._clock())
        saved = load_saved(self.store, search_id)
        if saved is None:
            raise SearchNotFoundError(search_id)
        return saved_snapshot(saved)

    def searches(self) -> list[Search]:
        with self._lock:
            return list(self._searches.values())

    # --- cancelling --------------------------------------------------------------------------

    def cancel(self, search_id: str) -> Search:
        """Ask a search to stop: queued trials at once, running ones at their next poll."""
        search = self.get(search_id)
        search._cancel.set()
        return search

    def shutdown(self, timeout: float = 5.0) -> None:
        """Cancel every search and wait up to ``timeout`` s for their threads."""
        with self._lock:
            self._closed = True
            searches = list(self._searches.values())
            threads = list(self._threads.values())
        for search in searches:
            search._cancel.set()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def _evict(self, settings: Settings) -> None:
        """Forget the oldest finished searches beyond ``max_kept_searches`` (caller holds the lock)."""
        finished = [s for s in self._searches.values() if s.finished_at is not None]
        for search in finished[: max(0, len(finished) - settings.max_kept_searches + 1)]:
            del self._searches[search.id]
            self._threads.pop(search.id, None)

    # --- the search thread -------------------------------------------------------------------

    def _run(self, search: Search) -> None:
        saver = SearchSaver(self.store, search.id)
        saver.create(search.label, search.request.as_json(), search.request.parent_id)
        status, message = "done", None
        try:
            status = self._drive(search, saver)
        except Exception as exc:
            logger.exception("search %s failed", search.id)
            status, message = "error", f"the search stopped: {type(exc).__name__}: {exc}"[:300]
        now = self._clock()
        with search._lock:
            search.status = status
            search.message = message
            search.finished_at = now
            timing = search.timing(now)
            summary = summarize(search.request, search.trials, timing)
            search.summary = summary
        saver.finish(status, summary)
        search.log.append(status, {"status": status, "message": message, "summary": summary})
        search._finished.set()

    def _drive(self, search: Search, saver: SearchSaver) -> str:
        settings = self.settings
        executor = self._executor(settings)
        switch = executor.switch(search.id)
        stop = switch.signal()
        request = search.request
        parallelism = min(request.parallelism or executor.capacity, settings.max_search_parallelism)
        # Submitted at once: one trial beyond the running ones when the search may fill the executor
        # (the executor still runs only `capacity` at a time); exactly `parallelism` when it may not.
        depth = parallelism + 1 if parallelism >= executor.capacity else parallelism
        base = request.base_config()
        limits = {"max_samples": settings.max_samples, "mnist_dir": _text(settings.mnist_dir)}
        limits["data_dir"] = _text(settings.data_dir)
        with search._lock:
            search.status = "running"
            search.started_at = self._clock()
            search.executor_kind = executor.kind
            search.parallelism = parallelism
        search.log.append(
            "status",
            {"status": "running", "total": len(search.designs), "executor": executor.kind, "parallelism": parallelism},
        )

        def payload(index: int) -> dict[str, Any]:
            cfg = core.trial_config(base, search.designs[index], trial_seed(request.seed, index))
            return {"config": to_dict(cfg), "limits": limits, "stop": stop}

        queue: deque[int] = deque(range(len(search.designs)))
        in_flight: dict[Future[dict[str, Any]], int] = {}
        retries: dict[int, int] = {}
        cancel_deadline: float | None = None
        try:
            while queue or in_flight:
                if search.cancel_requested and cancel_deadline is None:
                    switch.set()
                    queue.clear()  # never submitted: dropped at once
                    for fut in in_flight:
                        fut.cancel()  # still waiting in the executor: never starts
                    cancel_deadline = self._clock() + CANCEL_GRACE_SECONDS
                while queue and len(in_flight) < depth and cancel_deadline is None:
                    index = queue.popleft()
                    in_flight[executor.executor.submit(run_trial_task, payload(index))] = index
                if not in_flight:
                    break
                done, _ = wait(list(in_flight), timeout=WAKE_SECONDS, return_when=FIRST_COMPLETED)
                for fut in done:
                    index = in_flight.pop(fut)
                    result = self._result(fut)
                    if result is None:  # the pool broke under it: once more on a fresh pool
                        if retries.get(index, 0) < 1 and cancel_deadline is None:
                            retries[index] = retries.get(index, 0) + 1
                            reset_executor(executor)
                            executor = self._executor(settings)
                            queue.appendleft(index)
                            continue
                        result = {"status": "error", "message": "the worker process running this trial died"}
                    if result.get("status") == "cancelled" and not result.get("steps"):
                        continue  # cancelled before it started: not a trial that ran
                    self._record(search, saver, index, result)
                if cancel_deadline is not None and self._clock() > cancel_deadline:
                    logger.warning("search %s: %d trials did not stop in time", search.id, len(in_flight))
                    break
        finally:
            switch.close()
        return "cancelled" if search.cancel_requested else "done"

    @staticmethod
    def _result(fut: Future[dict[str, Any]]) -> dict[str, Any] | None:
        """A finished future's trial result (None: the process pool broke)."""
        try:
            return fut.result()
        except CancelledError:
            return {"status": "cancelled", "steps": 0}
        except BrokenProcessPool:
            return None
        except Exception as exc:  # the executor failed to run the task (e.g. a Dask worker lost)
            return {"status": "error", "message": f"{type(exc).__name__}: {exc}"[:300]}

    def _record(self, search: Search, saver: SearchSaver, index: int, result: dict[str, Any]) -> None:
        seed = trial_seed(search.request.seed, index)
        trial = json_safe({"index": index, "values": search.designs[index], "seed": seed, **result})
        saver.trial(trial)  # first in the store: every trial a client has seen survives a restart
        now = self._clock()
        with search._lock:
            search.trials.append(trial)
            timing = search.timing(now)
        search.log.append("trial", {**trial, **timing})


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def request_from_json(data: dict[str, Any]) -> SearchRequest:
    """A :class:`SearchRequest` back from :meth:`SearchRequest.as_json` (a saved search's config)."""
    from app.core.nn.config import parse_config

    space = tuple(
        core.Axis(
            a["knob"],
            float(a.get("low", min(a.get("choices") or [0]))),
            float(a.get("high", max(a.get("choices") or [0]))),
            a.get("scale", "linear"),
            tuple(float(c) for c in a["choices"]) if a.get("choices") else None,
        )
        for a in data["space"]
    )
    return SearchRequest(
        space=space,
        method=data.get("method", "random"),
        trials=int(data.get("trials", core.DEFAULT_TRIALS)),
        epochs=int(data.get("epochs", core.DEFAULT_EPOCHS)),
        subset=int(data.get("subset", core.DEFAULT_SUBSET)),
        val_fraction=float(data.get("val_fraction", core.DEFAULT_VAL_FRACTION)),
        seed=int(data.get("seed", 0)),
        parallelism=data.get("parallelism"),
        base=parse_config(data["base"]) if data.get("base") else None,
        label=data.get("label"),
        parent_id=data.get("parent_id"),
        narrowed_best=data.get("narrowed_best"),
    )


def saved_snapshot(saved: dict[str, Any]) -> dict[str, Any]:
    """A stored search in the shape of :meth:`Search.snapshot` (status "interrupted" when cut by a restart)."""
    config = saved["config"]
    trials = saved["trials"]
    summary = saved.get("summary") or {}
    total = int(
        summary.get("total")
        or len(core.design(request_from_json(config).space, config["method"], config["trials"], config["seed"]))
    )
    done = len(trials)
    out: dict[str, Any] = json_safe(
        {
            "id": saved["id"],
            "label": saved["label"],
            "status": saved["status"],
            "created": saved["created"],
            "config": config,
            "parent_id": saved.get("parent_id"),
            "executor": "",
            "parallelism": 0,
            "message": None,
            "done": done,
            "total": total,
            "progress": done / total if total else 1.0,
            "elapsed": summary.get("elapsed", 0.0),
            "eta": None,
            "trials": core.rank(trials),
            "last_event_id": 0,
        }
    )
    return out


# --- the process-wide manager ----------------------------------------------------------------

_manager: SearchManager | None = None
_manager_lock = threading.Lock()


def get_search_manager() -> SearchManager:
    """The process-wide search manager."""
    global _manager
    with _manager_lock:
        if _manager is None:
            _manager = SearchManager()
        return _manager


def shutdown_search_manager(timeout: float = 5.0) -> None:
    """Cancel running searches, stop the manager and the trial executor (the app's shutdown)."""
    global _manager
    with _manager_lock:
        manager, _manager = _manager, None
    if manager is not None:
        manager.shutdown(timeout)
    reset_executor()


__all__ = [
    "TERMINAL_EVENTS",
    "Search",
    "SearchManager",
    "SearchNotFoundError",
    "SearchRequest",
    "TooManySearchesError",
    "estimated_bytes",
    "get_search_manager",
    "shutdown_search_manager",
]
