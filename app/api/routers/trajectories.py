"""Optimizer paths on 2-D surfaces, whole or streamed as Server-Sent Events.

Responses are typed (``app/api/schemas/lab_results.py``, so ``/docs`` shows their shape). A whole
answer is written by orjson straight from the engine's NumPy arrays (``app/api/numpy_json.py``):
7 runs × 10,000 steps with state are ~1.5 M numbers, and nested Python lists plus pydantic's
serializer cost ~8× more than the arrays' bytes. orjson writes every non-finite number as
``null``, as the engine's ``clean()`` does, so no NaN or Infinity reaches JSON. A streamed
``chunk`` (1,001 positions) is a model, written with ``model_dump_json`` from ``clean()``-ed lists.
The request's ``format`` leaves out per-step arrays the client does not draw, or down-samples
them; without it the answer is the full one.

Admission control (``app/api/admission.py``) decides where the work runs: the endpoints only hand
the validated request to :func:`trajectory_json` / :func:`trajectory_events`, which compute and
serialise it in a worker process (heavy requests) or a pool thread (light ones), never on the
event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Annotated, Any, cast

import numpy as np
from fastapi import APIRouter, Depends
from fastapi.responses import Response
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.api.admission import Ticket, admitted
from app.api.deps import SettingsDep
from app.api.lab import check_budget, resolve_surface, run_spec
from app.api.numpy_json import dumps
from app.api.responses import SseEvent, error_responses, sse_responses
from app.api.schemas.lab_results import (
    Outcome,
    StreamChunk,
    StreamDone,
    StreamMeta,
    StreamRun,
    StreamRunSummary,
    TrajectoryResponse,
)
from app.api.schemas.trajectories import TrajectoryRequest
from app.config import Settings
from app.core.lab2d.results import PER_STEP_ARRAYS, run_arrays, run_summary
from app.core.lab2d.surfaces import Surface
from app.core.lab2d.trajectory import Simulator, stream_chunk

router = APIRouter(tags=["trajectories"])

CHUNK = 1000
"""Most steps a streamed run advances between two ``chunk`` events."""

ERRORS = error_responses(400, 413, 422, 503)
"""What a trajectory request can fail with: unparseable or oversized body, invalid field or budget,
no admission slot in time (``app/api/admission.py``)."""


@dataclass
class Prepared:
    """A validated request, one ready simulator per run with its label, and its estimated work."""

    req: TrajectoryRequest
    sims: list[tuple[str, Simulator]]
    work: float
    surface: Surface


def _prepare(req: TrajectoryRequest, settings: Settings, streamed: bool) -> Prepared:
    surface = resolve_surface(req, settings)
    # The streamed answer sends positions and losses only; a whole one what ``format`` asks for.
    record_state = req.record_state and not streamed and "state" in _arrays(req)
    out = []
    for i, run in enumerate(req.runs):
        spec = run_spec(run, i)
        sim = Simulator(
            surface,
            np.asarray(req.start),
            req.steps,
            spec,
            bound=settings.divergence_bound,
            field_prefix=f"runs.{i}.",
            record_state=record_state,
        )
        out.append((spec.label, sim))
    work = check_budget(
        surface, req.runs, req.steps, 1, settings, knobs="steps or the number of runs", streamed=streamed
    )
    return Prepared(req, out, work, surface)


def prepare(req: TrajectoryRequest, settings: SettingsDep) -> Prepared:
    """One simulator per requested run, within the budget of a whole response."""
    return _prepare(req, settings, streamed=False)


def prepare_stream(req: TrajectoryRequest, settings: SettingsDep) -> Prepared:
    """The same for a streamed response (a dependency, so bad input is a 422 before streaming)."""
    return _prepare(req, settings, streamed=True)


def _surface_name(req: TrajectoryRequest) -> str:
    return req.surface if req.expression is None and req.surface is not None else "custom"


def _arrays(req: TrajectoryRequest) -> tuple[str, ...]:
    """The per-step arrays the answer carries besides ``path`` and ``loss`` (all without ``format``)."""
    if req.format is None or req.format.arrays is None:
        return PER_STEP_ARRAYS
    return tuple(a for a in PER_STEP_ARRAYS if a in req.format.arrays)


@router.post("/trajectories", response_model=TrajectoryResponse, response_model_exclude_unset=True, responses=ERRORS)
async def trajectories(ticket: Annotated[Ticket[Prepared], Depends(admitted(prepare))]) -> Response:
    """Run each optimizer from the start; return per-step paths, losses, gradients and state."""
    # In a pool thread the simulators the dependency built (and budgeted) are run as they are.
    return await ticket.json(trajectory_json, ticket.prep.req, here=lambda: dumps(run_trajectories(ticket.prep)))


def trajectory_json(req: TrajectoryRequest, settings: Settings) -> bytes:
    """The answer of ``POST /api/trajectories`` as JSON, computed where admission runs it (a worker
    process or a pool thread, ``app/api/admission.py``), written by orjson from the NumPy arrays."""
    return dumps(run_trajectories(prepare(req, settings)))


def run_trajectories(prep: Prepared) -> dict[str, Any]:
    """Advance every simulator to its end and build the answer (a ``TrajectoryResponse``, for orjson)."""
    req, sims = prep.req, prep.sims
    arrays, every = _arrays(req), req.format.every if req.format is not None else 1
    runs = []
    for label, sim in sims:
        sim.advance()
        result = sim.result()
        run: dict[str, Any] = {"label": label, "optimizer": sim.spec.optimizer, "params": sim.opt.params}
        run.update(run_arrays(sim.surface, result, 0, arrays, every))
        if "state" in run and not req.record_state:
            run["state"] = {}
        summary = run_summary(sim.surface, result, 0, sim.spec.optimizer, sim.opt.params)
        # A small object: validated, and written with its aliases (``minimum.global``).
        summary["outcome"] = Outcome.model_validate(summary["outcome"]).model_dump(mode="json", by_alias=True)
        run.update(summary)
        runs.append(run)
    return {"surface": _surface_name(req), "start": list(req.start), "steps": req.steps, "runs": runs}


def _stream_example() -> list[SseEvent]:
    """The three kinds of event, with a two-step example run of plain GD on f = x² + y²."""
    run = {"label": "sgd #1", "optimizer": "sgd"}
    summary = {"diverged": False, "diverged_at": None, "final_point": [0.64, 0.32], "final_loss": 0.512}
    outcome = {
        "status": "moving",
        "step": None,
        "exit": None,
        "minimum": {"point": [0, 0], "value": 0, "global": True},
        "stable": {"rule": "gd", "threshold": 1.0, "inside": True},
    }
    return [
        SseEvent(
            "meta",
            StreamMeta,
            "First event (id 0): the runs, in the order `chunk.run` indexes them.",
            {"runs": [{**run, "params": {"lr": 0.1, "weight_decay": 0.0}}], "steps": 2},
        ),
        SseEvent(
            "chunk",
            StreamChunk,
            f"The next positions of run `run` (at most {CHUNK + 1} per event), from index `from`.",
            {"run": 0, "from": 0, "path": [[1, 0.5], [0.8, 0.4], [0.64, 0.32]], "loss": [1.25, 0.8, 0.512]},
        ),
        SseEvent(
            "done",
            StreamDone,
            "Last event: every run's summary (as in `POST /api/trajectories`, without the arrays).",
            {"runs": [{**run, **summary, "nearest_min": [0, 0], "distance_to_min": 0.7155, "outcome": outcome}]},
        ),
    ]


@router.post(
    "/trajectories/stream",
    response_class=EventSourceResponse,
    responses={**sse_responses("Events `meta`, `chunk` … `chunk`, `done`.", _stream_example()), **ERRORS},
)
async def trajectories_stream(
    ticket: Annotated[Ticket[Prepared], Depends(admitted(prepare_stream))],
) -> AsyncIterator[ServerSentEvent]:
    """Stream the same runs as SSE: ``meta``, then ``chunk`` slices of ≤ 1000 steps, then ``done``."""
    async for event in ticket.events(trajectory_events, ticket.prep.req):
        yield event


def trajectory_events(req: TrajectoryRequest, settings: Settings) -> Iterator[ServerSentEvent]:
    """The events of ``POST /api/trajectories/stream``, computed where admission runs them."""
    sims = prepare_stream(req, settings).sims
    runs = [StreamRun(label=label, optimizer=sim.spec.optimizer, params=sim.opt.params) for label, sim in sims]
    yield ServerSentEvent(event="meta", id="0", data=StreamMeta(runs=runs, steps=req.steps))
    n = 0
    for n, chunk in enumerate(_chunks(sims), start=1):
        yield ServerSentEvent(event="chunk", id=str(n), data=chunk)
    done = StreamDone.model_construct(runs=[_summary(label, sim) for label, sim in sims])
    yield ServerSentEvent(event="done", id=str(n + 1), data=done)


def _chunks(sims: list[tuple[str, Simulator]]) -> Iterator[StreamChunk]:
    """Advance the runs in turn by ``CHUNK`` steps, each time yielding the positions not yet sent."""
    sent = [0] * len(sims)  # positions already sent per run
    progressed = True
    while progressed:
        progressed = False
        for i, (_, sim) in enumerate(sims):
            if sim.finished and sent[i] >= min(sim.k + 1, int(sim.alive_until[0])):
                continue
            sim.advance(CHUNK)
            new = stream_chunk(sim, sent[i])
            chunk = StreamChunk.model_construct(
                run=i,
                start=new["from"],
                path=cast("list[list[float | None]]", new["path"]),
                loss=cast("list[float | None]", new["loss"]),
            )
            sent[i] += len(chunk.path)
            progressed = True
            yield chunk


def _summary(label: str, sim: Simulator) -> StreamRunSummary:
    """The ``done`` event's entry for one run."""
    summary: dict[str, Any] = run_summary(sim.surface, sim.result(), 0, sim.spec.optimizer, sim.opt.params)
    summary["outcome"] = Outcome.model_validate(summary["outcome"])
    return StreamRunSummary.model_construct(label=label, optimizer=sim.spec.optimizer, **summary)
