"""Worker processes as the web process sees them: start one, send it messages, hear from it.

Processes come from the ``forkserver`` start method: a small server process, started once and
single-threaded, forks each worker, so the web process (which has threads) is never forked, and
a worker starts in tens of milliseconds because the server has already imported
``app.jobs.worker`` (NumPy and the training engine). Each :class:`WorkerHandle` owns one duplex
pipe and one reader thread that hands every message to the manager; when the pipe closes
(the worker exited or was killed) the reader reports the exit code once.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from multiprocessing.context import BaseContext
from typing import Any

from app.jobs.worker import worker_main

logger = logging.getLogger(__name__)

START_METHOD = "forkserver"
"""How worker processes are started (never ``fork``: the web process has threads)."""

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""Read by the BLAS libraries when they load (as in ``app/cli.py``)."""

PRELOAD = ["app.jobs.worker"]
"""Modules the fork server imports once, so each worker starts with them loaded."""

_context: BaseContext | None = None
_context_lock = threading.Lock()


def context() -> BaseContext:
    """The process-wide multiprocessing context for workers (preloading :data:`PRELOAD`)."""
    global _context
    with _context_lock:
        if _context is None:
            # The fork server imports NumPy and then forks every worker, so it must not start BLAS
            # threads of its own: one thread unless the caller chose (each worker then sets its own
            # bound with threadpoolctl).
            for name in BLAS_THREAD_VARIABLES:
                os.environ.setdefault(name, "1")
            ctx = multiprocessing.get_context(START_METHOD)
            ctx.set_forkserver_preload(PRELOAD)
            _context = ctx
        return _context


OnMessage = Callable[["WorkerHandle", tuple[Any, ...]], None]
OnExit = Callable[["WorkerHandle", int | None], None]


class WorkerHandle:
    """One worker process and its pipe, seen from the web process.

    Parameters
    ----------
    trainer : callable
        The training function; pickled to the worker, so a module-level function (or an
        instance of a module-level class).
    blas_threads : int
        BLAS threads the worker allows itself (``threadpool_limits``).
    on_message : callable
        ``on_message(handle, message)``, called from the reader thread for each message.
    on_exit : callable
        ``on_exit(handle, exitcode)``, called once from the reader thread when the pipe closes.
    name : str
        Process name (shows in ``ps``).
    """

    def __init__(self, trainer: Any, blas_threads: int, on_message: OnMessage, on_exit: OnExit, name: str) -> None:
        ctx = context()
        parent, child = ctx.Pipe(duplex=True)
        self.name = name
        self.process = ctx.Process(  # type: ignore[attr-defined]
            target=worker_main, args=(child, trainer, blas_threads), name=name, daemon=True
        )
        self.process.start()
        child.close()
        self._conn = parent
        self._send_lock = threading.Lock()
        self._on_message = on_message
        self._on_exit = on_exit
        # What the manager has this worker do (read and written under the manager's lock).
        self.unit: Any = None
        self.job_id: str | None = None
        self.reader = threading.Thread(target=self._read, name=f"{name}-reader", daemon=True)
        self.reader.start()

    @property
    def pid(self) -> int | None:
        """The worker's process id."""
        return self.process.pid  # type: ignore[no-any-return]

    def send(self, message: tuple[Any, ...]) -> bool:
        """Send one message; False when the worker has gone (its reader reports the exit)."""
        with self._send_lock:
            try:
                self._conn.send(message)
                return True
            except (OSError, ValueError):
                return False

    def _read(self) -> None:
        while True:
            try:
                message = self._conn.recv()
            except (EOFError, OSError):
                break
            try:
                self._on_message(self, message)
            except Exception:  # pragma: no cover - a bug in the manager must not stop the reader
                logger.exception("handling message %r of %s failed", message[:2], self.name)
        self.process.join(timeout=2.0)
        exitcode = self.process.exitcode
        self._conn.close()
        self._on_exit(self, exitcode)

    def stop(self) -> None:
        """Ask the worker to exit after its current job (which should be cancelled first)."""
        self.send(("exit",))

    def join(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the process to end; terminate (then kill) it otherwise."""
        self.process.join(timeout)
        if self.process.is_alive():
            logger.warning("training worker %s did not exit; terminating it", self.name)
            self.process.terminate()
            self.process.join(1.0)
            if self.process.is_alive():
                self.process.kill()
                self.process.join(1.0)
        return not self.process.is_alive()
