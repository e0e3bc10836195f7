"""A learner's own data: an uploaded CSV, uploaded MNIST-style IDX files, or drawn 2-D points.

Each becomes an :class:`Uploaded` set (arrays + what ``GET /api/datasets`` shows), which
:mod:`app.core.datasets.store` keeps on disk. Nothing uploaded is ever executed or unpickled: CSV
goes through the ``csv`` module (:mod:`app.core.datasets.csv_table`), IDX through
:mod:`app.core.datasets.idx`. Every problem is an :class:`UploadError` naming the field, and the
row / column / file where there is one.

Kinds of data (``Uploaded.kind``, as for the built-in sets): a CSV or drawn points with exactly two
features are ``"2d"`` (the Training Lab draws their decision boundary), other CSVs ``"table"``,
IDX images ``"image"``.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.core.datasets import idx
from app.core.datasets.csv_table import parse_csv
from app.core.datasets.request import MIN_SAMPLES
from app.core.datasets.upload_common import UploadError, UploadLimits, limit_error
from app.core.errors import InputError

MAX_NAME_LENGTH = 80
GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, eq=False)
class Uploaded:
    """An uploaded data set before it is stored.

    Attributes
    ----------
    x : np.ndarray, shape (n, d) — float64 features, or uint8 pixels for IDX images
    y : np.ndarray, shape (n,), int64 in 0..K−1
    class_names : list of str, length K
    feature_names : list of str, length d (empty for images)
    kind : "2d" | "table" | "image"
    source : "csv" | "idx" | "points"
    name : str — display name
    image_shape : (rows, cols) or None
    test : (x_test (m, d), y_test (m,)) or None — the official test files of an IDX upload
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    feature_names: list[str]
    kind: str
    source: str
    name: str
    image_shape: tuple[int, int] | None = None
    test: tuple[np.ndarray, np.ndarray] | None = None


def display_name(name: str | None, fallback: str) -> str:
    """The set's name: ``name`` trimmed (≤ ``MAX_NAME_LENGTH`` characters), else ``fallback``."""
    name = (name or "").strip() or fallback
    if len(name) > MAX_NAME_LENGTH:
        raise UploadError(
            "name", f"at most {MAX_NAME_LENGTH} characters", "upload.name_too_long", limit=MAX_NAME_LENGTH
        )
    return name


def from_csv(data: bytes, label_column: str | int | None, name: str | None, limits: UploadLimits) -> Uploaded:
    """An uploaded CSV (rules: :mod:`app.core.datasets.csv_table`)."""
    table = parse_csv(data, label_column, limits)
    kind = "2d" if table.x.shape[1] == 2 else "table"
    return Uploaded(table.x, table.y, table.class_names, table.feature_names, kind, "csv", display_name(name, "CSV"))


def from_points(points: Sequence[Sequence[float]], name: str | None, limits: UploadLimits) -> Uploaded:
    """Drawn points ``[[x, y, label], ...]`` (labels are integers ≥ 0; unused labels are dropped,
    so classes 0 and 2 become classes 0 and 1 named "0" and "2")."""
    if len(points) > limits.max_rows:
        raise limit_error("points", "rows", limits.max_rows, "max_upload_rows")
    if len(points) < MIN_SAMPLES:
        raise UploadError(
            "points", f"{len(points)} points; at least {MIN_SAMPLES} are needed", "upload.too_few_rows",
            found=len(points), minimum=MIN_SAMPLES,
        )  # fmt: skip
    for i, point in enumerate(points):
        if len(point) != 3 or not all(math.isfinite(v) for v in point):
            message = f"point {i} must be [x, y, label] of finite numbers"
            raise UploadError("points", message, "upload.bad_point", index=i)
        if point[2] != int(point[2]) or point[2] < 0:
            raise UploadError("points", f"point {i}: label must be an integer ≥ 0", "upload.bad_point", index=i)
    array = np.asarray(points, dtype=np.float64)
    labels, y = np.unique(array[:, 2].astype(np.int64), return_inverse=True)
    _check_classes(len(labels), "points", limits)
    names = [str(int(v)) for v in labels]
    x = array[:, :2].copy()
    return Uploaded(x, y.astype(np.int64), names, ["x", "y"], "2d", "points", display_name(name, "Points"))


def _check_classes(n_classes: int, field: str, limits: UploadLimits) -> None:
    if n_classes > limits.max_classes:
        raise limit_error(field, "classes", limits.max_classes, "max_upload_classes")
    if n_classes < 2:
        raise UploadError(field, f"{n_classes} class; at least 2 are needed", "upload.too_few_classes", found=n_classes)


# ---------------------------------------------------------------------------- IDX


@dataclass(frozen=True)
class _IdxFile:
    name: str
    path: Path
    magic: int
    shape: tuple[int, ...]
    test: bool  # "t10k" or "test" in the file name


def _role_file(filename: str, data: bytes, folder: Path, limits: UploadLimits) -> _IdxFile:
    """Save one uploaded file to ``folder`` and read its IDX header (images or labels)."""
    suffix = ".gz" if data[:2] == GZIP_MAGIC else ""
    path = folder / f"{len(list(folder.iterdir()))}{suffix}"
    path.write_bytes(data)
    try:
        magic, shape = idx.read_idx_header(path, field="file")
    except InputError as exc:
        raise UploadError("file", f"{filename}: {exc.message}", "upload.idx_unreadable", file=filename) from exc
    if magic not in (idx.MAGIC_IMAGES, idx.MAGIC_LABELS):
        raise UploadError(
            "file", f"{filename}: magic number 0x{magic:08X} is neither images (0x803) nor labels (0x801)",
            "upload.idx_unreadable", file=filename,
        )  # fmt: skip
    if shape[0] > limits.max_rows:
        raise limit_error("file", "rows", limits.max_rows, "max_upload_rows")
    if magic == idx.MAGIC_IMAGES and shape[1] * shape[2] > limits.max_columns:
        raise limit_error("file", "columns", limits.max_columns, "max_upload_columns")
    lowered = filename.lower()
    return _IdxFile(filename, path, magic, shape, "t10k" in lowered or "test" in lowered)


def _read(f: _IdxFile) -> np.ndarray:
    n_bytes = int(np.prod(f.shape, dtype=np.int64))
    try:
        return idx.read_idx(f.path, f.magic, field="file", max_bytes=n_bytes)
    except InputError as exc:
        raise UploadError("file", f"{f.name}: {exc.message}", "upload.idx_unreadable", file=f.name) from exc


def _pairs(files: list[_IdxFile]) -> dict[bool, tuple[_IdxFile, _IdxFile]]:
    """``{is_test: (images, labels)}``: a training pair, and optionally a test pair."""
    pairs: dict[bool, tuple[_IdxFile, _IdxFile]] = {}
    for test in (False, True):
        images = [f for f in files if f.test == test and f.magic == idx.MAGIC_IMAGES]
        labels = [f for f in files if f.test == test and f.magic == idx.MAGIC_LABELS]
        if len(images) > 1 or len(labels) > 1 or len(images) != len(labels):
            role = "test (t10k)" if test else "training"
            raise UploadError(
                "file", f"needs one {role} images file and one {role} labels file", "upload.idx_files", role=role
            )
        if images:
            pairs[test] = (images[0], labels[0])
    if False not in pairs:
        raise UploadError("file", "needs the training images and labels files", "upload.idx_files", role="training")
    return pairs


def from_idx(files: Sequence[tuple[str, bytes]], name: str | None, limits: UploadLimits) -> Uploaded:
    """MNIST-style IDX files: training images + labels, optionally the t10k test pair (plain or gzip).

    A file is a test file when its name contains "t10k" or "test"; images vs labels come from the
    magic number. Labels are remapped to 0..K−1 (class names keep the original values); test
    labels must be training classes.
    """
    if not 2 <= len(files) <= 4:
        message = f"{len(files)} files; upload 2 (training) or 4 (with test)"
        raise UploadError("file", message, "upload.idx_files", role="training")
    with tempfile.TemporaryDirectory(prefix="playground-idx-") as tmp:
        found = [_role_file(filename, data, Path(tmp), limits) for filename, data in files]
        pairs = _pairs(found)
        arrays = {test: (_read(images), _read(labels)) for test, (images, labels) in pairs.items()}
    for images, labels in arrays.values():
        if len(images) != len(labels):
            raise UploadError(
                "file", f"{len(images)} images but {len(labels)} labels", "upload.idx_counts",
                images=len(images), labels=len(labels),
            )  # fmt: skip
    x, labels = arrays[False]
    classes = np.unique(labels)
    _check_classes(len(classes), "file", limits)
    if len(labels) < MIN_SAMPLES:
        raise UploadError("file", f"{len(labels)} images; at least {MIN_SAMPLES} are needed", "upload.too_few_rows",
                          found=len(labels), minimum=MIN_SAMPLES)  # fmt: skip
    shape = (int(x.shape[1]), int(x.shape[2]))
    test = None
    if True in arrays:
        x_test, y_test = arrays[True]
        if x_test.shape[1:] != x.shape[1:] or not np.isin(y_test, classes).all():
            raise UploadError("file", "the test files do not match the training files (image size or classes)",
                              "upload.idx_mismatch")  # fmt: skip
        test = (x_test.reshape(len(x_test), -1), np.searchsorted(classes, y_test).astype(np.int64))
    return Uploaded(
        x.reshape(len(x), -1), np.searchsorted(classes, labels).astype(np.int64), [str(int(c)) for c in classes],
        [], "image", "idx", display_name(name, "MNIST (uploaded)" if shape == (28, 28) else "IDX images"),
        image_shape=shape, test=test,
    )  # fmt: skip
