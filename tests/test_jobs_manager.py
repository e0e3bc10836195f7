"""The job manager and its bounded event log, driven by fake trainers (fast and deterministic)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import itertools
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

from app.config import Settings
from app.core.errors import InputError
from app.jobs import manager as manager_module
from app.jobs.events import EventLog, json_safe, to_json_text
from app.jobs.manager import (
    INTERNAL_ERROR_MESSAGE,
    JobManager,
    JobNotFoundError,
    JobStatus,
    ManagerClosedError,
    TooManyJobsError,
)

CONFIG: dict[str, Any] = {
    "label": "fake",
    "model": {"hidden": [4], "activation": "relu"},
    "optimizer": {"optimizer": "sgd"},
}


def settings(**overrides: Any) -> Settings:
    """Settings with test-sized limits."""
    base = {"max_concurrent_jobs": 2, "max_kept_jobs": 50, "job_ttl_seconds": 3600.0, "max_events_per_job": 2000}
    return Settings(**{**base, **overrides})


def quick_trainer(n_metrics: int = 3, n_epochs: int = 2) -> Callable[..., dict[str, Any]]:
    """A trainer that emits ``n_metrics`` metrics per epoch, then an epoch event, and finishes."""

    def train(config, emit, should_stop, mnist_dir=None, limits=None):
        total = n_metrics * n_epochs
        for epoch in range(n_epochs):
            for k in range(n_metrics):
                step = epoch * n_metrics + k
                emit("metrics", {"step": step, "progress": step / total, "train_loss": 1.0 / (step + 1)})
            emit("epoch", {"epoch": epoch + 1, "progress": (epoch + 1) / n_epochs})
        return {"epochs_run": n_epochs, "test_acc": 0.5}

    return train


class Gate:
    """A trainer that blocks until released (or cancelled), to hold a worker slot open."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)
        self.calls: list[str | None] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def __call__(self, config, emit, should_stop, mnist_dir=None, limits=None):
        with self._lock:
            self.calls.append(config.get("label"))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.started.release()
        try:
            emit("metrics", {"step": 0, "progress": 0.0})
            while not self.release.is_set():
                if should_stop():
                    return {"status": "cancelled", "epochs_run": 0}
                time.sleep(0.01)
            return {"status": "done", "epochs_run": 1}
        finally:
            with self._lock:
                self.active -= 1

    def wait_started(self, timeout: float = 2.0) -> None:
        assert self.started.acquire(timeout=timeout), "the fake trainer did not start"


@pytest.fixture
def gate() -> Iterator[Gate]:
    g = Gate()
    yield g
    g.release.set()


def finished(job, timeout: float = 5.0):
    assert job.wait_finished(timeout), f"job {job.id} did not finish"
    return job


def events(job) -> list[tuple[int, str, Any]]:
    return [(e.id, e.event, json.loads(e.data_json)) for e in job.log.after(0)]


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


# --- running jobs -----------------------------------------------------------------------------


def test_job_runs_in_a_worker_and_records_events_summary_and_progress() -> None:
    seen: dict[str, Any] = {}

    def train(config, emit, should_stop, mnist_dir=None, limits=None):
        seen.update(config=config, limits=limits, thread=threading.current_thread().name, stop=should_stop())
        emit("metrics", {"step": 0, "progress": 0.5, "train_loss": float("nan")})
        return {"epochs_run": 1, "test_loss": float("inf")}

    manager = JobManager(settings(max_samples=1234), trainer=train)
    job = finished(manager.submit(CONFIG))
    assert job.status is JobStatus.DONE and job.progress == 1.0
    assert job.summary == {"epochs_run": 1, "test_loss": None}
    assert events(job) == [
        (1, "metrics", {"step": 0, "progress": 0.5, "train_loss": None}),
        (2, "done", {"status": "done", "summary": {"epochs_run": 1, "test_loss": None}}),
    ]
    assert seen["config"] == CONFIG and seen["stop"] is False
    assert seen["limits"]["max_samples"] == 1234
    assert seen["thread"] != threading.current_thread().name
    assert job.id.startswith("j-") and job.label == "fake"
    assert manager.jobs() == [job]


def test_label_defaults_to_a_description_of_the_config() -> None:
    manager = JobManager(settings(), trainer=quick_trainer())
    job = finished(manager.submit({**CONFIG, "label": None}))
    assert job.label == "sgd · relu · [4]"


def test_running_jobs_are_limited_and_a_comparison_takes_one_slot(gate: Gate) -> None:
    manager = JobManager(settings(max_concurrent_jobs=2), trainer=gate)
    first = manager.submit(CONFIG)
    comparison = manager.submit_comparison([{**CONFIG, "label": f"c{i}"} for i in range(3)])
    gate.wait_started()
    gate.wait_started()
    with pytest.raises(TooManyJobsError) as err:
        manager.submit(CONFIG)
    assert err.value.limit == 2 and "the most at once (2)" in str(err.value)  # issue 8 pt 10: plain words
    with pytest.raises(TooManyJobsError):
        manager.submit_comparison([CONFIG])
    assert manager.running_units == 2
    queued = [manager.get(job_id).status for job_id in comparison.job_ids]
    assert queued == [JobStatus.RUNNING, JobStatus.QUEUED, JobStatus.QUEUED]
    gate.release.set()
    for job_id in (first.id, *comparison.job_ids):
        assert finished(manager.get(job_id)).status is JobStatus.DONE
    # The comparison ran its jobs one after another, in order: never two at once per slot.
    assert [c for c in gate.calls if c != "fake"] == ["c0", "c1", "c2"]
    assert gate.max_active == 2
    deadline = time.monotonic() + 2
    while manager.running_units and time.monotonic() < deadline:
        time.sleep(0.01)
    assert finished(manager.submit(CONFIG)).status is JobStatus.DONE  # slots are free again


def test_comparison_jobs_never_overlap() -> None:
    gate = Gate()
    gate.release.set()  # each job returns at once
    manager = JobManager(settings(max_concurrent_jobs=1), trainer=gate)
    comparison = manager.submit_comparison([{**CONFIG, "label": f"c{i}"} for i in range(4)])
    assert comparison.id.startswith("c-") and manager.comparison(comparison.id) == comparison
    for job_id in comparison.job_ids:
        finished(manager.get(job_id))
    assert gate.calls == ["c0", "c1", "c2", "c3"]
    assert gate.max_active == 1


def test_cancel_stops_a_running_job_within_a_second(gate: Gate) -> None:
    manager = JobManager(settings(), trainer=gate)
    job = manager.submit(CONFIG)
    gate.wait_started()
    t0 = time.perf_counter()
    manager.cancel(job.id)
    assert job.wait_finished(1.0)
    assert time.perf_counter() - t0 < 1.0
    assert job.status is JobStatus.CANCELLED
    last = events(job)[-1]
    assert last[1] == "cancelled" and last[2]["status"] == "cancelled"
    # Cancelling again, or a finished job, changes nothing.
    assert manager.cancel(job.id).status is JobStatus.CANCELLED


def test_cancelling_a_queued_comparison_job_skips_it(gate: Gate) -> None:
    manager = JobManager(settings(), trainer=gate)
    comparison = manager.submit_comparison([{**CONFIG, "label": f"c{i}"} for i in range(3)])
    gate.wait_started()
    third = manager.cancel(comparison.job_ids[2])
    assert third.status is JobStatus.CANCELLED  # at once, without waiting for the worker
    assert [e[1] for e in events(third)] == ["cancelled"]
    gate.release.set()
    statuses = [finished(manager.get(j)).status for j in comparison.job_ids]
    assert statuses == [JobStatus.DONE, JobStatus.DONE, JobStatus.CANCELLED]
    assert gate.calls == ["c0", "c1"]


def test_cancel_unknown_job_raises_not_found() -> None:
    manager = JobManager(settings(), trainer=quick_trainer())
    with pytest.raises(JobNotFoundError):
        manager.cancel("j-nope")
    with pytest.raises(JobNotFoundError):
        manager.get("j-nope")


def test_input_error_becomes_an_error_event_with_the_users_message() -> None:
    def train(config, emit, should_stop, mnist_dir=None, limits=None):
        emit("metrics", {"step": 0})
        raise InputError("dataset.name", "mnist files not found in /nowhere")

    manager = JobManager(settings(), trainer=train)
    job = finished(manager.submit(CONFIG))
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


def test_unexpected_exception_is_logged_and_reported_generically(caplog: pytest.LogCaptureFixture) -> None:
    calls = []

    def train(config, emit, should_stop, mnist_dir=None, limits=None):
        calls.append(1)
        if len(calls) == 1:
            raise ZeroDivisionError("secret internal detail")
        return {"epochs_run": 1}

    manager = JobManager(settings(max_concurrent_jobs=1), trainer=train)
    with caplog.at_level(logging.ERROR, logger="app.jobs.manager"):
        job = finished(manager.submit(CONFIG))
    assert job.status is JobStatus.ERROR
    name, data = events(job)[-1][1:]
    assert name == "error" and data["message"] == INTERNAL_ERROR_MESSAGE
    assert "secret" not in json.dumps(data)
    assert any(
        "secret internal detail" in r.getMessage() or (r.exc_info and "secret" in str(r.exc_info[1]))
        for r in caplog.records
    )
    # The manager keeps working after a failing trainer.
    deadline = time.monotonic() + 2
    while manager.running_units and time.monotonic() < deadline:
        time.sleep(0.01)
    assert finished(manager.submit(CONFIG)).status is JobStatus.DONE


def test_trainer_cannot_emit_terminal_events() -> None:
    def train(config, emit, should_stop, mnist_dir=None, limits=None):
        emit("done", {"fake": True})
        emit("metrics", {"step": 1})
        return {"epochs_run": 1}

    job = finished(JobManager(settings(), trainer=train).submit(CONFIG))
    assert [e[1] for e in events(job)] == ["metrics", "done"]
    assert events(job)[-1][2] == {"status": "done", "summary": {"epochs_run": 1}}


def test_events_per_job_are_bounded() -> None:
    manager = JobManager(settings(max_events_per_job=10), trainer=quick_trainer(n_metrics=20, n_epochs=4))
    job = finished(manager.submit(CONFIG))
    kept = events(job)
    assert len(kept) <= 10
    assert [e[2]["epoch"] for e in kept if e[1] == "epoch"] == [1, 2, 3, 4]
    assert kept[-1][1] == "done" and kept[-1][0] == 20 * 4 + 4 + 1
    assert kept[0] == (1, "metrics", {"step": 0, "progress": 0.0, "train_loss": 1.0})
    ids = [e[0] for e in kept]
    assert all(a < b for a, b in itertools.pairwise(ids))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_finished_jobs_expire_after_their_ttl() -> None:
    clock = FakeClock()
    manager = JobManager(settings(job_ttl_seconds=10.0), trainer=quick_trainer(), clock=clock)
    job = finished(manager.submit(CONFIG))
    clock.now += 9.0
    assert manager.get(job.id) is job
    clock.now += 2.0
    with pytest.raises(JobNotFoundError):
        manager.get(job.id)
    assert manager.jobs() == []


def test_running_jobs_are_never_evicted(gate: Gate) -> None:
    clock = FakeClock()
    manager = JobManager(settings(job_ttl_seconds=1.0, max_kept_jobs=1), trainer=gate, clock=clock)
    job = manager.submit(CONFIG)
    gate.wait_started()
    clock.now += 100.0
    assert manager.get(job.id) is job
    gate.release.set()
    finished(job)
    assert manager.get(job.id) is job  # its TTL counts from the end
    clock.now += 1.5
    with pytest.raises(JobNotFoundError):
        manager.get(job.id)


def test_only_max_kept_jobs_finished_jobs_are_kept_oldest_dropped_first() -> None:
    clock = FakeClock()
    manager = JobManager(settings(max_kept_jobs=2, max_concurrent_jobs=1), trainer=quick_trainer(), clock=clock)
    ids = []
    for _ in range(3):
        job = finished(manager.submit(CONFIG))
        ids.append(job.id)
        clock.now += 1.0
        deadline = time.monotonic() + 2
        while manager.running_units and time.monotonic() < deadline:
            time.sleep(0.005)
    assert [j.id for j in manager.jobs()] == ids[1:]


def test_shutdown_cancels_running_jobs_and_refuses_new_ones(gate: Gate) -> None:
    manager = JobManager(settings(), trainer=gate)
    job = manager.submit(CONFIG)
    gate.wait_started()
    t0 = time.perf_counter()
    manager.shutdown(timeout=2.0)
    assert time.perf_counter() - t0 < 1.0
    assert job.status is JobStatus.CANCELLED and manager.running_units == 0
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


def test_observers_hear_start_every_event_and_the_end_in_order():
    """A registered observer sees the job start, each emitted event with its log id, then the end."""
    heard: list[tuple] = []

    class Recorder:
        def job_started(self, job):
            heard.append(("started", job.id, job.status.value))

        def job_event(self, job, event_id, name, payload):
            heard.append(("event", event_id, name, payload["step"]))

        def job_finished(self, job):
            heard.append(("finished", job.status.value, job.summary))

    def trainer(config, emit, should_stop, mnist_dir=None, limits=None):
        for step in (1, 2):
            emit("metrics", {"step": step})
        return {"steps": 2}

    manager = JobManager(trainer=trainer)
    manager.add_observer(Recorder())
    job = manager.submit({"label": "observed"})
    assert job.wait_finished(10)
    assert heard == [
        ("started", job.id, "running"),
        ("event", 1, "metrics", 1),
        ("event", 2, "metrics", 2),
        ("finished", "done", {"steps": 2}),
    ]
