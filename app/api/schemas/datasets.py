"""Shapes of ``GET /api/datasets``, ``GET /api/datasets/{id}/preview`` and the uploads
(``POST /api/datasets/uploads``, ``DELETE /api/datasets/uploads/{id}``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.api.schemas.common import LocalizedText, StrictModel


class DatasetInfo(BaseModel):
    """One data set the Training Lab can train on."""

    id: str = Field(description="Value for `dataset.name` in a training configuration.")
    name: LocalizedText
    kind: Literal["image", "table", "2d"]
    n_samples: int = Field(description="Full size (shipped sets, MNIST) or default count (generated).")
    n_features: int
    n_classes: int = Field(description="Number of classes (the default K for spiral and blobs).")
    generated: bool = Field(description="Drawn from `dataset.seed` rather than stored.")
    available: bool = Field(description="False only for MNIST when PLAYGROUND_MNIST_DIR lacks the files.")
    description: LocalizedText
    params: list[str] = Field(description="Which `dataset` fields this set uses.")
    defaults: dict[str, float | int | None] = Field(description="Default values of those fields.")
    image_shape: list[int] | None = Field(None, description="[rows, cols] for image sets.")
    hint: LocalizedText | None = Field(None, description="How to make an unavailable set available (MNIST).")
    uploaded: bool = Field(False, description="An uploaded or drawn set (`POST /api/datasets/uploads`).")
    source: Literal["csv", "idx", "points"] | None = Field(None, description="Uploads: what was uploaded.")
    classes: list[str] | None = Field(None, description="Uploads: the class names, in class-index order.")
    feature_names: list[str] | None = Field(None, description="Uploads: the feature columns (at most 50 listed).")
    created: str | None = Field(None, description="Uploads: when, ISO 8601 UTC.")

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "spiral",
                    "name": {"en": "Spiral", "ko": "나선"},
                    "kind": "2d",
                    "n_samples": 500,
                    "n_features": 2,
                    "n_classes": 3,
                    "generated": True,
                    "available": True,
                    "description": {
                        "en": "K interleaved spiral arms (CS231n); noise = angle jitter.",
                        "ko": "서로 감긴 K개의 나선 팔 (CS231n); 잡음 = 각도 흔들림(라디안).",
                    },
                    "params": ["n_samples", "noise", "seed", "classes"],
                    "defaults": {"n_samples": 500, "noise": 0.2, "classes": 3},
                    "image_shape": None,
                }
            ]
        }
    }


class Bounds(BaseModel):
    """Plot range of a 2-D set: the data range plus a 10 % margin."""

    x: list[float] = Field(min_length=2, max_length=2)
    y: list[float] = Field(min_length=2, max_length=2)

    model_config = {"json_schema_extra": {"examples": [{"x": [-1.2, 1.2], "y": [-1.2, 1.2]}]}}


class DatasetPreview(BaseModel):
    """A few raw samples (no split, no standardisation) for showing the data.

    2-D sets fill ``x``, ``y``, ``bounds``; image sets ``images`` ([m][rows][cols] raw pixel
    values), ``image_shape`` and ``value_range``; tables ``rows`` and ``feature_names``.
    ``label`` [m] is always there.
    """

    id: str
    kind: Literal["image", "table", "2d"]
    class_names: list[str]
    n_total: int = Field(description="Samples in the (generated or subsampled) set.")
    label: list[int]
    x: list[float] | None = None
    y: list[float] | None = None
    bounds: Bounds | None = None
    images: list[list[list[int]]] | None = None
    image_shape: list[int] | None = None
    value_range: list[int] | None = None
    rows: list[list[float]] | None = None
    feature_names: list[str] | None = None

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "id": "xor",
                    "kind": "2d",
                    "class_names": ["0", "1"],
                    "n_total": 500,
                    "label": [0, 1, 1],
                    "x": [0.27, -0.92, 0.63],
                    "y": [-0.46, -0.97, 0.83],
                    "bounds": {"x": [-1.19, 1.2], "y": [-1.2, 1.19]},
                }
            ]
        }
    }


class PointsUpload(StrictModel):
    """Drawn 2-D points as a data set: ``[[x, y, label], ...]`` with integer labels ≥ 0."""

    kind: Literal["points"]
    points: list[list[float]] = Field(description="[[x, y, label], ...]; at most PLAYGROUND_MAX_UPLOAD_ROWS.")
    name: str | None = Field(None, max_length=80, description="Display name (default: 'Points').")

    model_config = ConfigDict(
        extra="forbid",
        allow_inf_nan=False,
        json_schema_extra={
            "examples": [{"kind": "points", "name": "my two classes", "points": [[0.1, 0.5, 0], [0.9, -0.2, 1]]}]
        },
    )


class UploadDeleted(BaseModel):
    """The answer of ``DELETE /api/datasets/uploads/{id}``."""

    id: str
    deleted: Literal[True] = True
