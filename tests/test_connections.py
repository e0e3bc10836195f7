"""Connections against a real server process (``python -m app``, the console script's code path).

Raw sockets check what uvicorn and ``app/connections.py`` do with clients that never finish a
request: an idle socket is closed, a request head sent a byte at a time is cut off, an idle
keep-alive connection is closed after its answer, and many idle sockets do not stop the server
from answering. A client that drops an SSE stream mid-way leaves at most one INFO line in the
log, never an ERROR or a traceback. The server runs with 1-second timeouts
(``PLAYGROUND_HEADER_TIMEOUT_SECONDS``, ``PLAYGROUND_KEEP_ALIVE_SECONDS``); every wait below is
bounded generously (seconds, not the timeout itself), so a loaded machine only makes it slower.
"""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
TIMEOUT = 1.0
"""The server's header and keep-alive timeouts in these tests (seconds)."""
PATIENCE = 30.0
"""Longest any socket operation below may block (a generous bound, not a timing assertion)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _get(port: int, path: str = "/api/health") -> tuple[int, bytes]:
    """One request on a fresh connection: status and body."""
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        data = _read_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def _read_all(s: socket.socket) -> bytes:
    """Everything until the server closes the connection (raises on PATIENCE)."""
    chunks = []
    while chunk := s.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _closed_by_server(s: socket.socket) -> bool:
    """Whether the server closes ``s`` (EOF or reset) before PATIENCE runs out, sending nothing."""
    s.settimeout(PATIENCE)
    try:
        return s.recv(1024) == b""
    except ConnectionResetError:
        return True


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """``python -m app`` on a free port with 1-second timeouts; yields (port, log file)."""
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = {
        **os.environ,
        "PLAYGROUND_HEADER_TIMEOUT_SECONDS": str(TIMEOUT),
        "PLAYGROUND_KEEP_ALIVE_SECONDS": str(int(TIMEOUT)),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "--port", str(port)], cwd=REPO, env=env, stdout=out, stderr=out
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port)[0] == 200:
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"server did not start:\n{log.read_text()}")
                time.sleep(0.1)
        yield port, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def test_a_socket_that_sends_nothing_is_closed(server: tuple[int, Path]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port)) as s:
        assert _closed_by_server(s)


def test_a_request_head_sent_byte_by_byte_is_cut_off(server: tuple[int, Path]) -> None:
    port, _ = server
    head = b"GET /api/health HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " + b"x" * 200 + b"\r\n\r\n"
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as s:
        try:
            for byte in head:
                s.sendall(bytes([byte]))
                sent += 1
                time.sleep(0.05)  # a slow client: the whole head would take ~13 s
                s.setblocking(False)
                try:
                    if s.recv(1024) == b"":
                        break  # closed by the server
                except BlockingIOError:
                    pass
                finally:
                    s.setblocking(True)
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert sent < len(head), "the server waited for the whole slow head"


def test_an_idle_keep_alive_connection_is_closed_after_its_answer(server: tuple[int, Path]) -> None:
    port, _ = server
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as s:
        s.sendall(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        answer = b""
        while b'{"status":"ok"}' not in answer:
            answer += s.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200")
        assert _closed_by_server(s)


def test_many_idle_sockets_do_not_stop_the_server(server: tuple[int, Path]) -> None:
    port, _ = server
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(200)]
    try:
        assert _get(port) == (200, b'{"status":"ok"}')
        assert all(_closed_by_server(s) for s in idle[:5])  # and they are closed in time
    finally:
        for s in idle:
            s.close()


def _drop_mid_stream(port: int, request: bytes, reset: bool) -> None:
    """Send ``request``, read the start of its SSE answer, then close (RST if ``reset``, else FIN)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=PATIENCE)
    s.sendall(request)
    received = b""
    while received.count(b"\n\n") < 3:  # the head and a couple of events
        received += s.recv(65536)
    assert b"text/event-stream" in received
    if reset:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def test_a_client_dropping_an_sse_stream_logs_at_most_one_info_line(server: tuple[int, Path]) -> None:
    port, log = server
    before = log.read_text(encoding="utf-8", errors="replace")
    race = json.dumps(
        {
            "surface": "rosenbrock",
            "start": [-1.5, 2],
            "steps": 20_000,
            "runs": [{"optimizer": o} for o in ("sgd", "momentum", "adam", "nadam", "rmsprop", "adagrad")],
        }
    ).encode()
    stream = (
        b"POST /api/trajectories/stream HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
        b"Accept: text/event-stream\r\nContent-Length: " + str(len(race)).encode() + b"\r\n\r\n" + race
    )
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as s:
        job_body = json.dumps({"epochs": 200}).encode()
        s.sendall(
            b"POST /api/jobs HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n"
            b"Content-Length: " + str(len(job_body)).encode() + b"\r\n\r\n" + job_body
        )
        job = json.loads(_read_all(s).partition(b"\r\n\r\n")[2])
    events = (
        f"GET /api/jobs/{job['id']}/events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    for request in (stream, events):
        for reset in (False, True):
            _drop_mid_stream(port, request, reset)
    with socket.create_connection(("127.0.0.1", port), timeout=PATIENCE) as s:  # stop the job
        s.sendall(f"DELETE /api/jobs/{job['id']} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".encode())
        _read_all(s)
    # Every dropped stream has had time to notice: a request after them has been answered and logged.
    assert _get(port)[0] == 200
    deadline = time.monotonic() + PATIENCE
    while "GET /api/health" not in log.read_text(encoding="utf-8", errors="replace")[len(before) :]:
        assert time.monotonic() < deadline, "the server logged no access line"
        time.sleep(0.1)
    time.sleep(2 * TIMEOUT)  # let any late error of a dropped stream reach the log
    added = log.read_text(encoding="utf-8", errors="replace")[len(before) :]
    assert "Traceback" not in added and "ERROR" not in added, added
    stream_lines = [line for line in added.splitlines() if "/events" in line or "/trajectories/stream" in line]
    assert len(stream_lines) <= 4, added  # one INFO access line per stream, nothing else about them
    assert all(line.startswith("INFO:") for line in stream_lines), added
