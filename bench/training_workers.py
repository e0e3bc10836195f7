"""Training in worker processes (issue 9 point 1): one job alone vs two together, vs a CPU burner; health latency.

Every figure goes through the real :class:`~app.jobs.manager.JobManager` and its worker processes
(one BLAS thread each), training the textbook-size MLP 64-100-100-100-100-10, batch 100, on the
digits. Throughput is samples trained per second of the trainer's own clock (the summary's
``elapsed``), so starting a worker process is not counted. Printed ratios, measured in this run:

* two jobs together (total samples/s) / one job alone — target ≥ 1.8 on two or more cores;
* one job alone / one job beside a CPU-burner process — target ≤ 1.5;
* two jobs while a hyperparameter search keeps a 2-process trial pool busy, against two alone: with
  the pool niced (``search_worker_nice``, default) and not niced — the search should take only what
  the class leaves;
* ``/api/health`` p50 / p99 over HTTP while two jobs train, against the same with no job.

Run with ``make bench`` (or ``.venv/bin/python bench/training_workers.py``).
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import threading
import time
import urllib.request
from typing import Any

from app.config import Settings

EPOCHS = 300
ROUNDS = 3
CONFIG: dict[str, Any] = {
    "label": "bench",
    "dataset": {"name": "digits", "seed": 0, "val_fraction": 0.2, "test_fraction": 0.2},
    "model": {"hidden": [100, 100, 100, 100], "activation": "relu", "init": "he_normal"},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.001}},
    "batch_size": 100,
    "epochs": EPOCHS,
    "seed": 0,
    "telemetry": {"interval": 1_000_000, "bins": 30, "sample_size": 256},  # frames at step 0 only
}


def _burn(stop: Any) -> None:
    """A CPU-heavy neighbour: a pure-Python loop on one core until told to stop."""
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x += 1


def throughput(manager: Any, n_jobs: int) -> float:
    """Total samples/s of ``n_jobs`` identical jobs started together."""
    jobs = [manager.submit(CONFIG) for _ in range(n_jobs)]
    for job in jobs:
        assert job.wait_finished(600), "a bench job did not finish"
        assert job.status.value == "done", job.log.after(0)[-1].data_json
    total = 0.0
    for job in jobs:
        summary = job.summary or {}
        total += summary["steps"] * CONFIG["batch_size"] / summary["elapsed"]
    return total


def beside_search(manager: Any, nice: int) -> float:
    """Total samples/s of two jobs while a search keeps a 2-process trial pool at niceness ``nice`` busy."""
    from app.core.nn import search as core
    from app.searches.executors import process_pool
    from app.searches.manager import SearchManager, SearchRequest

    executor = process_pool(2, nice)
    searches = SearchManager(Settings(), executor=lambda _: executor, store=lambda _: None)
    try:
        warm = searches.submit(SearchRequest(space=core.default_space(), trials=2, epochs=2, parallelism=2))
        warm.wait_finished(120)  # processes started, data loaded
        search = searches.submit(SearchRequest(space=core.default_space(), trials=400, epochs=20, parallelism=2))
        time.sleep(1.0)  # both trial processes busy
        total = throughput(manager, 2)
        searches.cancel(search.id)
        search.wait_finished(60)
        return total
    finally:
        executor.shutdown()


def health_latencies(base: str, n: int = 200) -> list[float]:
    """Seconds per ``GET /api/health`` (a new connection each, as a browser tab's poll might)."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        with urllib.request.urlopen(f"{base}/api/health", timeout=10) as response:
            response.read()
        out.append(time.perf_counter() - t0)
        time.sleep(0.005)
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def serve() -> tuple[str, Any, threading.Thread]:
    """The real app under uvicorn in a thread on a free port (its jobs use the process-wide manager)."""
    import uvicorn

    from app.main import app

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    return f"http://127.0.0.1:{port}", server, thread


def post_job(base: str) -> str:
    import json

    request = urllib.request.Request(
        f"{base}/api/jobs", data=json.dumps(CONFIG).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return str(json.loads(response.read())["id"])


def main() -> None:
    from app.jobs.manager import JobManager

    cores = os.cpu_count() or 1
    manager = JobManager(Settings(max_concurrent_jobs=2, worker_processes=2, worker_blas_threads=1))
    ctx = multiprocessing.get_context("spawn")
    try:
        throughput(manager, 2)  # warm up: both workers started, data sets cached
        alone, together, beside = [], [], []
        for _ in range(ROUNDS):  # interleaved so drift on a shared machine hits all alike
            alone.append(throughput(manager, 1))
            together.append(throughput(manager, 2))
            stop = ctx.Event()
            burner = ctx.Process(target=_burn, args=(stop,), daemon=True)
            burner.start()
            time.sleep(0.3)
            beside.append(throughput(manager, 1))
            stop.set()
            burner.join(5)
        # A teacher's search while the class trains: the trial pool is niced (search_worker_nice).
        niced = beside_search(manager, Settings().search_worker_nice)
        not_niced = beside_search(manager, 0)
    finally:
        manager.shutdown(timeout=10)
    one, two, next_to = max(alone), max(together), max(beside)
    # Paired ratios (each round's own measurements), robust to a load that drifts between rounds.
    paired_two = statistics.median(t / a for a, t in zip(alone, together, strict=True))
    paired_beside = statistics.median(a / b for a, b in zip(alone, beside, strict=True))
    print(f"training in worker processes ({cores} cores), MLP 64-100-100-100-100-10, batch 100, digits")
    print(f"  one job alone:              {one:10,.0f} samples/s (median {statistics.median(alone):,.0f})")
    print(f"  two jobs together (total):  {two:10,.0f} samples/s → {two / one:.2f}× one alone (target ≥ 1.8)")
    print(f"  one job beside a CPU burner:{next_to:10,.0f} samples/s → alone / beside = {one / next_to:.2f} (≤ 1.5)")
    print(f"  paired per round (median of {ROUNDS}): two / one {paired_two:.2f}, alone / beside {paired_beside:.2f}")
    print(
        f"  two jobs beside a 2-process search: {niced:,.0f} samples/s → {niced / two:.2f} of two alone with the"
        f" search niced to {Settings().search_worker_nice} (default); {not_niced / two:.2f} not niced"
    )

    base, server, thread = serve()
    try:
        idle = health_latencies(base)
        ids = [post_job(base), post_job(base)]
        time.sleep(1.0)  # both workers started and training
        busy = health_latencies(base)
        from app.jobs.manager import get_manager

        still = [get_manager().get(job_id).status.value for job_id in ids]
    finally:
        server.should_exit = True
        thread.join(30)
    ms = 1000.0
    print(
        f"  /api/health idle:            p50 {percentile(idle, 0.5) * ms:6.2f} ms, "
        f"p99 {percentile(idle, 0.99) * ms:6.2f} ms"
    )
    print(
        f"  /api/health, two jobs train: p50 {percentile(busy, 0.5) * ms:6.2f} ms, "
        f"p99 {percentile(busy, 0.99) * ms:6.2f} ms → p99 {percentile(busy, 0.99) / percentile(idle, 0.99):.2f}× idle"
        f" (jobs then: {', '.join(still)})"
    )


if __name__ == "__main__":
    main()
