"""Where trials run: a local process pool, or a Dask cluster — the same code path, another executor.

Both are a :class:`concurrent.futures.Executor`: ``ProcessPoolExecutor`` (``search_workers``
processes, each with one BLAS thread through :func:`~app.searches.tasks.init_worker`), or, when
``Settings.dask_scheduler_address`` is set, ``distributed.Client(address).get_executor()``. The
manager submits :func:`~app.searches.tasks.run_trial_task` to either and reads the futures the
same way; only the stop signal differs (:mod:`app.searches.signals`: a file for local processes,
a named Dask event for a cluster).

The pool uses the ``spawn`` start method: the web process runs threads (the event loop, training
workers), and forking a threaded process can copy a held lock into the child.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any

from app.config import Settings
from app.searches.signals import DaskSwitch, FileSwitch, StopSwitch, distributed
from app.searches.tasks import init_worker

logger = logging.getLogger(__name__)


def default_workers() -> int:
    """The machine's cores (``os.process_cpu_count`` where it exists: the cores this process may use)."""
    count = getattr(os, "process_cpu_count", os.cpu_count)()
    return max(1, int(count or 1))


class TrialExecutor:
    """An executor for trials, how many run at once on it, and how to make a stop switch for it.

    Parameters
    ----------
    executor : concurrent.futures.Executor
        Where :func:`~app.searches.tasks.run_trial_task` is submitted.
    capacity : int
        Trials it runs at once (pool processes, or the cluster's worker threads).
    kind : str
        ``"processes"`` or ``"dask"``.
    client : object or None
        The ``distributed.Client`` of a Dask executor.
    """

    def __init__(self, executor: Executor, capacity: int, kind: str, client: Any = None) -> None:
        self.executor = executor
        self.capacity = max(1, capacity)
        self.kind = kind
        self.client = client

    def switch(self, name: str) -> StopSwitch:
        """A fresh stop switch for one search."""
        if self.kind == "dask":
            return DaskSwitch(name, self.client)
        return FileSwitch(name)

    def shutdown(self) -> None:
        """Stop the pool (cancelling queued work) or close the client."""
        if self.kind == "dask":
            self.executor.shutdown(wait=False)
            self.client.close()
        else:
            self.executor.shutdown(wait=False, cancel_futures=True)


def process_pool(workers: int, nice: int = 0) -> TrialExecutor:
    """A pool of ``workers`` spawned processes, one BLAS thread each, at niceness ``nice`` (at least)."""
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=init_worker,
        initargs=(nice,),
    )
    return TrialExecutor(pool, workers, "processes")


def dask_executor(address: str, timeout: float = 10.0) -> TrialExecutor:
    """The futures executor of the Dask cluster at ``address`` (``tcp://host:8786``).

    Capacity is the cluster's worker threads when connected. Raises ``ImportError`` without the
    ``dask`` extra and ``OSError``/``TimeoutError`` when the scheduler cannot be reached.
    """
    client: Any = distributed().Client(address, timeout=timeout, set_as_default=False)
    threads = sum(client.nthreads().values()) or 1
    return TrialExecutor(client.get_executor(pure=False), threads, "dask", client)


def make_executor(settings: Settings) -> TrialExecutor:
    """The executor the settings ask for: a Dask cluster when an address is set, else a process pool."""
    if settings.dask_scheduler_address:
        return dask_executor(settings.dask_scheduler_address)
    return process_pool(settings.search_workers or default_workers(), settings.search_worker_nice)


_executor: TrialExecutor | None = None
_lock = threading.Lock()


def get_executor(settings: Settings) -> TrialExecutor:
    """The process-wide executor (created on first use: the pool starts its processes lazily)."""
    global _executor
    with _lock:
        if _executor is None:
            _executor = make_executor(settings)
        return _executor


def reset_executor(broken: TrialExecutor | None = None) -> None:
    """Forget the process-wide executor (a pool whose worker died is broken; the next use makes a new one)."""
    global _executor
    with _lock:
        if broken is None or _executor is broken:
            old, _executor = _executor, None
        else:
            old = None
    if old is not None:
        try:
            old.shutdown()
        except Exception:  # pragma: no cover - best effort on a broken pool
            logger.exception("could not shut the trial executor down")
