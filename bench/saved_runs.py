"""What saving runs costs: database bytes per run, and training time with the recorder attached.

The run is the Training Lab's page default (digits, three ReLU layers of 100, He, Adam, 20
epochs, a telemetry frame every 50 steps), trained by a real :class:`JobManager` into a fresh
SQLite file. Printed, all measured in this run:

* stored bytes / the run's event JSON (what the in-memory log holds): the compression;
* database file growth per run / event JSON (pages, indexes and the row around the batches);
* training wall time with the recorder attached / without it (the writer thread must not slow
  the job: target ≤ 1.05).
"""

from __future__ import annotations

import sqlite3
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from app.config import Settings
from app.jobs.manager import JobManager
from app.store import RunStore
from app.store.recorder import RunRecorder

PAGE_DEFAULT: dict[str, Any] = {
    "label": "Adam · Handwritten digits (8×8)",
    "dataset": {"name": "digits", "seed": 0, "val_fraction": 0.2, "test_fraction": 0.2},
    "model": {"hidden": [100, 100, 100], "activation": "relu", "init": "he_normal"},
    "optimizer": {"optimizer": "adam", "params": {"lr": 0.001}},
    "batch_size": 100,
    "epochs": 20,
    "seed": 0,
    "telemetry": {"interval": 50, "bins": 30, "sample_size": 256},
}
ROUNDS = 3


def file_bytes(path: Path) -> int:
    """The database's size once its WAL is checkpointed into it."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def train_one(manager: JobManager) -> tuple[float, str]:
    t = time.perf_counter()
    job = manager.submit(dict(PAGE_DEFAULT))
    assert job.wait_finished(600)
    return time.perf_counter() - t, job.id


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-saved-runs-"))
    path = folder / "runs.sqlite3"
    store = RunStore(f"sqlite:///{path}")
    plain = JobManager(Settings(data_dir=folder))
    recorded = JobManager(Settings(data_dir=folder))
    recorder = RunRecorder(store, recorded)
    recorded.add_observer(recorder)
    empty = file_bytes(path)
    with_times, without_times, json_bytes, stored, ids = [], [], [], [], []
    for _ in range(ROUNDS):  # interleaved, so a busy moment of the machine hits both
        seconds, _ = train_one(plain)
        without_times.append(seconds)
        seconds, job_id = train_one(recorded)
        with_times.append(seconds)
        assert recorder.wait_idle(30)
        ids.append(job_id)
        json_bytes.append(len(recorded.get(job_id).log.history_json()))
        stored.append(store.get(job_id).stored_bytes)
    growth = (file_bytes(path) - empty) / ROUNDS
    mean_json = statistics.mean(json_bytes)
    print(f"page-default digits run: {store.get(ids[0]).n_events} events, {mean_json / 1024:.1f} kB of event JSON")
    print(f"stored (zlib batches) / event JSON:      {statistics.mean(stored) / mean_json:.3f}")
    print(f"database growth per run / event JSON:    {growth / mean_json:.3f}  ({growth / 1024:.1f} kB per run)")
    ratio = statistics.median(with_times) / statistics.median(without_times)
    print(f"training time with recorder / without:   {ratio:.3f}  (median of {ROUNDS}; target ≤ 1.05)")
    plain.shutdown()
    recorded.shutdown()
    recorder.close()
    store.close()


if __name__ == "__main__":
    main()
