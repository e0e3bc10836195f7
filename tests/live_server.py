"""The real app under uvicorn in a daemon thread, for tests that talk to it over HTTP.

Used by the browser tests' ``live_server`` fixture and by the notebook-page test. The server binds
a port the OS picks; the caller waits on an event set once it listens, never on a clock.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn


class _Server(uvicorn.Server):
    """uvicorn's server with an event set once it listens."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        self.ready.set()


@contextmanager
def serve_app(thread_name: str, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app.main:app`` on 127.0.0.1 and yield its base URL; stop it on exit.

    Raises ``RuntimeError`` when the server has not started within ``timeout`` seconds.
    """
    from app.main import app

    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, name=thread_name, daemon=True)
    thread.start()
    try:
        if not server.ready.wait(timeout=timeout) or not server.started:
            raise RuntimeError(f"uvicorn did not start ({thread_name})")
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_subprocess(settings: dict[str, str], timeout: float = 60.0) -> Iterator[str]:
    """``python -m app`` in its own process with ``settings`` (``PLAYGROUND_*`` variables) added to
    this process's environment; yields its base URL once ``/api/health`` answers, stops it on exit.

    For tests whose settings differ from the session's (they are read once per process).
    """
    import os
    import subprocess
    import sys
    import time
    import urllib.request

    port = _free_port()
    env = {**os.environ, **settings}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/api/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)  # polling for start-up, not a timing assumption
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
