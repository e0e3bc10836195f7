"""Hyperparameter searches: start, follow (SSE), inspect, narrow, cancel (docs/API.md "Hyperparameter search").

Thin: the body is validated (models, then the engine's ``parse_space`` for the axes and a
pre-flight load of the trial data), handed to :class:`app.searches.manager.SearchManager`, and
what it reports is returned. Trials run in the manager's executor, never on the event loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from fastapi.sse import EventSourceResponse, ServerSentEvent

from app.api.deps import LastEventIdDep, SettingsDep
from app.api.responses import ErrorResponse, error_responses, follow_event_log
from app.api.schemas.jobs import engine_config
from app.api.schemas.searches import (
    AxisOut,
    KnobInfo,
    NarrowRequest,
    SearchCancelled,
    SearchCatalogue,
    SearchCreated,
    SearchDetail,
    SearchInfo,
    SearchRequestModel,
)
from app.config import Settings
from app.core.errors import InputError
from app.core.nn import search as core
from app.core.nn.run import load_data
from app.searches.executors import default_workers
from app.searches.manager import (
    Search,
    SearchManager,
    SearchNotFoundError,
    SearchRequest,
    TooManySearchesError,
    estimated_bytes,
    get_search_manager,
)

router = APIRouter(tags=["searches"])

CANCEL_WAIT_SECONDS = 1.5
"""How long ``DELETE`` waits for the search to report its running trials stopped."""


def get_searches() -> SearchManager:
    """The process-wide search manager (override in tests)."""
    return get_search_manager()


SearchesDep = Annotated[SearchManager, Depends(get_searches)]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No search with this id (in memory or saved)."}
}
_ADMISSION: dict[int | str, dict[str, Any]] = {
    429: {"model": ErrorResponse, "description": "max_concurrent_searches searches are running (`Retry-After: 5`)."}
}
_BODY_ERRORS = error_responses(400, 413, 422)
_JSON_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorResponse"}}}


def _not_found(exc: SearchNotFoundError) -> HTTPException:
    detail = [{"loc": ["path", "search_id"], "msg": str(exc), "type": "not_found"}]
    return HTTPException(status_code=404, detail=detail)


def _too_many(exc: TooManySearchesError) -> HTTPException:
    detail = [
        {
            "loc": ["body"],
            "msg": str(exc),
            "type": "too_many_searches",
            "code": "http.429",
            "params": {"limit": exc.limit, "setting": "max_concurrent_searches", "running": exc.running},
        }
    ]
    return HTTPException(status_code=429, detail=detail, headers={"Retry-After": "5"})


def _axes(space: core.SearchSpace) -> list[AxisOut]:
    return [AxisOut(**{"low": a.low, "high": a.high, **a.to_dict()}) for a in space]


def _created(search: Search) -> SearchCreated:
    return SearchCreated(
        id=search.id,
        status=search.status,
        method=search.request.method,
        total=len(search.designs),
        space=_axes(search.request.space),
        parent_id=search.request.parent_id,
        narrowed_best=search.request.narrowed_best,
    )


def parse_request(body: SearchRequestModel, settings: Settings) -> SearchRequest:
    """The engine's :class:`SearchRequest`, after the axis checks, the byte budget and a pre-flight data load.

    Raises
    ------
    InputError
        Naming the field: ``space.<i>.…`` (``search.*`` codes), ``trials`` (``limit.exceeded`` on
        ``max_search_bytes``), ``subset`` (more samples than the data set has), ``base.…``.
    """
    limits = settings.model_dump()
    space = core.parse_space([a.as_engine() for a in body.space], limits)
    need = estimated_bytes(body.trials, body.epochs)
    if need > settings.max_search_bytes:
        raise InputError(
            "trials",
            f"{body.trials} trials of {body.epochs} epochs keep about {need} bytes of events, above the limit of "
            f"{settings.max_search_bytes}",
            "limit.exceeded",
            {"limit": settings.max_search_bytes, "setting": "max_search_bytes", "value": need},
        )
    base = engine_config(body.base, prefix="base.") if body.base is not None else None
    request = SearchRequest(
        space=space,
        method=body.method,
        trials=body.trials,
        epochs=body.epochs,
        subset=body.subset,
        val_fraction=body.val_fraction,
        seed=body.seed,
        parallelism=body.parallelism,
        base=base,
        label=body.label,
    )
    cfg = request.base_config()
    try:  # the split the trials will train on: a subset larger than the data set fails here, not per trial
        data = load_data(cfg, settings.mnist_dir, settings.max_samples, settings.data_dir)
    except InputError as exc:
        field = "subset" if exc.field.endswith("n_samples") else f"base.{exc.field}"
        raise InputError(field, exc.message, exc.code, exc.params) from exc
    available = len(data.y_train) + len(data.y_val)
    if available < body.subset:
        raise InputError(
            "subset",
            f"{cfg.dataset.name} has {available} samples, fewer than the {body.subset} asked for",
            "search.subset_too_large",
            {"value": body.subset, "available": available, "dataset": cfg.dataset.name},
        )
    return request


@router.get("/searches/catalogue", response_model=SearchCatalogue)
def search_catalogue(settings: SettingsDep) -> SearchCatalogue:
    """The knobs with their default ranges and bounds, the request defaults and the search limits."""
    knobs = []
    for k in core.KNOBS.values():
        top = getattr(settings, k.limit) if k.limit else None
        maximum = min(k.maximum, float(top)) if top is not None else k.maximum
        knobs.append(
            KnobInfo(
                knob=k.name,
                low=k.low,
                high=k.high,
                scale=k.scale,
                integer=k.integer,
                minimum=k.minimum,
                maximum=maximum,
                exclusive_minimum=k.exclusive_minimum,
                path=k.path,
            )
        )
    defaults = SearchRequestModel().model_dump(exclude={"base", "label", "parallelism"})
    limits = {
        name: int(getattr(settings, name))
        for name in (
            "max_search_trials",
            "max_search_epochs",
            "max_search_parallelism",
            "max_search_bytes",
            "max_concurrent_searches",
            "max_samples",
        )
    }
    executor = "dask" if settings.dask_scheduler_address else "processes"
    workers = settings.search_workers or default_workers()
    return SearchCatalogue(knobs=knobs, defaults=defaults, limits=limits, workers=workers, executor=executor)


@router.post("/searches", status_code=202, response_model=SearchCreated, responses={**_BODY_ERRORS, **_ADMISSION})
def start_search(body: SearchRequestModel, settings: SettingsDep, manager: SearchesDep) -> SearchCreated:
    """Start a hyperparameter search (random or grid); its trials run on the process pool or the cluster."""
    request = parse_request(body, settings)
    try:
        search = manager.submit(request)
    except TooManySearchesError as exc:
        raise _too_many(exc) from exc
    return _created(search)


@router.get("/searches", response_model=list[SearchInfo])
def list_searches(manager: SearchesDep) -> list[SearchInfo]:
    """The searches in memory (running and recently finished), oldest first; all are also saved runs."""
    out = []
    for s in manager.searches():
        out.append(
            SearchInfo(
                id=s.id,
                label=s.label,
                status=s.status,
                done=len(s.trials),
                total=len(s.designs),
                parent_id=s.request.parent_id,
            )
        )
    return out


@router.get("/searches/{search_id}", response_model=SearchDetail, responses=_NOT_FOUND)
def search_detail(search_id: str, manager: SearchesDep) -> SearchDetail:
    """A search's status, progress (with ETA) and its trials so far, ranked by validation accuracy."""
    try:
        return SearchDetail(**manager.snapshot(search_id))
    except SearchNotFoundError as exc:
        raise _not_found(exc) from exc


@router.post(
    "/searches/{search_id}/narrow",
    status_code=202,
    response_model=SearchCreated,
    responses={**_NOT_FOUND, **_BODY_ERRORS, **_ADMISSION},
)
def narrow_search(search_id: str, manager: SearchesDep, body: NarrowRequest | None = None) -> SearchCreated:
    """Start a finer search: each range shrunk to the best trials' values plus a margin (same budget)."""
    body = body or NarrowRequest()
    try:
        search = manager.narrow(search_id, body.best, body.margin)
    except SearchNotFoundError as exc:
        raise _not_found(exc) from exc
    except TooManySearchesError as exc:
        raise _too_many(exc) from exc
    return _created(search)


@router.delete("/searches/{search_id}", response_model=SearchCancelled, responses=_NOT_FOUND)
def cancel_search(search_id: str, manager: SearchesDep) -> SearchCancelled:
    """Cancel a search: queued trials are dropped at once, running ones stop within a second."""
    try:
        search = manager.cancel(search_id)
    except SearchNotFoundError as exc:
        raise _not_found(exc) from exc
    search.wait_finished(CANCEL_WAIT_SECONDS)
    return SearchCancelled(id=search.id, status=search.status)


def _search_or_404(search_id: str, manager: SearchesDep) -> Search:
    try:
        return manager.get(search_id)
    except SearchNotFoundError as exc:
        raise _not_found(exc) from exc


def _resume_point(search: Annotated[Search, Depends(_search_or_404)], start: LastEventIdDep) -> int:
    """The id after which to stream; ``204`` once a finished search has nothing after it."""
    if search.log.closed and not search.log.after(start):
        raise HTTPException(status_code=204)
    return start


@router.get(
    "/searches/{search_id}/events",
    response_class=EventSourceResponse,
    responses={
        200: {
            "description": "`status` (started: total, executor, parallelism), one `trial` per finished trial "
            "(a Trial plus done, total, progress, elapsed, eta), then `done` / `cancelled` / `error` "
            "with the summary.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
        204: {"description": "The search has finished and no events remain after Last-Event-ID."},
        404: {"description": _NOT_FOUND[404]["description"], "content": _JSON_ERROR},
    },
)
async def search_events(
    search: Annotated[Search, Depends(_search_or_404)], start: Annotated[int, Depends(_resume_point)]
) -> AsyncIterator[ServerSentEvent]:
    """Stream a search's trials as they finish (SSE, resumable with Last-Event-ID)."""
    async for event in follow_event_log(search.log, start, f"search {search.id}"):
        yield event
