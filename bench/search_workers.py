"""Hyperparameter-search throughput: trials per second on 1 and 2 pool processes and on a Dask LocalCluster.

Each trial is the textbook's (docs/searches.md): 6 ReLU layers of 100, SGD, 400 training and 100
validation digits, ``EPOCHS`` epochs, lr ~ 10^U(−6, −2), weight decay ~ 10^U(−8, −4). Prints

* trials/s with 1 worker, 2 workers (ratio to 1 worker; target ≥ 1.8× on two free cores) and on a
  ``LocalCluster`` of 2 worker processes with one thread each (ratio to 1 worker);
* the wall time of 100 such trials in each setting — measured on ``N_TRIALS`` trials and scaled
  to 100 when ``N_TRIALS`` < 100 (said in the output);
* how long a cancel takes until the search has stopped (pool and cluster).

Every executor is warmed up first (processes started, modules imported, data loaded) so the figures
are steady-state throughput. ``python bench/search_workers.py [N_TRIALS] [ROUNDS]`` (default 40 trials, 3 rounds; each
setting keeps its best round).
"""

from __future__ import annotations

import importlib
import sys
import time
from typing import Any

from app.config import Settings
from app.core.nn import search as core
from app.searches.executors import TrialExecutor, dask_executor, process_pool
from app.searches.manager import SearchManager, SearchRequest

EPOCHS = 20


def run_search(executor: TrialExecutor, trials: int, parallelism: int, seed: int = 0) -> float:
    """Wall seconds of one search of ``trials`` textbook trials on ``executor``."""
    manager = SearchManager(Settings(), executor=lambda _: executor, store=lambda _: None)
    request = SearchRequest(
        space=core.default_space(), trials=trials, epochs=EPOCHS, seed=seed, parallelism=parallelism
    )
    started = time.perf_counter()
    search = manager.submit(request)
    search.wait_finished(3600)
    elapsed = time.perf_counter() - started
    assert search.status == "done" and len(search.trials) == trials, (search.status, len(search.trials))
    return elapsed


def cancel_seconds(executor: TrialExecutor) -> float:
    """Seconds from cancel to the terminal event of a search whose trials are mid-way."""
    manager = SearchManager(Settings(), executor=lambda _: executor, store=lambda _: None)
    search = manager.submit(SearchRequest(space=core.default_space(), trials=50, epochs=400))
    time.sleep(1.5)
    started = time.perf_counter()
    manager.cancel(search.id)
    search.wait_finished(60)
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 40
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    scale = 100 / n
    executors: dict[str, tuple[TrialExecutor, int]] = {
        "1 worker": (process_pool(1), 1),
        "2 workers": (process_pool(2), 2),
    }
    cluster: Any = None
    try:
        local_cluster: Any = importlib.import_module("distributed").LocalCluster
    except ImportError:
        print("distributed is not installed: skipping the LocalCluster (pip install '.[dask]')")
    else:
        cluster = local_cluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
        )
        executors["LocalCluster (2 processes)"] = (dask_executor(cluster.scheduler_address), 2)
    for executor, workers in executors.values():
        run_search(executor, 2 * workers, workers, seed=99)  # warm-up: processes, imports, data
    # the settings alternate round by round and each keeps its best round, so a burst of load from
    # other processes on a shared machine hits every setting alike and the ratios stay comparable
    best: dict[str, float] = {}
    for _ in range(rounds):
        for name, (executor, workers) in executors.items():
            seconds = run_search(executor, n, workers)
            best[name] = min(best.get(name, seconds), seconds)
    cancels = {"pool": cancel_seconds(executors["2 workers"][0])}
    if cluster is not None:
        cancels["LocalCluster"] = cancel_seconds(executors["LocalCluster (2 processes)"][0])
    for executor, _ in executors.values():
        executor.shutdown()
    if cluster is not None:
        cluster.close()
    ref = best["1 worker"]
    note = f" (measured on {n} trials, scaled ×{scale:g})" if n != 100 else ""
    print(
        f"search trials: textbook network, {EPOCHS} epochs, 400 train + 100 validation digits; best of {rounds} rounds"
    )
    for name, seconds in best.items():
        print(
            f"  {name:28s} {n / seconds:6.2f} trials/s  ×{ref / seconds:4.2f} vs 1 worker  "
            f"100 trials: {seconds * scale:6.1f} s{note}"
        )
    print("  target: 2 workers ≥ 1.8× one worker on two free cores")
    for name, seconds in cancels.items():
        print(f"  cancel → stopped ({name}): {seconds:.2f} s")


if __name__ == "__main__":
    main()
