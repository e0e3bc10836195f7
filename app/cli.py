"""The console script ``optimizer-playground [--host H] [--port P]``: serve the app with uvicorn.

``make run``, the Docker image and a plain ``pip install .`` all start the server through
:func:`main`. Host and port default to the settings (``PLAYGROUND_HOST`` / ``PLAYGROUND_PORT``, or
``.env``); the flags override them.

BLAS threads: the reference machine has 2 cores, and the server already runs work in parallel
(up to ``max_concurrent_jobs`` training jobs in worker threads, plus request handlers), so each
NumPy matrix product gets one BLAS thread unless the caller chose otherwise: :func:`limit_blas_threads`
sets the variables below only where they are unset, before NumPy is first imported. The test suite
applies the same default (``tests/conftest.py``).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import MutableMapping, Sequence

from app import __version__

BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
"""Thread-count variables of the BLAS builds NumPy ships with (OpenBLAS) or may be built against."""

DEFAULT_BLAS_THREADS = "1"

GRACEFUL_SHUTDOWN_SECONDS = 3
"""How long uvicorn waits for open streams (SSE) on shutdown before closing them."""


def limit_blas_threads(environ: MutableMapping[str, str] = os.environ) -> None:
    """Default every BLAS thread count to one, keeping any value the caller set.

    Must run before NumPy is imported: OpenBLAS reads these variables once, when it loads.
    """
    for name in BLAS_THREAD_VARIABLES:
        environ.setdefault(name, DEFAULT_BLAS_THREADS)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse ``--host`` and ``--port`` (defaults from the settings) and ``--version``."""
    from app.config import get_settings

    settings = get_settings()
    parser = argparse.ArgumentParser(
        prog="optimizer-playground",
        description="Serve Optimizer Playground (Optimizer Lab at /, Training Lab at /training, API docs at /docs).",
    )
    parser.add_argument("--host", default=settings.host, help=f"bind address (default: {settings.host})")
    parser.add_argument("--port", type=int, default=settings.port, help=f"TCP port (default: {settings.port})")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``optimizer-playground`` console script."""
    limit_blas_threads()
    args = parse_args(argv)

    import uvicorn

    from app.config import get_settings
    from app.connections import header_timeout_protocol

    settings = get_settings()
    config = uvicorn.Config(
        "app.main:app",
        host=args.host,
        port=args.port,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        # connections (app/connections.py): idle after an answer, slow request heads, how many at once
        timeout_keep_alive=settings.keep_alive_seconds,
        http=header_timeout_protocol(settings.header_timeout_seconds),
        limit_concurrency=settings.connection_limit,
    )
    cancel_jobs_first_server()(config).run()


def cancel_jobs_first_server() -> type:
    """uvicorn's server, cancelling the training jobs first on shutdown (SIGTERM, Ctrl-C).

    uvicorn waits (up to ``timeout_graceful_shutdown``) for open responses before the app's
    lifespan shutdown runs; cancelling the jobs first lets every open job stream send its
    ``cancelled`` event and end within that wait, then the lifespan stops the worker processes.
    """
    import asyncio
    import socket

    import uvicorn

    from app.jobs.manager import cancel_all_jobs, get_manager
    from app.store.recorder import server_stopping

    class Server(uvicorn.Server):
        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            server_stopping(get_manager())  # the jobs cancelled now are saved as interrupted
            await asyncio.to_thread(cancel_all_jobs)
            await super().shutdown(sockets)

    return Server
