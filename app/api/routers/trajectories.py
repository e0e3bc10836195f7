"""Optimizer paths on 2-D surfaces, whole or streamed as Server-Sent Events."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.api.lab import check_budget, resolve_surface, run_spec
from app.api.schemas.trajectories import TrajectoryRequest
from app.config import Settings, get_settings
from app.core.lab2d.trajectory import Simulator, run_record, run_summary, stream_chunk

router = APIRouter(tags=["trajectories"])

CHUNK = 1000


@dataclass
class Prepared:
    """A validated request and one ready simulator per run, with its label."""

    req: TrajectoryRequest
    sims: list[tuple[str, Simulator]]


def _prepare(req: TrajectoryRequest, settings: Settings, streamed: bool) -> Prepared:
    surface = resolve_surface(req, settings)
    out = []
    for i, run in enumerate(req.runs):
        spec = run_spec(run, i)
        sim = Simulator(surface, req.start, req.steps, spec, bound=settings.divergence_bound, field_prefix=f"runs.{i}.")
        out.append((spec.label, sim))
    check_budget(surface, req.runs, req.steps, 1, settings, knobs="steps or the number of runs", streamed=streamed)
    return Prepared(req, out)


def prepare(req: TrajectoryRequest, settings: Annotated[Settings, Depends(get_settings)]) -> Prepared:
    """One simulator per requested run, within the budget of a whole response."""
    return _prepare(req, settings, streamed=False)


def prepare_stream(req: TrajectoryRequest, settings: Annotated[Settings, Depends(get_settings)]) -> Prepared:
    """The same for a streamed response (a dependency, so bad input is a 422 before streaming)."""
    return _prepare(req, settings, streamed=True)


@router.post("/trajectories")
def trajectories(prep: Annotated[Prepared, Depends(prepare)]) -> dict[str, object]:
    """Run each optimizer from the start; return per-step paths, losses, gradients and state."""
    req, sims = prep.req, prep.sims
    runs = []
    for label, sim in sims:
        sim.advance()
        record = run_record(sim.surface, sim.result(), 0, with_state=req.record_state)
        runs.append({"label": label, "optimizer": sim.spec.optimizer, "params": sim.opt.params, **record})
    return {
        "surface": req.surface if req.expression is None else "custom",
        "start": list(req.start),
        "steps": req.steps,
        "runs": runs,
    }


@router.post("/trajectories/stream", response_class=EventSourceResponse)
def trajectories_stream(prep: Annotated[Prepared, Depends(prepare_stream)]) -> Iterator[ServerSentEvent]:
    """Stream the same runs as SSE: ``meta``, then ``chunk`` slices of ≤ 1000 steps, then ``done``."""
    req, sims = prep.req, prep.sims
    n = 0
    meta = {
        "runs": [{"label": label, "optimizer": sim.spec.optimizer, "params": sim.opt.params} for label, sim in sims],
        "steps": req.steps,
    }
    yield ServerSentEvent(event="meta", id=str(n), data=meta)
    sent = [0] * len(sims)  # positions already sent per run
    while True:
        progressed = False
        for i, (_, sim) in enumerate(sims):
            if sim.finished and sent[i] >= min(sim.k + 1, int(sim.alive_until[0])):
                continue
            sim.advance(CHUNK)
            chunk = stream_chunk(sim, sent[i])
            sent[i] += len(chunk["path"])
            n += 1
            progressed = True
            yield ServerSentEvent(event="chunk", id=str(n), data={"run": i, **chunk})
        if not progressed:
            break
    done = [
        {"label": label, "optimizer": sim.spec.optimizer, **run_summary(sim.surface, sim.result(), 0)}
        for label, sim in sims
    ]
    yield ServerSentEvent(event="done", id=str(n + 1), data={"runs": done})
