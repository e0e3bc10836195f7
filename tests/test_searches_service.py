"""Searches on real executors: a spawned process pool and a dask.distributed LocalCluster (no mocks)."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.config import Settings
from app.core.nn import search as core
from app.searches.executors import TrialExecutor, dask_executor, make_executor, process_pool
from app.searches.manager import SearchManager, SearchRequest

SMALL = {"trials": 6, "epochs": 2, "subset": 200}


@pytest.fixture(scope="module")
def pool() -> Iterator[TrialExecutor]:
    executor = process_pool(2)
    yield executor
    executor.shutdown()


@pytest.fixture(scope="module")
def cluster() -> Iterator[TrialExecutor]:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as local:
        executor = dask_executor(local.scheduler_address)
        yield executor
        executor.shutdown()


def manager_for(executor: TrialExecutor) -> SearchManager:
    return SearchManager(Settings(), executor=lambda _: executor, store=lambda _: None)


def run(manager: SearchManager, request: SearchRequest, timeout: float = 120.0) -> dict[str, object]:
    search = manager.submit(request)
    assert search.wait_finished(timeout), "the search did not finish"
    return manager.snapshot(search.id)


@pytest.mark.parametrize("where", ["pool", "cluster"])
def test_small_search_runs_every_trial_in_worker_processes(where: str, request: pytest.FixtureRequest) -> None:
    executor: TrialExecutor = request.getfixturevalue(where)
    snap = run(manager_for(executor), SearchRequest(space=core.default_space(), seed=3, **SMALL))
    trials = snap["trials"]
    assert snap["status"] == "done" and len(trials) == 6  # type: ignore[arg-type]
    assert all(t["status"] == "done" for t in trials)  # type: ignore[union-attr]
    accs = [t["val_acc"] for t in trials]  # type: ignore[union-attr]
    assert accs == sorted(accs, reverse=True)  # ranked best first
    # the designed values, in the designed order of indices
    design = core.random_design(core.default_space(), 6, 3)
    assert {t["index"]: t["values"] for t in trials} == dict(enumerate(design))  # type: ignore[union-attr]
    pids = {t["worker"].rsplit(":", 1)[1] for t in trials}  # type: ignore[union-attr]
    assert str(os.getpid()) not in pids  # run in other processes
    assert snap["executor"] == ("processes" if where == "pool" else "dask") and snap["parallelism"] == 2


def test_same_seed_same_results(pool: TrialExecutor) -> None:
    manager = manager_for(pool)
    request = SearchRequest(space=core.default_space(), seed=5, **SMALL)
    first, second = run(manager, request), run(manager, request)
    strip = lambda s: sorted((t["index"], t["val_acc"], t["val_loss"]) for t in s["trials"])  # noqa: E731
    assert strip(first) == strip(second)


def test_failed_and_diverged_trials_are_reported_and_the_search_goes_on(pool: TrialExecutor) -> None:
    # lr −1 is refused by the optimizer (an error in the worker); lr 9 diverges; 1e-3 trains
    space = (core.Axis("lr", -1.0, 9.0, "linear", (-1.0, 9.0, 1e-3)),)
    snap = run(manager_for(pool), SearchRequest(space=space, method="grid", **{**SMALL, "trials": 3}))
    by_lr = {t["values"]["lr"]: t for t in snap["trials"]}  # type: ignore[union-attr]
    assert by_lr[-1.0]["status"] == "error" and "lr" in by_lr[-1.0]["message"]
    assert by_lr[9.0]["status"] == "diverged" and by_lr[9.0]["diverged_at"] is not None
    assert by_lr[1e-3]["status"] == "done"
    assert snap["status"] == "done" and snap["trials"][0]["values"]["lr"] == 1e-3  # type: ignore[index]


@pytest.mark.parametrize("where", ["pool", "cluster"])
def test_cancel_drops_queued_trials_and_stops_running_ones(where: str, request: pytest.FixtureRequest) -> None:
    executor: TrialExecutor = request.getfixturevalue(where)
    manager = manager_for(executor)
    # long trials: 400 epochs of 2 steps each would take tens of seconds
    search = manager.submit(SearchRequest(space=core.default_space(), trials=50, epochs=400, subset=500))
    log = search.log
    version = log.version
    while not any(e.event == "status" for e in log.after(0)):
        assert search.wait_finished(0.05) is False
        version = log.version
    del version
    manager.cancel(search.id)
    assert search.wait_finished(30.0)
    snap = manager.snapshot(search.id)
    assert snap["status"] == "cancelled"
    trials = snap["trials"]
    # only the trials that were running are reported: stopped part way, never the queued 48
    assert len(trials) <= 2  # type: ignore[arg-type]
    for t in trials:  # type: ignore[union-attr]
        assert t["status"] == "cancelled" and len(t["epochs"]) < 400
    terminal = log.after(0)[-1]
    assert terminal.event == "cancelled"


def test_the_local_pool_runs_its_trials_at_the_configured_niceness() -> None:
    """A search is background work: its processes are niced so the class's training runs first."""
    base = os.nice(0)
    executor = make_executor(Settings(search_workers=1, search_worker_nice=min(19, base + 7)))
    try:
        assert executor.kind == "processes" and executor.capacity == 1
        # os.nice(0) in the worker reads its niceness without changing it
        assert executor.executor.submit(os.nice, 0).result(timeout=60) == min(19, base + 7)
    finally:
        executor.shutdown()


class _CountingPool(ThreadPoolExecutor):
    """A thread pool that records the most trials submitted and not yet finished at once."""

    def __init__(self, workers: int) -> None:
        super().__init__(max_workers=workers)
        self._lock = threading.Lock()
        self.outstanding = 0
        self.most = 0

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        with self._lock:
            self.outstanding += 1
            self.most = max(self.most, self.outstanding)
        future = super().submit(fn, *args, **kwargs)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _: object) -> None:
        with self._lock:
            self.outstanding -= 1


@pytest.mark.parametrize(("parallelism", "most"), [(None, 3), (2, 3), (1, 1)])
def test_a_search_keeps_one_trial_waiting_only_when_it_may_fill_the_executor(
    parallelism: int | None, most: int
) -> None:
    """Filling the executor: one trial beyond its capacity waits in it, so no worker idles between trials;
    a search limited below the capacity never has more than its parallelism submitted."""
    pool = _CountingPool(2)
    executor = TrialExecutor(pool, 2, "processes")
    try:
        snap = run(manager_for(executor), SearchRequest(space=core.default_space(), parallelism=parallelism, **SMALL))
        assert snap["status"] == "done" and len(snap["trials"]) == 6  # type: ignore[arg-type]
        assert pool.most == most
    finally:
        pool.shutdown()
