"""Training jobs: start, stream (SSE), inspect, list and cancel (docs/API.md, "Training Lab").

Training runs in worker processes owned by :class:`app.jobs.manager.JobManager` (runs beyond
their number wait in a queue); these handlers only validate, hand over and read back, so the web
process never trains.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.api.deps import JobManagerDep, LastEventIdDep
from app.api.responses import ErrorResponse, error_responses, follow_event_log
from app.api.routers.training import router as catalogue_router
from app.api.schemas.job_events import sse_openapi
from app.api.schemas.jobs import (
    ComparisonCreated,
    ComparisonDetail,
    ComparisonRequest,
    JobCancelled,
    JobControlled,
    JobCreated,
    JobDetail,
    JobInfo,
    StepRequest,
    engine_config,
)
from app.api.schemas.training import TrainingConfigModel
from app.core.nn.options import to_dict
from app.jobs.events import JobEvent, to_json_text
from app.jobs.job import Job, JobNotFoundError, JobStateError, ManagerClosedError, QueueFullError

router = APIRouter(tags=["jobs"])
router.include_router(catalogue_router)  # GET /training/catalogue: the form's defaults and bounds

CANCEL_WAIT_SECONDS = 1.0
"""How long ``DELETE`` waits for the worker to acknowledge a cancel before answering."""

_BODY_ERRORS = error_responses(400, 413, 422)
"""What every request with a JSON body can get: unparseable (400), too large (413), invalid (422)."""

_ADMISSION = {
    **error_responses(429, 503),
    429: {
        "model": ErrorResponse,
        "description": "The wait queue is full, for this client (max_queued_per_client, code "
        "`job.client_queue_full`) or for everyone (max_queued_jobs, `job.queue_full`); `Retry-After: 5`.",
    },
    503: {"model": ErrorResponse, "description": "The server is shutting down and accepts no new jobs."},
}

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No job with this id (or it finished and was evicted)."}
}

_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}
"""An error body on the SSE route (whose own media type is text/event-stream)."""


T = TypeVar("T")


HISTORY_CHUNK_BYTES = 64 * 2**10
"""``GET /api/jobs/{id}`` sends its history in pieces of about this size (never the whole JSON at once)."""


def client_of(request: Request) -> str:
    """Who is asking, for the per-client queue bound: the connection's peer host."""
    return request.client.host if request.client is not None else "unknown"


def _admit(submit: Callable[[], T]) -> T:
    """Run a manager submission, turning a full queue into 429 and shutdown into 503."""
    try:
        return submit()
    except QueueFullError as exc:
        code = "job.client_queue_full" if exc.setting == "max_queued_per_client" else "job.queue_full"
        detail = [
            {
                "loc": ["body"],
                "msg": str(exc),
                "type": "queue_full",
                "code": code,
                "params": {"limit": exc.limit, "setting": exc.setting, "queued": exc.queued},
            }
        ]
        raise HTTPException(status_code=429, detail=detail, headers={"Retry-After": "5"}) from exc
    except ManagerClosedError as exc:
        detail = [{"loc": ["body"], "msg": str(exc), "type": "shutting_down"}]
        raise HTTPException(status_code=503, detail=detail) from exc


def _not_found(exc: JobNotFoundError) -> HTTPException:
    return HTTPException(status_code=404, detail=[{"loc": ["path", "job_id"], "msg": str(exc), "type": "not_found"}])


def job_or_404(job_id: str, manager: JobManagerDep) -> Job:
    """The job named in the path, or a 404 naming ``job_id``."""
    try:
        return manager.get(job_id)
    except JobNotFoundError as exc:
        raise _not_found(exc) from exc


JobDep = Annotated[Job, Depends(job_or_404)]


def resume_point(job: JobDep, start: LastEventIdDep) -> int:
    """The id after which to stream.

    A finished job with nothing left after that id answers ``204``, which tells ``EventSource``
    to stop reconnecting.
    """
    if job.log.closed and not job.log.after(start):
        raise HTTPException(status_code=204)
    return start


@router.post("/jobs", status_code=202, response_model=JobCreated, responses={**_BODY_ERRORS, **_ADMISSION})
def create_job(body: TrainingConfigModel, manager: JobManagerDep, request: Request) -> JobCreated:
    """Start one training job in a worker process, or queue it (follow it at /api/jobs/{id}/events)."""
    config = to_dict(engine_config(body))
    job = _admit(lambda: manager.submit(config, client_of(request)))
    return JobCreated(id=job.id, status=job.status.value)


@router.post(
    "/comparisons", status_code=202, response_model=ComparisonCreated, responses={**_BODY_ERRORS, **_ADMISSION}
)
def create_comparison(body: ComparisonRequest, manager: JobManagerDep, request: Request) -> ComparisonCreated:
    """Queue several training jobs that run one after another in a single worker process."""
    configs = [to_dict(engine_config(config, prefix=f"configs.{i}.")) for i, config in enumerate(body.configs)]
    comparison = _admit(lambda: manager.submit_comparison(configs, client_of(request)))
    return ComparisonCreated(id=comparison.id, job_ids=list(comparison.job_ids))


@router.get(
    "/comparisons/{comparison_id}",
    response_model=ComparisonDetail,
    responses={
        404: {"model": ErrorResponse, "description": "No comparison with this id (or all its jobs were evicted)."}
    },
)
def comparison_detail(comparison_id: str, manager: JobManagerDep) -> ComparisonDetail:
    """A comparison's runs in order, each with its status (full telemetry: GET /api/jobs/{id} per run)."""
    comparison = manager.comparison(comparison_id)
    if comparison is None:
        detail = [
            {"loc": ["path", "comparison_id"], "msg": f"no comparison with id {comparison_id!r}", "type": "not_found"}
        ]
        raise HTTPException(status_code=404, detail=detail)
    jobs = []
    for job_id in comparison.job_ids:
        try:
            jobs.append(JobInfo(**manager.get(job_id).info()))
        except JobNotFoundError:
            continue  # evicted: the others are still listed
    return ComparisonDetail(id=comparison.id, job_ids=list(comparison.job_ids), jobs=jobs)


@router.get(
    "/jobs/{job_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: sse_openapi(),
        204: {"description": "The job has finished and no events remain after Last-Event-ID."},
        404: {"description": _NOT_FOUND[404]["description"], "content": _JSON_ERROR},
        422: {"description": "Last-Event-ID (header or query) is not an integer ≥ 0.", "content": _JSON_ERROR},
    },
)
async def job_events(job: JobDep, start: Annotated[int, Depends(resume_point)]) -> AsyncIterator[ServerSentEvent]:
    """Stream a job's queue/metrics/epoch/status events and its final done/cancelled/error event (SSE)."""
    async for event in follow_event_log(job.log, start, f"job {job.id}"):
        yield event


def _history_body(head: str, events: list[JobEvent]) -> Iterator[str]:
    """``head`` (a JSON object's text) with ``"history": [...]`` spliced in, in pieces of ~64 kB.

    The events are the log's stored JSON texts, joined a piece at a time, so a large history is
    never built whole per request (32 concurrent readers hold 32 pieces, not 32 histories).
    """
    piece: list[str] = [f'{head[:-1]},"history":[']
    size = 0
    for k, event in enumerate(events):
        text = event.as_json()
        piece.append("," + text if k else text)
        size += len(text)
        if size >= HISTORY_CHUNK_BYTES:
            yield "".join(piece)
            piece, size = [], 0
    piece.append("]}")
    yield "".join(piece)


@router.get("/jobs/{job_id}", response_model=JobDetail, responses=_NOT_FOUND)
def job_detail(
    job: JobDep,
    after: Annotated[int, Query(ge=0, description="Only history events with a larger id (a page's next_after).")] = 0,
    limit: Annotated[int | None, Query(ge=1, description="At most this many history events (default: all).")] = None,
) -> Any:
    """A job's status, configuration, kept event history (streamed; pages with after/limit) and summary."""
    fields, events, more = job.snapshot(after, limit)
    fields["next_after"] = events[-1].id if more and events else None
    head = to_json_text(fields)  # '{...}': splice the stored JSON history in without re-parsing it
    return StreamingResponse(_history_body(head, events), media_type="application/json")


@router.get("/jobs", response_model=list[JobInfo])
def list_jobs(manager: JobManagerDep) -> list[dict[str, Any]]:
    """All kept jobs (queued, running and recently finished), oldest first."""
    return [job.info() for job in manager.jobs()]


@router.delete("/jobs/{job_id}", response_model=JobCancelled, responses=_NOT_FOUND)
def cancel_job(job_id: str, manager: JobManagerDep) -> JobCancelled:
    """Cancel a queued or running job (a queued one at once, a running one within a second)."""
    try:
        job = manager.cancel(job_id)
    except JobNotFoundError as exc:
        raise _not_found(exc) from exc
    job.wait_finished(CANCEL_WAIT_SECONDS)
    return JobCancelled(id=job.id, status=job.status.value)


# --- pause, resume, single step ----------------------------------------------------------------

_CONTROL_ERRORS: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    409: {
        "model": ErrorResponse,
        "description": "The job is not in a state for this control (pause: running; resume, step: paused).",
    },
}


def _control(action: Callable[[], Job]) -> JobControlled:
    """Run a manager control, turning a wrong state into 409 (code ``job.not_running`` / ``job.not_paused``)."""
    try:
        job = action()
    except JobNotFoundError as exc:
        raise _not_found(exc) from exc
    except JobStateError as exc:
        code = "job.not_running" if exc.needed == "running" else "job.not_paused"
        detail = [
            {
                "loc": ["path", "job_id"],
                "msg": str(exc),
                "type": "conflict",
                "code": code,
                "params": {"status": exc.status, "action": exc.action},
            }
        ]
        raise HTTPException(status_code=409, detail=detail) from exc
    return JobControlled(id=job.id, status=job.status.value)


@router.post("/jobs/{job_id}/pause", response_model=JobControlled, responses=_CONTROL_ERRORS)
def pause_job(job_id: str, manager: JobManagerDep) -> JobControlled:
    """Pause a running job before its next optimizer step (the stream gets `event: status`)."""
    return _control(lambda: manager.pause(job_id))


@router.post("/jobs/{job_id}/resume", response_model=JobControlled, responses=_CONTROL_ERRORS)
def resume_job(job_id: str, manager: JobManagerDep) -> JobControlled:
    """Let a paused job train on (the stream gets `event: status` with `running`)."""
    return _control(lambda: manager.resume(job_id))


@router.post("/jobs/{job_id}/step", response_model=JobControlled, responses={**_BODY_ERRORS, **_CONTROL_ERRORS})
def step_job(job_id: str, manager: JobManagerDep, body: StepRequest | None = None) -> JobControlled:
    """While paused: take `steps` optimizer steps (default 1), emit a metrics frame, stay paused."""
    steps = body.steps if body is not None else 1
    return _control(lambda: manager.step(job_id, steps))
