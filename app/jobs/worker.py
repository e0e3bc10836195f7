"""The body of one training worker process (started by ``app/jobs/pool.py``; the web process never trains).

A worker bounds its BLAS threads once at start (``threadpoolctl.threadpool_limits``, setting
``worker_blas_threads``) so that ``worker_processes`` workers side by side never oversubscribe
the cores, then runs one job at a time. It talks to the web process over one duplex pipe, in
picklable tuples:

to the worker
    ``("run", job_id, config, limits, mnist_dir, max_pause_seconds)``,
    ``("cancel", job_id)``, ``("pause", job_id)``, ``("resume", job_id)``,
    ``("step", job_id, steps)``, ``("exit",)``.
from the worker
    ``("started", job_id)``; ``("event", job_id, name, json_text, progress)`` for each
    ``metrics`` / ``epoch`` / … event (serialised here, so the web process only stores the text);
    ``("paused", job_id)`` once the trainer really waits at its gate;
    ``("finished", job_id, status, payload, traceback_text)`` with status ``done`` /
    ``cancelled`` / ``error`` (``traceback_text`` is logged by the web process, never shown).

A listener thread reads the pipe and drives the job's :class:`~app.jobs.control.JobGate`; the
main thread trains. When the pipe closes (the web process died), the worker exits at once, so no
orphan keeps training.
"""

from __future__ import annotations

import os
import queue
import threading
import traceback
from functools import partial
from multiprocessing.connection import Connection
from typing import Any

from app.core.errors import InputError
from app.jobs.control import JobGate
from app.jobs.events import TERMINAL_EVENTS, json_safe, to_json_text

INTERNAL_ERROR_MESSAGE = "Training failed because of an internal error; the server log has details."


def _progress(payload: Any) -> float | None:
    """The payload's ``progress`` when it is a number in [0, 1]."""
    value = payload.get("progress") if isinstance(payload, dict) else None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0:
        return float(value)
    return None


class _Worker:
    """State of one worker process: its pipe, the gates of the jobs it was given, the run queue."""

    def __init__(self, conn: Connection, trainer: Any) -> None:
        self.conn = conn
        self.trainer = trainer
        self.runs: queue.Queue[tuple[Any, ...] | None] = queue.Queue()
        self.gates: dict[str, JobGate] = {}
        self.lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        try:
            self.conn.send(message)
        except (OSError, ValueError):  # the web process has gone
            os._exit(0)

    def listen(self) -> None:
        """Listener thread: hand runs to the main thread, apply controls to their gates."""
        while True:
            try:
                message = self.conn.recv()
            except (EOFError, OSError):
                os._exit(0)  # the web process has gone: stop training at once
            kind = message[0]
            if kind == "exit":
                with self.lock:
                    for gate in self.gates.values():
                        gate.cancel()
                self.runs.put(None)
                return
            job_id = message[1]
            if kind == "run":
                gate = JobGate(message[5], on_paused=partial(self.send, ("paused", job_id)))
                with self.lock:
                    self.gates[job_id] = gate
                self.runs.put(message)
                continue
            with self.lock:
                gate_or_none = self.gates.get(job_id)
            if gate_or_none is None:
                continue  # that job has finished already
            if kind == "cancel":
                gate_or_none.cancel()
            elif kind == "pause":
                gate_or_none.pause()
            elif kind == "resume":
                gate_or_none.resume()
            elif kind == "step":
                gate_or_none.step(int(message[2]))

    def serve(self) -> None:
        """Main thread: run the jobs one after another until told to exit."""
        while True:
            message = self.runs.get()
            if message is None:
                return
            _, job_id, config, limits, mnist_dir, _ = message
            with self.lock:
                gate = self.gates[job_id]
            try:
                self.run(job_id, config, limits, mnist_dir, gate)
            finally:
                with self.lock:
                    self.gates.pop(job_id, None)

    def run(self, job_id: str, config: dict[str, Any], limits: dict[str, Any], mnist_dir: Any, gate: JobGate) -> None:
        self.send(("started", job_id))

        def emit(name: str, payload: dict[str, Any]) -> None:
            if name in TERMINAL_EVENTS:  # the terminal events belong to the manager
                return
            self.send(("event", job_id, name, to_json_text(payload), _progress(payload)))

        try:
            summary = self.trainer(config, emit, gate, mnist_dir=mnist_dir, limits=limits)
        except InputError as exc:
            payload = {
                "status": "error",
                "message": exc.message,
                "field": exc.field,
                "code": exc.code,
                "params": json_safe(exc.params),
                "summary": None,
            }
            self.send(("finished", job_id, "error", payload, None))
            return
        except Exception:
            payload = {"status": "error", "message": INTERNAL_ERROR_MESSAGE, "summary": None}
            self.send(("finished", job_id, "error", payload, traceback.format_exc()))
            return
        status = "cancelled" if gate.cancelled else "done"
        summary = json_safe(summary) if isinstance(summary, dict) else None
        self.send(("finished", job_id, status, {"status": status, "summary": summary}, None))


def worker_main(conn: Connection, trainer: Any, blas_threads: int) -> None:
    """Entry point of a worker process: bound BLAS threads, then serve runs from ``conn``."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    threadpool_limits(limits=blas_threads)
    worker = _Worker(conn, trainer)
    threading.Thread(target=worker.listen, name="worker-listener", daemon=True).start()
    worker.serve()
