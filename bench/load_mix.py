"""A class at once: 32 clients mixing Optimizer-Lab requests against a real server, with and without
admission control (``app/api/admission.py``).

Starts ``python -m app`` in a subprocess (one BLAS thread), runs ``--clients`` client threads for
``--duration`` seconds, each picking a request kind at random (fixed seed) — the textbook preset
(4 runs × 30 steps), a 12 × 2,000-step race, a streamed 7 × 6,000-step race, a 4-optimizer lr
sweep, a 150 × 150 start-point map — with a short think time between requests and, after a 503,
the pause its ``Retry-After`` asks for (as the page does). A separate process polls
``/api/health`` every 50 ms. Prints, per kind, p50 / p99 latency of the answered requests and the
count of each status; the health p50 / p99 (and the same server's idle health just before the
load); then the same with heavy requests in threads instead of worker processes
(``PLAYGROUND_ADMISSION_WORKER_PROCESSES=false``) and with ``PLAYGROUND_ADMISSION_ENABLED=false``
as the reference, and the ratios of both admission runs to the reference.

Targets (issue 9): no status other than 200 and 503, textbook-preset p99 < 1 s, health p99 < 50 ms.
The machine may be shared: read the ratios, which are measured in the same run.

    python bench/load_mix.py [--duration 30] [--clients 32] [--only admission|threads|reference]
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing as mp
import os
import random
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

RACE4 = [
    {"optimizer": "sgd", "params": {"lr": 0.95}},
    {"optimizer": "momentum", "params": {"lr": 0.1}},
    {"optimizer": "adagrad", "params": {"lr": 1.5}},
    {"optimizer": "adam", "params": {"lr": 0.3}},
]
RACE_ALL = [
    *RACE4,
    {"optimizer": "nesterov", "params": {"lr": 0.05}},
    {"optimizer": "rmsprop", "params": {"lr": 0.05}},
    {"optimizer": "adamw", "params": {"lr": 0.1}},
]


@dataclass(frozen=True)
class Kind:
    """One kind of request of the mix: where it goes, its body, how often clients pick it."""

    name: str
    path: str
    body: dict[str, Any]
    weight: float
    stream: bool = False


KINDS = [
    Kind(
        "textbook",
        "/api/trajectories",
        {"surface": "book_bowl", "start": [-7, 2], "steps": 30, "runs": RACE4, "record_state": True},
        0.3,
    ),
    Kind(
        "trajectory",
        "/api/trajectories",
        {"surface": "rosenbrock", "start": [-1.5, 2], "steps": 2000, "runs": (RACE4 * 3)[:12], "record_state": True},
        0.25,
    ),
    Kind(
        "stream",
        "/api/trajectories/stream",
        {"surface": "himmelblau", "start": [0, 0], "steps": 6000, "runs": RACE_ALL, "record_state": False},
        0.15,
        stream=True,
    ),
    Kind(
        "sweep",
        "/api/sweeps/lr",
        {
            "surface": "rosenbrock",
            "start": [-1.5, 2],
            "steps": 2000,
            "runs": RACE4,
            "n": 40,
            "lr_min": 1e-4,
            "lr_max": 10,
        },
        0.15,
    ),
    Kind(
        "start_map",
        "/api/sweeps/start-map",
        {"surface": "himmelblau", "steps": 500, "n": 150, "run": {"optimizer": "momentum", "params": {"lr": 0.005}}},
        0.15,
    ),
]
HEALTH_INTERVAL = 0.05
IDLE_SECONDS = 5.0
"""Health is first polled this long on the idle server: the machine's own latency at that moment."""


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve(env: dict[str, str], timeout: float = 60.0) -> Iterator[int]:
    """``python -m app`` on a free port with ``env`` added; yields the port once health answers."""
    port = free_port()
    full = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PLAYGROUND_ENV_FILE": "", **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=full,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                status, _, _ = request(port, "GET", "/api/health")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def request(
    port: int,
    method: str,
    path: str,
    body: dict[str, Any] | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request (on ``conn`` when given, else a fresh connection); the whole body is read."""
    own = conn is None
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        c.request(method, path, body=data, headers=headers)
        r = c.getresponse()
        payload = r.read()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, payload
    finally:
        if own:
            c.close()


@dataclass
class Record:
    """What the clients saw: (kind, status, seconds) per request."""

    rows: list[tuple[str, int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, kind: str, status: int, seconds: float) -> None:
        with self.lock:
            self.rows.append((kind, status, seconds))


def client(port: int, seed: int, stop_at: float, record: Record, think: float) -> None:
    """Pick kinds at random until ``stop_at``; pause as ``Retry-After`` says after a 503."""
    rng = random.Random(seed)
    weights = [k.weight for k in KINDS]
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    time.sleep(rng.uniform(0, think))  # the class does not press Run in the same millisecond
    while time.monotonic() < stop_at:
        kind = rng.choices(KINDS, weights)[0]
        t0 = time.perf_counter()
        try:
            status, headers, _ = request(port, "POST", kind.path, kind.body, conn)
        except (OSError, http.client.HTTPException):
            status, headers = 0, {}
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        record.add(kind.name, status, time.perf_counter() - t0)
        pause = float(headers.get("retry-after", 0)) if status == 503 else 0.0
        time.sleep(pause + rng.uniform(0.5, 1.5) * think)
    conn.close()


def health_poller(port: int, duration: float, out: Any) -> None:
    """In its own process: GET /api/health every 50 ms for ``duration`` s; send the latencies."""
    latencies: list[float] = []
    failures = 0
    stop_at = time.monotonic() + duration
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while time.monotonic() < stop_at:
        t0 = time.perf_counter()
        try:
            status, _, _ = request(port, "GET", "/api/health", conn=conn)
            if status == 200:
                latencies.append(time.perf_counter() - t0)
            else:
                failures += 1
        except (OSError, http.client.HTTPException):
            failures += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        time.sleep(HEALTH_INTERVAL)
    out.put((latencies, failures))


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of ``values``; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Outcome:
    """Latencies per kind (answered with 200), status counts per kind, health latencies."""

    latencies: dict[str, list[float]]
    statuses: dict[str, dict[int, int]]
    health: list[float]
    health_failures: int
    idle_health: list[float]


CONFIGURATIONS = {
    "admission": ("admission on (defaults: heavy requests in worker processes)", {}),
    "threads": (
        "admission on, heavy requests in threads (PLAYGROUND_ADMISSION_WORKER_PROCESSES=false)",
        {"PLAYGROUND_ADMISSION_WORKER_PROCESSES": "false"},
    ),
    "reference": (
        "reference: admission off (PLAYGROUND_ADMISSION_ENABLED=false)",
        {"PLAYGROUND_ADMISSION_ENABLED": "false"},
    ),
}
"""What the bench compares: name → (title, server settings)."""


def run_mix(settings: dict[str, str], clients: int, duration: float, think: float) -> Outcome:
    """The whole mix against a fresh server with ``settings``."""
    env = settings
    with serve(env) as port:
        for kind in KINDS:  # warm-up: imports, caches, first-call costs
            request(port, "POST", kind.path, kind.body)
        queue: Any = mp.get_context("spawn").Queue()
        idle = mp.get_context("spawn").Process(target=health_poller, args=(port, IDLE_SECONDS, queue))
        idle.start()  # the same server without load: what this machine gives right now
        idle_health, _ = queue.get(timeout=60)
        idle.join()
        record = Record()
        poller = mp.get_context("spawn").Process(target=health_poller, args=(port, duration, queue))
        poller.start()
        stop_at = time.monotonic() + duration
        threads = [
            threading.Thread(target=client, args=(port, 1000 + i, stop_at, record, think), daemon=True)
            for i in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        health, failures = queue.get(timeout=60)
        poller.join()
    latencies: dict[str, list[float]] = defaultdict(list)
    statuses: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for name, status, seconds in record.rows:
        statuses[name][status] += 1
        if status == 200:
            latencies[name].append(seconds)
    return Outcome(latencies, statuses, health, failures, idle_health)


def report(title: str, o: Outcome) -> None:
    """Print one run's table."""
    print(f"\n{title}")
    print(f"  {'kind':11s} {'p50 s':>8s} {'p99 s':>8s}  statuses")
    for kind in KINDS:
        lat = o.latencies.get(kind.name, [])
        counts = ", ".join(f"{s}: {n}" for s, n in sorted(o.statuses.get(kind.name, {}).items()))
        print(f"  {kind.name:11s} {quantile(lat, 0.5):8.3f} {quantile(lat, 0.99):8.3f}  {counts}")
    h50, h99 = quantile(o.health, 0.5) * 1e3, quantile(o.health, 0.99) * 1e3
    print(f"  {'health':11s} {h50:6.1f}ms {h99:6.1f}ms  {len(o.health)} answered, {o.health_failures} failed")
    i50, i99 = quantile(o.idle_health, 0.5) * 1e3, quantile(o.idle_health, 0.99) * 1e3
    print(
        f"  {'idle health':11s} {i50:6.1f}ms {i99:6.1f}ms  "
        f"(the same server before the load; under load ×{h99 / i99:.1f} at p99)"
    )


def verdict(o: Outcome) -> None:
    """The issue's three targets for the admission run."""
    errors = sum(n for counts in o.statuses.values() for s, n in counts.items() if s not in (200, 503))
    text_p99 = quantile(o.latencies.get("textbook", []), 0.99)
    health_p99 = quantile(o.health, 0.99)
    print(
        f"  targets: errors other than 503 = {errors} ({'meets' if errors == 0 else 'MISSES'} 0); "
        f"textbook p99 {text_p99:.3f} s ({'meets' if text_p99 < 1 else 'MISSES'} < 1 s); "
        f"health p99 {health_p99 * 1e3:.1f} ms ({'meets' if health_p99 < 0.05 else 'MISSES'} < 50 ms)"
    )


def ratios(name: str, a: Outcome, ref: Outcome) -> None:
    """``name`` / reference for every p50 and p99."""
    print(f"\nratios {name} / reference (below 1: faster than without admission control)")
    for kind in KINDS:
        la, lr = a.latencies.get(kind.name, []), ref.latencies.get(kind.name, [])
        r50 = quantile(la, 0.5) / quantile(lr, 0.5) if lr else float("nan")
        r99 = quantile(la, 0.99) / quantile(lr, 0.99) if lr else float("nan")
        print(f"  {kind.name:11s} p50 ×{r50:.2f}  p99 ×{r99:.2f}")
    h50 = quantile(a.health, 0.5) / quantile(ref.health, 0.5)
    h99 = quantile(a.health, 0.99) / quantile(ref.health, 0.99)
    print(f"  {'health':11s} p50 ×{h50:.2f}  p99 ×{h99:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load per run (default 30)")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a client's requests, s")
    parser.add_argument("--only", choices=tuple(CONFIGURATIONS), help="run one configuration only")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a PLAYGROUND_* setting for the server"
    )
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.set)
    load = os.getloadavg()[0]
    print(
        f"load mix: {args.clients} clients for {args.duration:g} s, kinds "
        + ", ".join(f"{k.name} ({k.weight:.0%})" for k in KINDS)
        + f"; {os.cpu_count()} cores, load average {load:.1f} before the run (the machine may be shared: "
        "compare the ratios)"
    )
    outcomes: dict[str, Outcome] = {}
    for name in [args.only] if args.only else list(CONFIGURATIONS):
        title, settings = CONFIGURATIONS[name]
        outcomes[name] = run_mix({**extra, **settings}, args.clients, args.duration, args.think)
        report(title, outcomes[name])
        verdict(outcomes[name])
    if "reference" in outcomes:
        for name in ("admission", "threads"):
            if name in outcomes:
                ratios(name, outcomes[name], outcomes["reference"])


if __name__ == "__main__":
    main()
