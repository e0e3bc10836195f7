"""Saved runs: list, open, rename, delete, save, import and export (docs/API.md, "Saved runs").

Thin: the store (``app/store``) does the work; every handler is sync, so FastAPI runs it in its
thread pool and the event loop never waits for the database.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Path, Query, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import TypeAdapter, ValidationError

from app.api.deps import SettingsDep
from app.api.responses import ErrorResponse, error_responses
from app.api.schemas.runs import (
    EXPORT_FORMAT,
    ImportedRun,
    ImportResult,
    RunCreate,
    RunDetail,
    RunInfo,
    RunKind,
    RunList,
    RunRename,
    SavedEvent,
)
from app.store import RunNotFoundError, RunStore, SavedRun, get_run_store, new_run_id

router = APIRouter(tags=["runs"])

RUN_ID = Path(max_length=64, description="A saved run's id (a training job's id, `c-…`, `s-…`, `r-…`).")

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No saved run with this id (`run.not_found`)."}
}


def store_dep(settings: SettingsDep) -> RunStore:
    """The process-wide store of the request's settings."""
    return get_run_store(settings)


StoreDep = Annotated[RunStore, Depends(store_dep)]


def _not_found(run_id: str) -> HTTPException:
    item = {
        "type": "not_found",
        "loc": ["path", "run_id"],
        "msg": f"no saved run with id {run_id!r}",
        "code": "run.not_found",
        "params": {"id": run_id},
    }
    return HTTPException(status_code=404, detail=[item])


def _run(store: RunStore, run_id: str) -> SavedRun:
    try:
        return store.get(run_id)
    except RunNotFoundError as exc:
        raise _not_found(run_id) from exc


def _info(run: SavedRun) -> RunInfo:
    return RunInfo(**run.listing())


@router.get("/runs", response_model=RunList, responses=error_responses(422))
def list_runs(
    store: StoreDep,
    settings: SettingsDep,
    q: Annotated[str | None, Query(max_length=200, description="Label substring (case-insensitive).")] = None,
    kind: Annotated[RunKind | None, Query(description="Only runs of this kind.")] = None,
    limit: Annotated[int, Query(ge=1, description="Page size, at most max_saved_runs_page.")] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
    children: Annotated[bool, Query(description="Also list the runs inside comparisons (and searches).")] = False,
) -> RunList:
    """Saved runs, newest first: search by label, filter by kind, page with limit/offset."""
    _at_most(limit, settings.max_saved_runs_page, "max_saved_runs_page", ["query", "limit"])
    top = not children
    runs = store.list(query=q, kind=kind, limit=limit, offset=offset, top_level=top)
    total = store.count(query=q, kind=kind, top_level=top)
    return RunList(runs=[_info(r) for r in runs], total=total, limit=limit, offset=offset)


@router.post("/runs", status_code=201, response_model=RunInfo, responses=error_responses(400, 413, 422))
def save_run(body: RunCreate, store: StoreDep) -> RunInfo:
    """Save an Optimizer Lab configuration with its results (kind `lab`)."""
    run_id = store.create(kind=body.kind, label=body.label, config=body.config, summary=body.summary, status="done")
    return _info(store.get(run_id))


@router.get("/runs/{run_id}", response_model=RunDetail, responses={**_NOT_FOUND, **error_responses(422)})
def run_detail(
    store: StoreDep,
    settings: SettingsDep,
    run_id: Annotated[str, RUN_ID],
    after: Annotated[int, Query(ge=0, description="Events with a larger id only.")] = 0,
    limit: Annotated[int | None, Query(ge=1, description="Most events, at most max_saved_events_page.")] = None,
) -> RunDetail:
    """One saved run: config, summary, a page of its events, and a comparison's runs."""
    page = settings.max_saved_events_page if limit is None else limit
    _at_most(page, settings.max_saved_events_page, "max_saved_events_page", ["query", "limit"])
    run = _run(store, run_id)
    events = store.events(run_id, after=after, limit=page + 1)
    more = len(events) > page
    events = events[:page]
    children = _children(store, run)
    return RunDetail(
        **run.listing(),
        config=run.config,
        summary=run.summary,
        events=[SavedEvent(**e) for e in events],
        next_after=events[-1]["id"] if more else None,
        children=[_info(c) for c in children],
    )


@router.patch("/runs/{run_id}", response_model=RunInfo, responses={**_NOT_FOUND, **error_responses(400, 413, 422)})
def rename_run(body: RunRename, store: StoreDep, run_id: Annotated[str, RUN_ID]) -> RunInfo:
    """Give a saved run a new label."""
    try:
        return _info(store.rename(run_id, body.label))
    except RunNotFoundError as exc:
        raise _not_found(run_id) from exc


@router.delete(
    "/runs/{run_id}",
    status_code=204,
    responses={
        **_NOT_FOUND,
        409: {"model": ErrorResponse, "description": "The run is still running (`run.running`): stop it first."},
    },
)
def delete_run(store: StoreDep, run_id: Annotated[str, RUN_ID]) -> Response:
    """Delete a saved run (a comparison with its runs)."""
    run = _run(store, run_id)
    if run.status == "running":
        item = {
            "type": "conflict",
            "loc": ["path", "run_id"],
            "msg": f"run {run_id} is still running; stop it before deleting it",
            "code": "run.running",
            "params": {"id": run_id},
        }
        raise HTTPException(status_code=409, detail=[item])
    try:
        store.delete(run_id)
    except RunNotFoundError as exc:  # deleted meanwhile
        raise _not_found(run_id) from exc
    return Response(status_code=204)


_RUN_LIST = TypeAdapter(list[ImportedRun])


@router.post("/runs/import", status_code=201, response_model=ImportResult, responses=error_responses(400, 413, 422))
def import_runs(
    store: StoreDep,
    settings: SettingsDep,
    raw: Annotated[
        dict[str, Any],
        Body(description='A Training Lab export (one run, or `{"runs": [...]}`) or this API\'s export.'),
    ],
) -> ImportResult:
    """Store the runs of an exported JSON file as new saved runs (nothing is run)."""
    several = isinstance(raw.get("runs"), list) and raw.get("kind") != "comparison"
    try:
        records = _RUN_LIST.validate_python(raw["runs"]) if several else [ImportedRun.model_validate(raw)]
    except ValidationError as exc:
        prefix = ("body", "runs") if several else ("body",)
        raise RequestValidationError([{**e, "loc": (*prefix, *e["loc"])} for e in exc.errors()]) from exc
    total = sum(1 + len(r.runs) for r in records)
    if not records or not any(r.events or r.runs or r.config for r in records):
        item = {
            "type": "value_error",
            "loc": ["body"],
            "msg": "the file holds no run (expected a Training Lab export or a saved-run export)",
            "code": "run.import_empty",
            "params": {},
        }
        raise HTTPException(status_code=422, detail=[item])
    _at_most(total, settings.max_import_runs, "max_import_runs", ["body", "runs"])
    saved = []
    for record in records:
        run_id = new_run_id()
        # a comparison's runs first, so its config can name them in order (as a live one does)
        child_ids = [_store_imported(store, child, new_run_id(), parent_id=run_id) for child in record.runs]
        config = {**record.config, "job_ids": child_ids} if record.kind == "comparison" else record.config
        _store_imported(store, record, run_id, parent_id=None, config=config)
        saved.append(_info(store.get(run_id)))
    return ImportResult(runs=saved)


def _store_imported(
    store: RunStore,
    record: ImportedRun,
    run_id: str,
    parent_id: str | None,
    config: dict[str, Any] | None = None,
) -> str:
    label = record.label.strip() or "imported run"
    store.create(
        kind=record.kind,
        label=label,
        config=record.config if config is None else config,
        run_id=run_id,
        parent_id=parent_id,
    )
    events = [(e.event, e.data) for e in record.events]
    ids = [e.id for e in record.events]
    for start in range(0, len(events), 500):
        store.append_events(run_id, events[start : start + 500], ids=ids[start : start + 500])
    store.finish(run_id, record.saved_status(), record.summary)
    return run_id


@router.get("/runs/{run_id}/export", responses=_NOT_FOUND)
def export_run(store: StoreDep, run_id: Annotated[str, RUN_ID]) -> JSONResponse:
    """The run as a JSON file (the Training Lab's export record plus `format`, `kind`, `id`, `created`)."""
    run = _run(store, run_id)
    body = _export(store, run)
    if run.kind in ("comparison", "search"):
        body["runs"] = [_export(store, child) for child in _children(store, run)]
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in run.label)[:60] or run.id
    return JSONResponse(body, headers={"Content-Disposition": f'attachment; filename="run-{name}.json"'})


def _children(store: RunStore, run: SavedRun) -> list[SavedRun]:
    """A comparison's (search's) runs in the order they ran (its config's ``job_ids``), else oldest first."""
    if run.kind not in ("comparison", "search"):
        return []
    children = list(reversed(store.list(parent_id=run.id, limit=10_000)))
    order = run.config.get("job_ids")
    if isinstance(order, list):
        rank = {job_id: k for k, job_id in enumerate(order)}
        children.sort(key=lambda child: rank.get(child.id, len(rank)))
    return children


def _export(store: RunStore, run: SavedRun) -> dict[str, Any]:
    return {
        "format": EXPORT_FORMAT,
        "kind": run.kind,
        "id": run.id,
        "job_id": run.id if run.kind == "training" else None,
        "label": run.label,
        "status": run.status,
        "created": run.created,
        "finished": run.finished,
        "config": run.config,
        "summary": run.summary,
        "events": store.events(run.id),
    }


def _at_most(value: int, limit: int, setting: str, loc: list[str]) -> None:
    if value > limit:
        item = {
            "type": "limit_exceeded",
            "loc": loc,
            "msg": f"{loc[-1]} is {value}, above the limit (limit {setting}={limit}, env PLAYGROUND_{setting.upper()})",
            "code": "limit.exceeded",
            "params": {"limit": limit, "setting": setting, "value": value},
        }
        raise HTTPException(status_code=422, detail=[item])
