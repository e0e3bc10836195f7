"""Routes for the Training Lab's data sets: the list, a preview of a few samples, and uploads.

``POST /api/datasets/uploads`` takes either ``multipart/form-data`` (``kind`` "csv" with one
``file`` and optional ``label_column``; ``kind`` "idx" with two or four ``file`` parts; optional
``name``) or JSON ``{"kind": "points", "points": [[x, y, label], ...], "name"}``. Its body may be
up to ``PLAYGROUND_MAX_UPLOAD_BYTES`` (the route's own ``max_body_size``, and the same limit in
``app.api.body_limit.path_limits``, read at start-up like the global limit). Parsing runs in a worker thread
(``app/core/datasets/uploads.py``); a bad file stores nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api.deps import SettingsDep
from app.api.responses import error_responses
from app.api.schemas.datasets import DatasetInfo, DatasetPreview, PointsUpload, UploadDeleted
from app.config import Settings, get_settings
from app.core.datasets import (
    CATALOGUE,
    MAX_CLASSES,
    MAX_NOISE,
    MIN_CLASSES,
    MIN_SAMPLES,
    preview_dataset,
    store,
)
from app.core.datasets import list_datasets as core_list_datasets
from app.core.datasets.upload_common import UploadError, UploadLimits
from app.core.datasets.uploads import Uploaded, from_csv, from_idx, from_points
from app.core.errors import InputError

router = APIRouter(tags=["datasets"])

UPLOAD_PATH = "/datasets/uploads"
"""The upload route, below ``/api`` (``app.api.body_limit.UPLOAD_PATH``)."""
UPLOAD_ENV = "PLAYGROUND_MAX_UPLOAD_BYTES"
MAX_UPLOAD_BYTES = get_settings().max_upload_bytes
"""The upload route's own body limit, read at start-up like the global one (app/api/body_limit.py)."""

MAX_FORM_FILES = 4
MAX_FORM_FIELDS = 8

#: Status of each refusal that is not a plain 422.
_UPLOAD_STATUS = {"upload.too_many_uploads": 409, "upload.content_type": 415, "upload.too_large": 413}

_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["kind", "file"],
                    "properties": {
                        "kind": {"type": "string", "enum": ["csv", "idx"]},
                        "file": {
                            "type": "array",
                            "items": {"type": "string", "format": "binary"},
                            "description": "csv: one file; idx: training images + labels, optionally the t10k pair",
                        },
                        "label_column": {"type": "string", "description": "csv: column name or 0-based index"},
                        "name": {"type": "string", "maxLength": 80},
                    },
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/PointsUpload"}},
        },
    }
}


def _limits(settings: Settings) -> UploadLimits:
    return UploadLimits(settings.max_upload_rows, settings.max_upload_columns, settings.max_upload_classes)


def _refusal(exc: InputError) -> JSONResponse:
    """An upload error as its HTTP answer (status by code; ``loc`` ``["body", field]``).

    Answered directly (not raised), so the 413 keeps its ``upload.too_large`` item and setting.
    """
    code = getattr(exc, "code", "upload.invalid")
    return JSONResponse(status_code=_UPLOAD_STATUS.get(code, 422), content={"detail": [exc.as_detail()]})


def _too_large(limit: int, declared: str | None) -> UploadError:
    what = f"is {declared} bytes" if declared else f"exceeds {limit} bytes"
    return UploadError(
        "body", f"the upload {what}; the limit is {limit} bytes (setting {UPLOAD_ENV})", "upload.too_large",
        limit=limit, setting="max_upload_bytes",
    )  # fmt: skip


@router.get("/datasets", response_model=list[DatasetInfo])
def list_datasets(settings: SettingsDep) -> list[dict[str, Any]]:
    """List the data sets: built-in (MNIST only with its files) and uploaded (``uploaded: true``)."""
    return core_list_datasets(settings.mnist_dir) + store.upload_entries(settings.data_dir)


async def _points(request: Request, limits: UploadLimits) -> Uploaded:
    try:
        body = PointsUpload.model_validate_json(await request.body())
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from exc
    return await run_in_threadpool(from_points, body.points, body.name, limits)


def _text(value: str | UploadFile | None) -> str | None:
    return value if isinstance(value, str) else None


async def _form(request: Request, limits: UploadLimits) -> Uploaded:
    async with request.form(max_files=MAX_FORM_FILES, max_fields=MAX_FORM_FIELDS) as form:
        kind, name = _text(form.get("kind")), _text(form.get("name"))
        files = [f for f in form.getlist("file") if isinstance(f, UploadFile)]
        if kind not in ("csv", "idx"):
            raise UploadError("kind", f"kind must be 'csv' or 'idx', got {str(kind)[:20]!r}", "upload.bad_kind")
        if not files:
            raise UploadError("file", "no file was sent (form field 'file')", "upload.no_file")
        contents = [(f.filename or f"file {i + 1}", await f.read()) for i, f in enumerate(files)]
    if kind == "csv":
        if len(contents) != 1:
            raise UploadError("file", f"{len(contents)} files; a CSV upload takes one", "upload.csv_files")
        label = _text(form.get("label_column"))
        fallback = contents[0][0].rsplit(".", 1)[0]
        return await run_in_threadpool(from_csv, contents[0][1], label, name or fallback, limits)
    return await run_in_threadpool(from_idx, contents, name, limits)


@router.post(
    UPLOAD_PATH,
    status_code=201,
    response_model=DatasetInfo,
    responses=error_responses(409, 413, 415, 422),
    openapi_extra=_UPLOAD_BODY,
    max_body_size=MAX_UPLOAD_BYTES,
)
async def upload_dataset(request: Request, settings: SettingsDep) -> Any:
    """Upload a CSV, MNIST-style IDX files or drawn points as a new data set (stored; listed as uploaded)."""
    declared = request.headers.get("content-length", "")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    limits = _limits(settings)
    try:
        if declared.isdigit() and int(declared) > settings.max_upload_bytes:
            raise _too_large(settings.max_upload_bytes, declared)
        if content_type == "application/json":
            data = await _points(request, limits)
        elif content_type == "multipart/form-data":
            data = await _form(request, limits)
        else:
            raise UploadError(
                "body", f"send multipart/form-data (csv, idx) or application/json (points), not {content_type[:40]!r}",
                "upload.content_type",
            )  # fmt: skip
        meta = await run_in_threadpool(store.save, data, settings.data_dir, settings.max_uploads)
    except UploadError as exc:
        return _refusal(exc)
    except StarletteHTTPException as exc:  # the route's body limit, counted while a body streams in
        if exc.status_code != 413:
            raise
        return _refusal(_too_large(MAX_UPLOAD_BYTES, None))
    return store.catalogue_entry(meta)


@router.delete(f"{UPLOAD_PATH}/{{upload_id}}", response_model=UploadDeleted, responses=error_responses(404))
def delete_upload(upload_id: str, settings: SettingsDep) -> UploadDeleted:
    """Delete an uploaded data set (jobs already training on it keep their copy)."""
    if not store.delete(settings.data_dir, upload_id):
        detail = store.not_found(upload_id, "upload_id").as_detail()
        raise HTTPException(status_code=404, detail=[{**detail, "type": "not_found", "loc": ["path", "upload_id"]}])
    return UploadDeleted(id=upload_id)


@router.get(
    "/datasets/{dataset_id}/preview",
    response_model=DatasetPreview,
    response_model_exclude_none=True,
    responses=error_responses(404, 422),
)
def preview(
    dataset_id: str,
    settings: SettingsDep,
    limit: Annotated[int, Query(ge=1, le=5000, description="Most samples (images: at most 64).")] = 200,
    n_samples: Annotated[int | None, Query(ge=MIN_SAMPLES, description="As `dataset.n_samples`.")] = None,
    noise: Annotated[float | None, Query(ge=0, le=MAX_NOISE, description="As `dataset.noise`.")] = None,
    classes: Annotated[int | None, Query(ge=MIN_CLASSES, le=MAX_CLASSES, description="As `dataset.classes`.")] = None,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1, description="As `dataset.seed`.")] = 0,
) -> dict[str, Any]:
    """Show a few raw samples of one data set (points, images or table rows)."""
    if dataset_id not in CATALOGUE and store.read_meta(settings.data_dir, dataset_id) is None:
        raise HTTPException(
            status_code=404,
            detail=[
                {
                    "type": "not_found",
                    "loc": ["path", "dataset_id"],
                    "msg": f"unknown data set {dataset_id[:50]!r}; choose one of {', '.join(CATALOGUE)} "
                    "or an upload's id",
                }
            ],
        )
    spec = {
        "name": dataset_id,
        "n_samples": n_samples,
        "noise": noise,
        "classes": classes,
        "seed": seed,
    }
    try:
        return preview_dataset(
            spec, settings.mnist_dir, settings.max_samples, limit, field="query", data_dir=settings.data_dir
        )
    except InputError as exc:
        key = exc.field.split(".")[-1]
        loc = ["path", "dataset_id"] if key == "name" else ["query", key]
        raise HTTPException(status_code=422, detail=[{**exc.as_detail(), "loc": loc}]) from exc
