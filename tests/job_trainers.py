"""Fake trainers for the job tests, module-level so they pickle into real worker processes.

A trainer runs in a worker process, so a test cannot share Python objects with it: what a trainer
needs comes in its config (manager tests) or in the attributes of a module-level class instance
(pickled once per worker), and what it reports goes into files that the test reads.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

from app.core.errors import InputError


def quick(config, emit, should_stop, mnist_dir=None, limits=None):
    """``config["n_metrics"]`` metrics per epoch (default 3), then an epoch event, for ``n_epochs`` (2)."""
    n_metrics, n_epochs = int(config.get("n_metrics", 3)), int(config.get("n_epochs", 2))
    total = n_metrics * n_epochs
    for epoch in range(n_epochs):
        for k in range(n_metrics):
            step = epoch * n_metrics + k
            emit("metrics", {"step": step, "progress": step / total, "train_loss": 1.0 / (step + 1)})
        emit("epoch", {"epoch": epoch + 1, "progress": (epoch + 1) / n_epochs})
    return {"epochs_run": n_epochs, "test_acc": 0.5}


def recording(config, emit, should_stop, mnist_dir=None, limits=None):
    """Write what it was given (and its process id) to ``config["record_to"]``, emit one NaN, return an inf."""
    Path(config["record_to"]).write_text(
        json.dumps(
            {
                "config": config,
                "max_samples": (limits or {}).get("max_samples"),
                "pid": os.getpid(),
                "stop": should_stop(),
            }
        )
    )
    emit("metrics", {"step": 0, "progress": 0.5, "train_loss": float("nan")})
    return {"epochs_run": 1, "test_loss": float("inf")}


def failing(config, emit, should_stop, mnist_dir=None, limits=None):
    """An InputError after one event when ``config["input_error"]``, else an unexpected exception."""
    emit("metrics", {"step": 0})
    if config.get("input_error"):
        raise InputError("dataset.name", "mnist files not found in /nowhere")
    raise ZeroDivisionError("secret internal detail")


def terminal_emitter(config, emit, should_stop, mnist_dir=None, limits=None):
    """Tries to end its own stream early (the worker must ignore that)."""
    emit("done", {"fake": True})
    emit("metrics", {"step": 1})
    return {"epochs_run": 1}


def stepping(config, emit, should_stop, mnist_dir=None, limits=None):
    """``config["steps"]`` metrics events with ``step`` 1, 2, … (default 2)."""
    for step in range(1, int(config.get("steps", 2)) + 1):
        emit("metrics", {"step": step})
    return {"steps": int(config.get("steps", 2))}


def until_cancelled(config, emit, should_stop, mnist_dir=None, limits=None):
    """Emit one frame, then poll until cancelled (at most 30 s)."""
    emit("metrics", {"step": 0, "progress": 0.0, "pid": os.getpid()})
    deadline = time.monotonic() + 30.0
    while not should_stop() and time.monotonic() < deadline:
        time.sleep(0.01)
    return {"status": "cancelled", "epochs_run": 0}


def busy(config, emit, should_stop, mnist_dir=None, limits=None):
    """Training-like CPU work (NumPy matrix products plus Python glue) until cancelled or 10 s."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 256))
    w = rng.standard_normal((256, 256)) / 16.0
    deadline = time.monotonic() + 10.0
    step = 0
    while not should_stop() and time.monotonic() < deadline:
        h = np.tanh(x @ w)
        w -= 1e-3 * (x.T @ (1.0 - h * h)) / len(x)
        step += 1
        if step % 50 == 0:
            emit("metrics", {"step": step, "progress": 0.0})
    return {"epochs_run": 0, "steps": step}


class Scripted:
    """``n_metrics`` metrics per epoch (the second with a NaN loss) and an epoch event per epoch."""

    def __init__(self, n_metrics: int = 6, n_epochs: int = 2, delay: float = 0.0) -> None:
        self.n_metrics, self.n_epochs, self.delay = n_metrics, n_epochs, delay

    def __call__(self, config, emit, should_stop, mnist_dir=None, limits=None):
        total = self.n_metrics * self.n_epochs
        for epoch in range(self.n_epochs):
            for k in range(self.n_metrics):
                if should_stop():
                    return {"epochs_run": epoch}
                step = epoch * self.n_metrics + k
                loss = float("nan") if step == 1 else 1.0 / (step + 1)
                emit("metrics", {"step": step, "progress": step / total, "train_loss": loss})
                time.sleep(self.delay)
            emit("epoch", {"epoch": epoch + 1, "progress": (epoch + 1) / self.n_epochs})
        return {"epochs_run": self.n_epochs, "test_acc": 0.75, "test_loss": float("inf")}


class FileGate:
    """A trainer that emits one frame, then waits until released (a file appears) or cancelled.

    Every start and end is a line ``start <label>`` / ``end <label>`` appended to ``log``, so the
    test sees the order of the calls and how many ran at once, across processes.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.release_file = self.folder / "release"
        self.log = self.folder / "calls.log"
        self._seen = 0

    def _note(self, line: str) -> None:
        with open(self.log, "a", encoding="utf-8") as out:  # one short append: atomic across processes
            out.write(line + "\n")

    def __call__(self, config, emit, should_stop, mnist_dir=None, limits=None):
        label = str(config.get("label"))
        self._note(f"start {label} {uuid.uuid4().hex[:6]}")
        try:
            emit("metrics", {"step": 0, "progress": 0.0})
            deadline = time.monotonic() + 60.0
            while not self.release_file.exists() and time.monotonic() < deadline:
                if should_stop():
                    return {"status": "cancelled", "epochs_run": 0}
                time.sleep(0.01)
            emit("epoch", {"epoch": 1, "progress": 1.0})
            return {"status": "done", "epochs_run": 1}
        finally:
            self._note(f"end {label}")

    # --- the test's side ----------------------------------------------------------------------

    def release(self) -> None:
        self.release_file.touch()

    def lines(self) -> list[list[str]]:
        return [line.split() for line in self.log.read_text().splitlines()] if self.log.exists() else []

    @property
    def calls(self) -> list[str]:
        """Labels of the calls, in the order they started."""
        return [parts[1] for parts in self.lines() if parts[0] == "start"]

    @property
    def max_active(self) -> int:
        """Most calls running at once."""
        active = most = 0
        for parts in self.lines():
            active += 1 if parts[0] == "start" else -1
            most = max(most, active)
        return most

    def wait_started(self, n: int = 1, timeout: float = 20.0) -> None:
        """Wait until ``n`` more calls have started than at the previous wait."""
        deadline = time.monotonic() + timeout
        while len(self.calls) < self._seen + n:
            assert time.monotonic() < deadline, "the fake trainer did not start"
            time.sleep(0.01)
        self._seen += n


def wait_until(predicate: Any, timeout: float = 20.0, message: str = "condition not reached") -> Any:
    """Poll ``predicate`` until it returns something truthy (fails after ``timeout`` s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, message
        time.sleep(0.01)


def blas_report(config, emit, should_stop, mnist_dir=None, limits=None):
    """Write the BLAS libraries' thread counts as the worker sees them to ``config["record_to"]``."""
    from threadpoolctl import threadpool_info

    counts = {f"{info['internal_api']}:{k}": info["num_threads"] for k, info in enumerate(threadpool_info())}
    Path(config["record_to"]).write_text(json.dumps(counts))
    return {"epochs_run": 0}


def input_error(config, emit, should_stop, mnist_dir=None, limits=None):
    """Fails at once with a user-facing error."""
    raise InputError("dataset.name", "the MNIST files are missing")
