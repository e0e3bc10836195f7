"""The job manager, its worker processes and its bounded event log, driven by fake trainers.

The trainers (``tests/job_trainers.py``) are module-level, so they run in real worker processes
exactly as the real trainer does; they talk back through the event stream and through files.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.config import Settings
from app.core.nn.training import train
from app.jobs import manager as manager_module
from app.jobs.control import JobGate
from app.jobs.events import EventLog, json_safe, to_json_text
from app.jobs.manager import (
    INTERNAL_ERROR_MESSAGE,
    JobManager,
    JobNotFoundError,
    JobStatus,
    ManagerClosedError,
)
from tests import job_trainers
from tests.job_trainers import FileGate, wait_until

CONFIG: dict[str, Any] = {
    "label": "fake",
    "model": {"hidden": [4], "activation": "relu"},
    "optimizer": {"optimizer": "sgd"},
}


def settings(**overrides: Any) -> Settings:
    """Settings with test-sized limits."""
    base = {
        "max_concurrent_jobs": 2,
        "worker_processes": 2,
        "max_kept_jobs": 50,
        "job_ttl_seconds": 3600.0,
        "max_events_per_job": 2000,
    }
    return Settings(**{**base, **overrides})


@pytest.fixture
def managers() -> Iterator[list[JobManager]]:
    """Managers made by the test; their worker processes are stopped afterwards."""
    made: list[JobManager] = []
    yield made
    for manager in made:
        manager.shutdown(timeout=3.0)


@pytest.fixture
def make(managers: list[JobManager]):
    def make(*args: Any, **kwargs: Any) -> JobManager:
        manager = JobManager(*args, **kwargs)
        managers.append(manager)
        return manager

    return make


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[FileGate]:
    g = FileGate(tmp_path)
    yield g
    g.release()


def finished(job, timeout: float = 20.0):
    assert job.wait_finished(timeout), f"job {job.id} did not finish"
    return job


def events(job) -> list[tuple[int, str, Any]]:
    return [(e.id, e.event, json.loads(e.data_json)) for e in job.log.after(0)]


def wait_idle(manager: JobManager, timeout: float = 10.0) -> None:
    wait_until(lambda: manager.running_units == 0, timeout, "the manager did not become idle")


# --- JSON safety ------------------------------------------------------------------------------


def test_json_safe_turns_non_finite_numbers_into_null() -> None:
    value = {
        "a": float("nan"),
        "b": [1.0, float("inf"), -float("inf")],
        "c": np.float32("nan"),
        "d": np.array([[1.5, np.nan], [np.inf, 2]]),
        "e": (np.int64(3), np.bool_(True)),
        4: "x",
    }
    assert json_safe(value) == {
        "a": None,
        "b": [1.0, None, None],
        "c": None,
        "d": [[1.5, None], [None, 2.0]],
        "e": [3, True],
        "4": "x",
    }
    text = to_json_text(value)
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text)["d"] == [[1.5, None], [None, 2.0]]


# --- the event log ----------------------------------------------------------------------------


def test_event_log_ids_start_at_one_and_after_returns_exactly_the_later_events() -> None:
    log = EventLog(100)
    ids = [log.append("metrics", {"step": k}) for k in range(5)]
    assert ids == [1, 2, 3, 4, 5]
    assert [e.id for e in log.after(2)] == [3, 4, 5]
    assert log.after(5) == [] and [e.id for e in log.after(0)] == ids
    assert json.loads(log.after(4)[0].data_json) == {"step": 4}
    assert not log.closed
    log.append("done", {"status": "done"})
    assert log.closed and log.last_id == 6
    with pytest.raises(RuntimeError):
        log.append("metrics", {})


def test_full_log_drops_every_second_metrics_event_keeping_first_and_newest() -> None:
    # Hand-traced: 10 slots; the 11th append thins metrics 2..9 at even rank (2, 4, 6, 8).
    log = EventLog(10)
    for _ in range(11):
        log.append("metrics", {})
    assert [e.id for e in log.after(0)] == [1, 3, 5, 7, 9, 10, 11]
    for _ in range(3):
        log.append("metrics", {})
    assert len(log) == 10
    log.append("metrics", {})  # droppable 3,5,7,9,10,11,12,13 → drop 3, 7, 10, 12
    assert [e.id for e in log.after(0)] == [1, 5, 9, 11, 13, 14, 15]


def test_thinning_keeps_every_epoch_event_and_the_terminal_event() -> None:
    log = EventLog(10)
    for k in range(1, 11):
        log.append("metrics" if k % 2 else "epoch", {})
    log.append("metrics", {})  # metrics 1,3,5,7,9: droppable 3,5,7 → drop 3 and 7
    kept = [(e.id, e.event) for e in log.after(0)]
    assert kept == [
        (1, "metrics"),
        (2, "epoch"),
        (4, "epoch"),
        (5, "metrics"),
        (6, "epoch"),
        (8, "epoch"),
        (9, "metrics"),
        (10, "epoch"),
        (11, "metrics"),
    ]
    for k in range(40):
        log.append("metrics", {})
        if k % 20 == 19:
            log.append("epoch", {})
    log.append("done", {})
    kept_events = log.after(0)
    assert len(kept_events) <= 10
    assert kept_events[-1].event == "done" and kept_events[-1].id == log.last_id
    assert sum(e.event == "epoch" for e in kept_events) == 5 + 2  # the 5 early ones and the 2 later ones
    ids = [e.id for e in kept_events]
    assert ids == sorted(set(ids))


def test_epoch_only_log_falls_back_to_thinning_epochs() -> None:
    log = EventLog(10)
    for _ in range(11):
        log.append("epoch", {})
    assert [e.id for e in log.after(0)] == [1, 3, 5, 7, 9, 10, 11]


def test_wait_changed_wakes_on_append_from_another_thread_and_times_out_otherwise() -> None:
    log = EventLog(10)

    async def scenario() -> tuple[float, float, float]:
        version = log.version
        timer = threading.Timer(0.1, log.append, args=("metrics", {}))
        t0 = time.perf_counter()
        timer.start()
        await log.wait_changed(version, timeout=5.0)
        woke = time.perf_counter() - t0
        t0 = time.perf_counter()
        await log.wait_changed(version, timeout=5.0)  # already changed: returns at once
        immediate = time.perf_counter() - t0
        t0 = time.perf_counter()
        await log.wait_changed(log.version, timeout=0.1)  # nothing happens: times out
        timed_out = time.perf_counter() - t0
        return woke, immediate, timed_out

    # A fresh thread gets its own event loop (Playwright's sync API may own this thread's loop).
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        woke, immediate, timed_out = pool.submit(asyncio.run, scenario()).result()
    assert 0.05 < woke < 1.0
    assert immediate < 0.05
    assert 0.09 < timed_out < 1.0


# --- running jobs in worker processes -------------------------------------------------------


def test_job_runs_in_a_worker_process_and_records_events_summary_and_progress(make, tmp_path: Path) -> None:
    record = tmp_path / "seen.json"
    manager = make(settings(max_samples=1234), trainer=job_trainers.recording)
    job = finished(manager.submit({**CONFIG, "record_to": str(record)}))
    assert job.status is JobStatus.DONE and job.progress == 1.0
    assert job.summary == {"epochs_run": 1, "test_loss": None}
    assert events(job) == [
        (1, "metrics", {"step": 0, "progress": 0.5, "train_loss": None}),
        (2, "done", {"status": "done", "summary": {"epochs_run": 1, "test_loss": None}}),
    ]
    seen = json.loads(record.read_text())
    assert seen["config"] == {**CONFIG, "record_to": str(record)} and seen["stop"] is False
    assert seen["max_samples"] == 1234
    assert seen["pid"] != os.getpid() and seen["pid"] in manager.worker_pids()  # a real worker process
    assert job.id.startswith("j-") and job.label == "fake"
    assert manager.jobs() == [job]


def test_workers_bound_their_blas_threads(make, tmp_path: Path) -> None:
    record = tmp_path / "blas.json"
    manager = make(settings(worker_blas_threads=1), trainer=job_trainers.blas_report)
    finished(manager.submit({**CONFIG, "record_to": str(record)}))
    report = json.loads(record.read_text())
    assert report and all(n == 1 for n in report.values()), report


def test_label_defaults_to_a_description_of_the_config(make) -> None:
    manager = make(settings(), trainer=job_trainers.quick)
    job = finished(manager.submit({**CONFIG, "label": None}))
    assert job.label == "sgd · relu · [4]"


def test_running_units_are_bounded_by_the_workers_and_the_rest_wait_in_order(make, gate: FileGate) -> None:
    manager = make(settings(max_concurrent_jobs=2, worker_processes=4), trainer=gate)
    assert manager.capacity == 2  # the smaller of max_concurrent_jobs and worker_processes
    first = manager.submit(CONFIG)
    comparison = manager.submit_comparison([{**CONFIG, "label": f"c{i}"} for i in range(3)])
    gate.wait_started(2)
    waiting = manager.submit({**CONFIG, "label": "third"})  # no 429: it waits
    assert waiting.status is JobStatus.QUEUED and manager.queued_units == 1
    assert [e[1:] for e in events(waiting)] == [("queue", {"position": 1})]
    assert manager.running_units == 2 and len(manager.worker_pids()) == 2
    head = manager.get(comparison.job_ids[0])
    wait_until(lambda: head.status is JobStatus.RUNNING)  # the worker's "started" has been read
    queued = [manager.get(job_id).status for job_id in comparison.job_ids]
    assert queued == [JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.QUEUED]
    gate.release()
    for job_id in (first.id, *comparison.job_ids, waiting.id):
        assert finished(manager.get(job_id)).status is JobStatus.DONE
    # The comparison ran its jobs one after another, in order: never two at once per worker.
    assert [c for c in gate.calls if c.startswith("c")] == ["c0", "c1", "c2"]
    assert gate.max_active == 2
    assert len(manager.worker_pids()) == 2  # the workers are kept for the next units


def test_comparison_jobs_never_overlap(make, gate: FileGate) -> None:
    gate.release()  # each job returns at once
    manager = make(settings(max_concurrent_jobs=1), trainer=gate)
    comparison = manager.submit_comparison([{**CONFIG, "label": f"c{i}"} for i in range(4)])
    assert comparison.id.startswith("c-") and manager.comparison(comparison.id) == comparison
    for job_id in comparison.job_ids:
        finished(manager.get(job_id))
    assert gate.calls == ["c0", "c1", "c2", "c3"]
    assert gate.max_active == 1


def test_cancel_stops_a_running_job_within_a_second(make, gate: FileGate) -> None:
    manager = make(settings(), trainer=gate)
    job = manager.submit(CONFIG)
    gate.wait_started()
    wait_until(lambda: job.status is JobStatus.RUNNING)
    t0 = time.perf_counter()
    manager.cancel(job.id)
    assert job.wait_finished(5.0)
    elapsed = time.perf_counter() - t0
    assert job.status is JobStatus.CANCELLED
    last = events(job)[-1]
    assert last[1] == "cancelled" and last[2]["status"] == "cancelled"
    assert elapsed < 5.0  # generous on a loaded machine; the API test checks the second
    # Cancelling again, or a finished job, changes nothing.
    assert manager.cancel(job.id).status is JobStatus.CANCELLED


def test_cancelling_a_queued_comparison_job_skips_it(make, gate: FileGate) -> None:
    manager = make(settings(), trainer=gate)
    comparison = manager.submit_comparison([{**CONFIG, "label": f"c{i}"} for i in range(3)])
    gate.wait_started()
    third = manager.cancel(comparison.job_ids[2])
    assert third.status is JobStatus.CANCELLED  # at once, without waiting for the worker
    assert [e[1] for e in events(third)] == ["cancelled"]
    gate.release()
    statuses = [finished(manager.get(j)).status for j in comparison.job_ids]
    assert statuses == [JobStatus.DONE, JobStatus.DONE, JobStatus.CANCELLED]
    assert gate.calls == ["c0", "c1"]


def test_cancel_unknown_job_raises_not_found(make) -> None:
    manager = make(settings(), trainer=job_trainers.quick)
    with pytest.raises(JobNotFoundError):
        manager.cancel("j-nope")
    with pytest.raises(JobNotFoundError):
        manager.get("j-nope")


def test_input_error_becomes_an_error_event_with_the_users_message(make) -> None:
    manager = make(settings(), trainer=job_trainers.failing)
    job = finished(manager.submit({**CONFIG, "input_error": True}))
    assert job.status is JobStatus.ERROR
    assert events(job)[-1] == (
        2,
        "error",
        {
            "status": "error",
            "message": "mnist files not found in /nowhere",
            "field": "dataset.name",
            "code": "invalid",  # issue 8: the error event carries the InputError's code and params
            "params": {},
            "summary": None,
        },
    )


def test_unexpected_exception_is_logged_and_reported_generically(make, caplog: pytest.LogCaptureFixture) -> None:
    manager = make(settings(max_concurrent_jobs=1), trainer=job_trainers.failing)
    with caplog.at_level(logging.ERROR, logger="app.jobs.manager"):
        job = finished(manager.submit(CONFIG))
    assert job.status is JobStatus.ERROR
    name, data = events(job)[-1][1:]
    assert name == "error" and data["message"] == INTERNAL_ERROR_MESSAGE
    assert "secret" not in json.dumps(data)
    # The worker's traceback reaches the server log (in the web process), never the client.
    assert any("secret internal detail" in r.getMessage() for r in caplog.records)
    # The manager and its worker keep working after a failing trainer.
    wait_idle(manager)
    assert finished(manager.submit({**CONFIG, "input_error": True})).status is JobStatus.ERROR


def test_trainer_cannot_emit_terminal_events(make) -> None:
    job = finished(make(settings(), trainer=job_trainers.terminal_emitter).submit(CONFIG))
    assert [e[1] for e in events(job)] == ["metrics", "done"]
    assert events(job)[-1][2] == {"status": "done", "summary": {"epochs_run": 1}}


def test_events_per_job_are_bounded(make) -> None:
    manager = make(settings(max_events_per_job=10), trainer=job_trainers.quick)
    job = finished(manager.submit({**CONFIG, "n_metrics": 20, "n_epochs": 4}))
    kept = events(job)
    assert len(kept) <= 10
    assert [e[2]["epoch"] for e in kept if e[1] == "epoch"] == [1, 2, 3, 4]
    assert kept[-1][1] == "done" and kept[-1][0] == 20 * 4 + 4 + 1
    assert kept[0] == (1, "metrics", {"step": 0, "progress": 0.0, "train_loss": 1.0})
    ids = [e[0] for e in kept]
    assert all(a < b for a, b in itertools.pairwise(ids))


def test_a_killed_worker_ends_its_job_as_error_and_is_replaced(make) -> None:
    manager = make(settings(max_concurrent_jobs=1, worker_processes=1), trainer=job_trainers.until_cancelled)
    comparison = manager.submit_comparison([{**CONFIG, "label": "killed"}, {**CONFIG, "label": "next"}])
    first, second = (manager.get(j) for j in comparison.job_ids)
    wait_until(lambda: first.log.after(0))  # its first frame arrived
    (pid,) = manager.worker_pids()
    assert events(first)[0][2]["pid"] == pid
    os.kill(pid, signal.SIGKILL)
    finished(first)
    assert first.status is JobStatus.ERROR
    name, data = events(first)[-1][1:]
    assert name == "error" and data["code"] == "job.worker_died" and data["params"] == {"exitcode": -9}
    assert "stopped unexpectedly" in data["message"]
    # The rest of the unit goes on in a new worker process.
    wait_until(lambda: second.status is JobStatus.RUNNING)
    (replacement,) = wait_until(manager.worker_pids)
    assert replacement != pid
    manager.cancel(second.id)
    assert finished(second).status is JobStatus.CANCELLED


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_finished_jobs_expire_after_their_ttl(make) -> None:
    clock = FakeClock()
    manager = make(settings(job_ttl_seconds=10.0), trainer=job_trainers.quick, clock=clock)
    job = finished(manager.submit(CONFIG))
    clock.now += 9.0
    assert manager.get(job.id) is job
    clock.now += 2.0
    with pytest.raises(JobNotFoundError):
        manager.get(job.id)
    assert manager.jobs() == []


def test_running_jobs_are_never_evicted(make, gate: FileGate) -> None:
    clock = FakeClock()
    manager = make(settings(job_ttl_seconds=1.0, max_kept_jobs=1), trainer=gate, clock=clock)
    job = manager.submit(CONFIG)
    gate.wait_started()
    clock.now += 100.0
    assert manager.get(job.id) is job
    gate.release()
    finished(job)
    assert manager.get(job.id) is job  # its TTL counts from the end
    clock.now += 1.5
    with pytest.raises(JobNotFoundError):
        manager.get(job.id)


def test_only_max_kept_jobs_finished_jobs_are_kept_oldest_dropped_first(make) -> None:
    clock = FakeClock()
    manager = make(settings(max_kept_jobs=2, max_concurrent_jobs=1), trainer=job_trainers.quick, clock=clock)
    ids = []
    for _ in range(3):
        job = finished(manager.submit(CONFIG))
        ids.append(job.id)
        clock.now += 1.0
        wait_idle(manager)
    assert [j.id for j in manager.jobs()] == ids[1:]


def test_shutdown_cancels_running_and_queued_jobs_stops_the_workers_and_refuses_new_ones(make, gate) -> None:
    manager = make(settings(max_concurrent_jobs=1), trainer=gate)
    job = manager.submit(CONFIG)
    waiting = manager.submit(CONFIG)
    gate.wait_started()
    pids = manager.worker_pids()
    manager.shutdown(timeout=5.0)
    assert job.status is JobStatus.CANCELLED and waiting.status is JobStatus.CANCELLED
    assert manager.running_units == 0 and manager.worker_pids() == []
    for pid in pids:  # the worker processes are gone (reaped, not orphaned)
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    with pytest.raises(ManagerClosedError):
        manager.submit(CONFIG)


def test_shutdown_manager_replaces_the_process_wide_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manager_module, "_manager", None)
    first = manager_module.get_manager()
    assert manager_module.get_manager() is first
    manager_module.shutdown_manager()
    second = manager_module.get_manager()
    assert second is not first
    with pytest.raises(ManagerClosedError):
        first.submit(CONFIG)
    manager_module.shutdown_manager()


def test_observers_hear_start_every_event_and_the_end_in_order(make) -> None:
    """A registered observer (in the web process) sees the start, each event with its log id, then the end."""
    heard: list[tuple] = []
    pid = os.getpid()

    class Recorder:
        def job_started(self, job):
            heard.append(("started", job.id, job.status.value, os.getpid() == pid))

        def job_event(self, job, event_id, name, payload):
            heard.append(("event", event_id, name, payload["step"]))

        def job_finished(self, job):
            heard.append(("finished", job.status.value, job.summary))

    manager = make(settings(), trainer=job_trainers.stepping)
    manager.add_observer(Recorder())
    job = manager.submit({"label": "observed"})
    assert job.wait_finished(20)
    assert heard == [
        ("started", job.id, "running", True),
        ("event", 1, "metrics", 1),
        ("event", 2, "metrics", 2),
        ("finished", "done", {"steps": 2}),
    ]


# --- the pause gate and the frame rule ---------------------------------------------------------

SPIRAL: dict[str, Any] = {
    "dataset": {"name": "spiral", "n_samples": 240, "classes": 3},
    "model": {"hidden": [8]},
    "batch_size": 8,
    "epochs": 400,
    "telemetry": {"interval": 5, "bins": 8, "sample_size": 40},
}


def test_paused_is_announced_after_the_in_flight_frame_and_steps_give_frames_exactly_n_apart() -> None:
    """The frame rule of issue 9 point 2, on the real training loop with the real gate (in-process)."""
    log: list[tuple[str, Any]] = []
    lock = threading.Lock()

    def record(name: str, payload: Any) -> None:
        with lock:
            log.append((name, payload.get("step")))

    gate = JobGate(60.0, on_paused=lambda: record("paused", {}))
    worker = threading.Thread(target=train, args=(SPIRAL, record, gate), daemon=True)
    worker.start()
    try:
        wait_until(lambda: sum(name == "metrics" for name, _ in log) >= 3)
        gate.pause()
        wait_until(lambda: any(name == "paused" for name, _ in log))
        with lock:
            at_pause = len(log)
            assert log[-1][0] == "paused"  # every frame of the in-flight step came before it
        n = 7  # does not divide the interval: without the rule, interval frames would slip in
        frames = []
        for _ in range(3):
            with lock:
                before = len(log)
            gate.step(n)
            wait_until(lambda before=before: any(name == "metrics" for name, _ in log[before:]))
            wait_until(lambda: gate._budget == 0)
            with lock:
                new = [entry for entry in log[before:] if entry[0] == "metrics"]
            assert len(new) == 1, new  # only the closing frame
            frames.append(new[0][1])
        assert [b - a for a, b in itertools.pairwise(frames)] == [n, n]
        with lock:
            assert sum(name == "paused" for name, _ in log[at_pause:]) == 0  # announced once
    finally:
        gate.cancel()
        worker.join(10)
    assert not worker.is_alive()
