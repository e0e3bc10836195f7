"""What runs in a worker: one trial, with one BLAS thread, its data set loaded once per process.

:func:`run_trial_task` is the one function both executors run (a process of the local pool, or a
Dask worker), so it takes and returns plain, picklable data. It never raises for a trial's own
failure: an engine error (a configuration the engine refuses) or any other exception becomes a
trial with ``status: "error"`` and a message, so the search goes on.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)

#: Data sets kept per worker process (a search's trials share one; a few searches may interleave).
DATA_CACHE_SIZE = 4

#: How often a pool worker checks that the web process that started it is still alive.
ORPHAN_CHECK_SECONDS = 1.0

_cache: OrderedDict[str, Any] = OrderedDict()
_cache_lock = threading.Lock()
_blas_limited = False


def threadpool_limits() -> Any:
    """``threadpoolctl.threadpool_limits`` (the package ships no type information)."""
    return importlib.import_module("threadpoolctl").threadpool_limits


def init_worker(nice: int = 0) -> None:
    """Process-pool initializer: one BLAS thread for the whole worker process (threadpoolctl), a
    niceness of at least ``nice`` (a search is background work: beside the class's training jobs it
    gets the cycles they leave), and a watchdog that ends the worker when the web process is gone
    (killed with SIGKILL, its pool's processes would otherwise linger, each holding a core's worth of
    a trial)."""
    global _blas_limited
    with contextlib.suppress(OSError):
        current = os.nice(0)
        if nice > current:
            os.nice(nice - current)
    threadpool_limits()(limits=1)
    _blas_limited = True
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(ORPHAN_CHECK_SECONDS)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="orphan-watchdog", daemon=True).start()


def _data(config: Any, limits: dict[str, Any]) -> Any:
    """The config's split, loaded once per process and data-set configuration."""
    from app.core.nn.options import to_dict
    from app.core.nn.run import load_data

    key = json.dumps([to_dict(config.dataset), limits.get("mnist_dir"), limits.get("data_dir")], sort_keys=True)
    with _cache_lock:
        if key in _cache:
            _cache.move_to_end(key)
            return _cache[key]
    data = load_data(config, limits.get("mnist_dir"), limits.get("max_samples"), limits.get("data_dir"))
    with _cache_lock:
        _cache[key] = data
        while len(_cache) > DATA_CACHE_SIZE:
            _cache.popitem(last=False)
    return data


def run_trial_task(payload: dict[str, Any]) -> dict[str, Any]:
    """Run one trial: ``{"config", "limits", "stop", "poll"}`` → the trial's result.

    ``config`` is the trial's training config (``to_dict`` shape), ``limits`` holds
    ``max_samples``, ``mnist_dir`` and ``data_dir``, ``stop`` is a picklable stop signal
    (``app/searches/signals.py``). The result is :func:`app.core.nn.search.run_trial`'s, or
    ``{"status": "error", "message", "code"?, "field"?}``, plus ``"worker"`` (host:pid).
    """
    from app.core.errors import InputError
    from app.core.nn.config import parse_config
    from app.core.nn.search import POLL_SECONDS, run_trial

    stop: Callable[[], bool] = payload["stop"]
    worker = f"{os.uname().nodename}:{os.getpid()}"
    try:
        if not _blas_limited:  # a Dask worker: its threads get one BLAS thread each for the trial
            with threadpool_limits()(limits=1):
                return _run(payload, stop, worker, parse_config, run_trial, POLL_SECONDS)
        return _run(payload, stop, worker, parse_config, run_trial, POLL_SECONDS)
    except InputError as exc:
        return {"status": "error", "message": exc.message, "code": exc.code, "field": exc.field, "worker": worker}
    except Exception as exc:
        logger.exception("search trial failed")
        return {"status": "error", "message": f"{type(exc).__name__}: {exc}"[:300], "worker": worker}


def _run(
    payload: dict[str, Any],
    stop: Callable[[], bool],
    worker: str,
    parse_config: Callable[[Any], Any],
    run_trial: Callable[..., dict[str, Any]],
    poll_default: float,
) -> dict[str, Any]:
    if stop():
        return {"status": "cancelled", "epochs": [], "steps": 0, "elapsed": 0.0, "worker": worker}
    config = parse_config(payload["config"])
    data = _data(config, payload.get("limits", {}))
    result = run_trial(config, stop, data=data, poll_seconds=float(payload.get("poll", poll_default)))
    result["worker"] = worker
    return result
