"""Admission control for the Optimizer Lab: a bounded number of CPU-heavy requests at once.

A class of 30 students pressing "Run" together must not make the server unusable. Each lab
request that computes (trajectories, streamed trajectories, lr sweeps, start-point maps,
curvature) states its estimated work — the units of ``app/core/lab2d/cost.py``, the same
estimate its budget check uses — and is admitted into one of two **lanes**:

* **light** (work ≤ ``Settings.admission_light_work``, e.g. the textbook preset: 4 runs × 30
  steps ≈ 0.05 M units, a few ms): ``Settings.admission_light_slots`` at once, computed in the
  web process's thread pool;
* **heavy** (everything larger): ``Settings.admission_heavy_slots`` at once (default: the cores),
  each computed in a **worker process** of its own.

A lane hands its slots out first come, first served. A request that finds its lane full waits on
the event loop (no thread is held) for at most ``Settings.admission_wait_seconds`` (heavy) or
``admission_light_wait_seconds`` (light); when no slot frees in time the answer is **503** with
a ``Retry-After`` and one error item of code ``admission.busy`` (docs/errors.md). Retry-After is
an estimate of when a slot will be free for the client: each lane keeps a moving average of how
long a request holds a slot, and a newcomer behind ``q`` waiters on ``s`` slots can expect about
``(q + 1) · hold / s`` seconds; it is never less than ``Settings.admission_retry_after_seconds``
(so clients do not hammer a busy server) and never more than :data:`MAX_RETRY_AFTER`.
Because the lanes are separate, a light request never queues
behind heavy ones: however many long runs are in flight, the textbook preset only waits for other
light requests. The slot is held until the response has been sent, so a streamed trajectory
holds it while it streams.

Why processes for the heavy lane: stepping an optimizer on 2-element NumPy arrays holds the GIL
nearly all the time, so heavy work in threads of the web process delays every wake-up of the
event loop by up to one switch interval per runnable thread. Measured with ``bench/load_mix.py``
(32 clients, 2 shared cores): threads with the default 5 ms interval gave ``/api/health`` p99
245 ms, with 1 ms 145 ms (idle server: 8 ms); worker processes leave the web process only I/O,
the light requests and JSON that is already serialised. A worker sends back JSON bytes (or one
server-sent event at a time), so nothing large is pickled or serialised on the event loop.
``Settings.admission_switch_interval_ms`` still shortens the light threads' turns.

Routers use it through :func:`admitted`, which wraps the router's own "prepare" dependency
(validates the request, checks its budget, returns an object with a ``work`` attribute) and hands
the endpoint a :class:`Ticket` that runs a module-level compute function where admission put it::

    @router.post("/trajectories", response_model=TrajectoryResponse)
    async def trajectories(ticket: Annotated[Ticket[Prepared], Depends(admitted(prepare))]) -> Response:
        return await ticket.json(trajectory_json, ticket.prep.req)

With ``Settings.admission_enabled`` false every request runs at once in the thread pool (the
reference of ``bench/load_mix.py``).
"""

from __future__ import annotations

import asyncio
import inspect
import math
import os
import signal
import socket
import subprocess
import sys
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Annotated, Any, Generic, Literal, Protocol, TypeVar

import anyio
from fastapi import Depends, HTTPException
from fastapi.responses import Response
from fastapi.sse import ServerSentEvent
from starlette.concurrency import iterate_in_threadpool

from app.api.deps import SettingsDep
from app.config import Settings, available_cores
from app.core.errors import InputError
from app.core.lab2d.surfaces import Surface

LaneName = Literal["light", "heavy"]

BUSY_CODE = "admission.busy"
"""The error code of a 503 from a full lane (docs/errors.md)."""


class Costed(Protocol):
    """What a prepared lab request tells admission: its estimated work units and its surface."""

    @property
    def work(self) -> float: ...

    @property
    def surface(self) -> Surface: ...


P = TypeVar("P", bound=Costed)

JsonWork = Callable[[Any, Settings], bytes]
"""A compute function: (validated request, settings) → the response body as JSON bytes."""

EventWork = Callable[[Any, Settings], Iterator[ServerSentEvent]]
"""A compute function that yields the server-sent events of a streamed response."""


# --- Lanes ----------------------------------------------------------------------------------------


MAX_RETRY_AFTER = 60
"""Most seconds a 503's Retry-After asks a client to wait, whatever the estimate."""

HOLD_SMOOTHING = 0.2
"""Weight of the newest request in a lane's moving average of slot hold times."""


@dataclass
class Lane:
    """``slots`` requests at once; the others wait in arrival order (futures on the event loop).

    Slots are handed over directly: a release with waiters wakes the first one and the count of
    busy slots stays the same, so a request arriving meanwhile cannot jump the queue.
    """

    name: LaneName
    slots: int
    busy: int = 0
    waiters: deque[asyncio.Future[None]] = field(default_factory=deque)
    mean_hold: float = 0.0
    """Moving average of the seconds a request held a slot (0 until one has finished)."""

    def held(self, seconds: float) -> None:
        """Record that a request held a slot for ``seconds`` (exponential moving average)."""
        self.mean_hold = (
            seconds if self.mean_hold == 0.0 else (HOLD_SMOOTHING * seconds + (1.0 - HOLD_SMOOTHING) * self.mean_hold)
        )

    def retry_after(self, floor: int) -> int:
        """Whole seconds until a slot is likely free for a newcomer: ``(waiters + 1) · hold / slots``.

        At least ``floor`` and at most :data:`MAX_RETRY_AFTER`; ``floor`` while no request has
        finished (nothing to estimate from) or the lane has no slots.
        """
        if self.mean_hold <= 0.0 or self.slots <= 0:
            return floor
        estimate = (len(self.waiters) + 1) * self.mean_hold / self.slots
        return int(min(MAX_RETRY_AFTER, max(floor, math.ceil(estimate - 1e-9))))

    async def acquire(self, timeout: float) -> bool:
        """Take a slot, waiting at most ``timeout`` seconds; False when none freed in time."""
        if self.busy < self.slots and not self.waiters:
            self.busy += 1
            return True
        if timeout <= 0:
            return False
        ticket: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters.append(ticket)
        try:
            await asyncio.wait({ticket}, timeout=timeout)
        except BaseException:  # cancelled (the client went away): give back a slot handed over
            self._abandon(ticket)
            raise
        if ticket.done():
            return True  # release() passed its slot on to us
        self._abandon(ticket)
        return False

    def _abandon(self, ticket: asyncio.Future[None]) -> None:
        """Leave the queue; a slot already handed to ``ticket`` goes to the next in line."""
        if ticket.done() and not ticket.cancelled():
            self.release()
            return
        ticket.cancel()
        with suppress(ValueError):
            self.waiters.remove(ticket)

    def release(self) -> None:
        """Give the slot to the first waiter still waiting, or free it."""
        while self.waiters:
            ticket = self.waiters.popleft()
            if not ticket.done():
                ticket.set_result(None)
                return
        self.busy = max(0, self.busy - 1)


@dataclass
class Admission:
    """The two lanes of one configuration (see the module docstring)."""

    light: Lane
    heavy: Lane
    light_work: float
    light_wait: float
    heavy_wait: float
    retry_after: int

    def lane_for(self, work: float) -> tuple[Lane, float]:
        """The lane a request of ``work`` units goes to, and how long it may wait there."""
        if work <= self.light_work:
            return self.light, self.light_wait
        return self.heavy, self.heavy_wait

    @asynccontextmanager
    async def slot(self, work: float) -> AsyncIterator[LaneName]:
        """Hold a slot of the lane for ``work`` while the block runs; raise the 503 when none frees."""
        lane, wait = self.lane_for(work)
        if not await lane.acquire(wait):
            raise busy_error(lane.name, lane.slots, wait, lane.retry_after(self.retry_after))
        started = time.monotonic()
        try:
            yield lane.name
        finally:
            lane.held(time.monotonic() - started)
            lane.release()


def busy_error(lane: LaneName, slots: int, wait: float, retry_after: int) -> HTTPException:
    """The 503 in the contract's shape (``app/main.py``'s handler adds the Korean ``msg``)."""
    item = {
        "type": "server_busy",
        "loc": [],
        "msg": f"the server is busy with other runs (all {slots} slots for {lane} Optimizer Lab requests "
        f"taken, waited {wait:g} s); try again in {retry_after} s",
        "code": BUSY_CODE,
        "params": {"lane": lane, "slots": slots, "wait": wait, "retry_after": retry_after},
    }
    return HTTPException(status_code=503, detail=[item], headers={"Retry-After": str(retry_after)})


def slot_counts(settings: Settings) -> tuple[int, int]:
    """(light, heavy) slots of ``settings``, unset ones sized to the cores."""
    cores = available_cores()
    light = settings.admission_light_slots
    heavy = settings.admission_heavy_slots
    return (2 * cores if light is None else light), (cores if heavy is None else heavy)


_ADMISSIONS: dict[tuple[Any, ...], Admission] = {}
"""One :class:`Admission` per distinct admission configuration (tests override the settings)."""


def admission_for(settings: Settings) -> Admission | None:
    """The process-wide lanes for ``settings``; None when admission is disabled."""
    if not settings.admission_enabled:
        return None
    light, heavy = slot_counts(settings)
    key = (
        light,
        heavy,
        settings.admission_light_work,
        settings.admission_light_wait_seconds,
        settings.admission_wait_seconds,
        settings.admission_retry_after_seconds,
    )
    found = _ADMISSIONS.get(key)
    if found is None:
        found = _ADMISSIONS[key] = Admission(
            light=Lane("light", light),
            heavy=Lane("heavy", heavy),
            light_work=settings.admission_light_work,
            light_wait=settings.admission_light_wait_seconds,
            heavy_wait=settings.admission_wait_seconds,
            retry_after=settings.admission_retry_after_seconds,
        )
    return found


# --- Worker processes of the heavy lane -------------------------------------------------------------


def worker_entry(fd: int) -> None:
    """The worker process's main: serve tasks on the socket ``fd`` until told to stop."""
    _worker_main(Connection(fd))


def _worker_main(conn: Connection) -> None:
    """A worker's loop: run one task at a time, answer over the pipe (see :class:`Worker`)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the server, which stops us
    try:
        while True:
            task = conn.recv()
            if task is None:
                return
            if task == "cancel":  # came after the stream had ended by itself: nothing to stop
                continue
            _run_task(conn, *task)
    except (EOFError, OSError):  # the web process went away
        return


def _run_task(conn: Connection, kind: str, fn: Callable[[Any, Settings], Any], arg: Any, settings: Settings) -> None:
    """Run one task and send its answer (or its error) back."""
    _lower_priority(settings.admission_worker_nice)
    try:
        if kind == "json":
            conn.send(("ok", fn(arg, settings)))
            return
        for event in fn(arg, settings):
            conn.send(("item", _raw_event(event)))
            if conn.poll() and conn.recv() == "cancel":
                break
        conn.send(("end", None))
    except (EOFError, OSError):
        raise
    except InputError as exc:
        conn.send(("input_error", (exc.field, exc.message, exc.code, exc.params)))
    except Exception as exc:  # reported to the web process, which answers 500
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))


def _lower_priority(nice: int) -> None:
    """Raise this process's niceness to ``nice`` (once; the OS never lets it go back down)."""
    with suppress(OSError):
        current = os.nice(0)
        if nice > current:
            os.nice(nice - current)


def _raw_event(event: ServerSentEvent) -> ServerSentEvent:
    """``event`` with its data already JSON (as FastAPI would write it), so the event loop only copies it."""
    if event.data is None or event.raw_data is not None:
        return event
    data = event.data
    text = data.model_dump_json() if hasattr(data, "model_dump_json") else None
    if text is None:
        return event
    return ServerSentEvent(event=event.event, id=event.id, retry=event.retry, raw_data=text)


class WorkerFailedError(RuntimeError):
    """A worker process raised something other than an ``InputError`` (answered as a 500)."""


@dataclass
class Worker:
    """One spawned process and the web side of its pipe; it runs one task at a time.

    Protocol (web → worker): ``("json" | "events", fn, request, settings)``, ``"cancel"`` while
    events arrive, ``None`` to stop. Worker → web: ``("ok", bytes)``; ``("item", event)`` … then
    ``("end", None)``; or ``("input_error", (field, message, code, params))`` / ``("failed", text)``.
    """

    process: subprocess.Popen[bytes]
    conn: Connection
    clean: bool = True

    @classmethod
    def spawn(cls) -> Worker:
        """Start ``python -c 'worker_entry(fd)'`` with one end of a socket pair as its pipe.

        A fresh interpreter rather than ``multiprocessing``'s spawn, which would re-import the
        server's ``__main__`` (a console script, a test runner) in the child.
        """
        ours, theirs = socket.socketpair()
        package_root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
        code = f"from app.api.admission import worker_entry; worker_entry({theirs.fileno()})"
        process = subprocess.Popen([sys.executable, "-c", code], pass_fds=[theirs.fileno()], env=env)
        theirs.close()
        return cls(process, Connection(ours.detach()))

    def alive(self) -> bool:
        return self.process.poll() is None

    async def receive(self) -> tuple[str, Any]:
        """The next message (read in a pool thread: the read blocks without the GIL)."""
        try:
            message: tuple[str, Any] = await anyio.to_thread.run_sync(self.conn.recv)
        except (EOFError, OSError) as exc:
            self.clean = False
            raise WorkerFailedError("the worker process ended") from exc
        kind, payload = message
        if kind == "input_error":
            raise InputError(*payload)
        if kind == "failed":
            raise WorkerFailedError(str(payload))
        return kind, payload

    async def json(self, fn: JsonWork, arg: Any, settings: Settings) -> bytes:
        self.clean = False
        self.conn.send(("json", fn, arg, settings))
        try:
            _, body = await self.receive()
        except InputError:
            self.clean = True
            raise
        self.clean = True
        return bytes(body)

    async def events(self, fn: EventWork, arg: Any, settings: Settings) -> AsyncIterator[ServerSentEvent]:
        self.clean = False
        self.conn.send(("events", fn, arg, settings))
        ended = False
        try:
            while True:
                kind, payload = await self.receive()
                if kind == "end":
                    ended = True
                    return
                yield payload
        except InputError:
            ended = True
            raise
        finally:
            if not ended and self.alive():
                # The client went away (or the server stops): stop the worker after its current
                # chunk and read what it still sends, so it is clean for the next request.
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self._drain)
            else:
                self.clean = self.alive()

    def _drain(self) -> None:
        """Ask for a stop and read up to the stream's end (called in a pool thread)."""
        try:
            self.conn.send("cancel")
            while True:
                kind, _ = self.conn.recv()
                if kind in ("end", "input_error", "failed"):
                    self.clean = True
                    return
        except (EOFError, OSError):
            self.clean = False

    def stop(self, wait: float = 0.0) -> None:
        """Ask the worker to exit (it does once idle); wait up to ``wait`` s, then terminate it.

        Without a wait nothing blocks (the event loop calls this); ``subprocess`` reaps the exited
        process later.
        """
        with suppress(OSError):
            self.conn.send(None)
        self.conn.close()
        if wait > 0:
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """Terminate the process now (it is in an unknown state)."""
        with suppress(OSError):
            self.process.terminate()
        self.conn.close()


_IDLE: list[Worker] = []
"""Idle worker processes, shared by every configuration (a heavy slot takes one)."""


def take_worker() -> Worker:
    """An idle worker, or a new one."""
    while _IDLE:
        worker = _IDLE.pop()
        if worker.alive():
            return worker
        worker.conn.close()
    return Worker.spawn()


def give_worker(worker: Worker, keep: int) -> None:
    """Back to the idle list, unless it is unclean or ``keep`` workers already idle (then stopped)."""
    if worker.clean and worker.alive() and len(_IDLE) < keep:
        _IDLE.append(worker)
    elif worker.clean and worker.alive():
        worker.stop()
    else:
        worker.kill()


def start_workers(settings: Settings) -> None:
    """Spawn the heavy lane's workers ahead of the first request (they import the engine once)."""
    if not (settings.admission_enabled and settings.admission_worker_processes):
        return
    _, heavy = slot_counts(settings)
    while len(_IDLE) < heavy:
        _IDLE.append(Worker.spawn())


def stop_workers() -> None:
    """Stop every idle worker (at shutdown)."""
    while _IDLE:
        _IDLE.pop().stop(wait=2.0)


# --- The dependency and the endpoint's side ---------------------------------------------------------


@dataclass
class Ticket(Generic[P]):
    """An admitted request: its prepared form, and where its work runs (a worker, or a thread)."""

    prep: P
    settings: Settings
    worker: Worker | None = None

    async def json(self, fn: JsonWork, arg: Any, here: Callable[[], bytes] | None = None) -> Response:
        """``fn(arg, settings)`` in the worker (heavy) or a pool thread (light): the JSON response.

        ``here``, when given, is what a pool thread runs instead: the same answer from what this
        process has already prepared (a worker gets only ``arg`` and must prepare it again).
        """
        if self.worker is not None:
            body = await self.worker.json(fn, arg, self.settings)
        elif here is not None:
            body = await anyio.to_thread.run_sync(here)
        else:
            body = await anyio.to_thread.run_sync(fn, arg, self.settings)
        return Response(content=body, media_type="application/json")

    async def events(self, fn: EventWork, arg: Any) -> AsyncIterator[ServerSentEvent]:
        """The events ``fn(arg, settings)`` yields, computed in the worker or a pool thread."""
        if self.worker is not None:
            async for event in self.worker.events(fn, arg, self.settings):
                yield event
        else:
            async for event in iterate_in_threadpool(fn(arg, self.settings)):
                yield event


def admitted(prepare: Callable[..., P]) -> Callable[..., AsyncIterator[Ticket[P]]]:
    """A dependency that runs ``prepare`` (a dependency returning a :class:`Costed`), then holds a
    slot for its work until the response has been sent (503 when none frees in time).

    ``async`` so the wait happens on the event loop, not in a pool thread.
    """

    async def dependency(prep: P, settings: Settings) -> AsyncIterator[Ticket[P]]:
        gate = admission_for(settings)
        if gate is None:
            yield Ticket(prep, settings)
            return
        async with gate.slot(prep.work) as lane:
            # A surface that exists only here (a network's plane) is computed here, in a pool thread,
            # while still holding its heavy-lane slot.
            if lane == "light" or not settings.admission_worker_processes or prep.surface.process_local:
                yield Ticket(prep, settings)
                return
            worker = take_worker()
            try:
                yield Ticket(prep, settings, worker)
            finally:
                give_worker(worker, keep=gate.heavy.slots)

    # The annotations as objects: FastAPI would evaluate string annotations in this module's
    # globals, where ``prepare`` (a closure variable) does not exist.
    keyword = inspect.Parameter.KEYWORD_ONLY
    dependency.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("prep", keyword, annotation=Annotated[Any, Depends(prepare)]),
            inspect.Parameter("settings", keyword, annotation=SettingsDep),
        ]
    )
    dependency.__name__ = f"admitted_{getattr(prepare, '__name__', 'request')}"
    return dependency


def configure_switch_interval(settings: Settings) -> None:
    """Set ``sys.setswitchinterval`` from ``Settings.admission_switch_interval_ms`` (at start-up).

    A thread that wants the GIL asks its holder to drop it after this interval; a pool thread
    stepping an optimizer on 2-element arrays hardly ever releases it by itself, so the event loop
    (answering ``/api/health``, admitting requests) waits up to one interval per runnable thread
    each time it wakes up.
    """
    sys.setswitchinterval(settings.admission_switch_interval_ms / 1000.0)
