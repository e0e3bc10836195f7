"""Routes for the Training Lab's data sets: the list, and a preview of a few samples."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from app.api.deps import SettingsDep
from app.api.responses import error_responses
from app.api.schemas.datasets import DatasetInfo, DatasetPreview
from app.core.datasets import (
    CATALOGUE,
    MAX_CLASSES,
    MAX_NOISE,
    MIN_CLASSES,
    MIN_SAMPLES,
    preview_dataset,
)
from app.core.datasets import list_datasets as core_list_datasets
from app.core.errors import InputError

router = APIRouter(tags=["datasets"])


@router.get("/datasets", response_model=list[DatasetInfo])
def list_datasets(settings: SettingsDep) -> list[dict[str, Any]]:
    """List the data sets (MNIST is available only when PLAYGROUND_MNIST_DIR holds its files)."""
    return core_list_datasets(settings.mnist_dir)


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
    if dataset_id not in CATALOGUE:
        raise HTTPException(
            status_code=404,
            detail=[
                {
                    "type": "not_found",
                    "loc": ["path", "dataset_id"],
                    "msg": f"unknown data set {dataset_id[:50]!r}; choose one of {', '.join(CATALOGUE)}",
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
        return preview_dataset(spec, settings.mnist_dir, settings.max_samples, limit, field="query")
    except InputError as exc:
        key = exc.field.split(".")[-1]
        loc = ["path", "dataset_id"] if key == "name" else ["query", key]
        raise HTTPException(status_code=422, detail=[{**exc.as_detail(), "loc": loc}]) from exc
