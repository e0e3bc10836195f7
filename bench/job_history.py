"""Memory of ``GET /api/jobs/{id}`` with a large history (issue 9 point 7): streamed vs built whole.

A job with ~10 MB of kept events (100 frames of ~100 kB, what a wide, deep net with fine
histograms produces) is read by 32 clients at once over HTTP from the real app under uvicorn.
The process's peak resident memory above its baseline (server and clients share it) is printed
for the streamed endpoint and, as the reference measured in the same run, for a route that builds
each answer whole the way the endpoint did before (the history's JSON joined per request).

Run with ``make bench`` (or ``.venv/bin/python bench/job_history.py``).
"""

from __future__ import annotations

import concurrent.futures
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from app.config import Settings
from app.jobs.events import EventLog, to_json_text
from app.jobs.job import Job, JobStatus
from app.jobs.manager import JobManager

CLIENTS = 32
FRAMES = 100


def rss_bytes() -> int:
    """This process's resident memory now (Linux ``/proc``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


class PeakSampler:
    """Samples the resident memory every 2 ms in a thread; ``peak`` is the largest seen."""

    def __init__(self) -> None:
        self.peak = rss_bytes()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(0.002)

    def __enter__(self) -> PeakSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def big_job() -> Job:
    """A finished job whose log keeps ~10 MB of JSON (100 frames of ~100 kB)."""
    log = EventLog(max_events=2_000, max_bytes=16 * 2**20)
    rng = np.random.default_rng(0)
    for step in range(FRAMES):
        log.append("metrics", {"step": step, "layers": [{"counts": rng.random(12_000).round(6).tolist()}]})
    log.append("done", {"status": "done", "summary": {"epochs_run": 1}})
    job = Job(id="j-bench0000000", label="bench", config={}, created=datetime.now(UTC), log=log)
    job.status = JobStatus.DONE
    job.finished_at = time.monotonic()
    return job


def measure(task: Any) -> tuple[int, float]:
    """Peak RSS above the baseline and wall seconds of ``CLIENTS`` concurrent calls of ``task``."""
    import gc

    gc.collect()
    base = rss_bytes()
    t0 = time.perf_counter()
    with PeakSampler() as sampler, concurrent.futures.ThreadPoolExecutor(CLIENTS) as pool:
        sizes = list(pool.map(lambda _: task(), range(CLIENTS)))
    assert len(set(sizes)) == 1, sizes
    return sampler.peak - base, time.perf_counter() - t0


def main() -> None:
    import uvicorn
    from fastapi import Response

    from app.api.deps import get_job_manager
    from app.main import app

    job = big_job()
    history_bytes = sum(len(e.data_json) for e in job.log.after(0))
    manager = JobManager(Settings())
    manager._jobs[job.id] = job  # a bench-only shortcut: a finished job without training one
    app.dependency_overrides[get_job_manager] = lambda: manager
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}/api/jobs/{job.id}"

    def fetch(address: str = url) -> int:
        total = 0
        with urllib.request.urlopen(address, timeout=120) as response:
            while chunk := response.read(1 << 16):
                total += len(chunk)
        return total

    def whole_route() -> Response:  # the reference: what the handler built per request before
        fields, events, _ = job.snapshot()
        history = "[" + ",".join(e.as_json() for e in events) + "]"
        head = to_json_text(fields)
        return Response(content=f'{head[:-1]},"history":{history}}}', media_type="application/json")

    app.add_api_route("/bench/whole-history", whole_route)
    whole_url = url.rsplit("/api/", 1)[0] + "/bench/whole-history"

    def whole() -> int:
        return fetch(whole_url)

    try:
        fetch()  # warm up
        streamed, streamed_s = measure(fetch)
        built, built_s = measure(whole)
    finally:
        server.should_exit = True
        thread.join(30)
    mb = 2**20
    print(f"job history: {history_bytes / mb:.1f} MB kept, {CLIENTS} concurrent readers")
    print(f"  streamed GET /api/jobs/{{id}} over HTTP: peak RSS +{streamed / mb:7.1f} MB ({streamed_s:.2f} s)")
    print(f"  built whole per request (reference):   peak RSS +{built / mb:7.1f} MB ({built_s:.2f} s)")
    print(f"  → streamed / whole = {streamed / max(built, 1):.2f} of the extra memory")


if __name__ == "__main__":
    main()
