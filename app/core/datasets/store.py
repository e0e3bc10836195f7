"""Where uploaded and drawn data sets live: one ``.npz`` file each under ``<data dir>/uploads/``.

* The data directory is ``Settings.data_dir`` (``PLAYGROUND_DATA_DIR``); unset, it is
  ``$XDG_DATA_HOME/optimizer-playground`` or ``~/.local/share/optimizer-playground``.
* A set is written to a temporary file in the same folder and renamed into place
  (``os.replace``, atomic on POSIX and Windows), so a reader sees the whole file or none, and a
  failed upload leaves nothing behind. Its description (name, kind, classes, …) is stored inside
  the same file as a JSON text array, so set and description cannot disagree.
* Files are read with ``np.load(..., allow_pickle=False)``: only plain numeric and text arrays, no
  Python objects are ever unpickled.
* Ids are ``upload:<32 hex digits>`` (128 random bits); file name = the hex digits.
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from app.core.datasets.upload_common import PREFIX, UploadError, is_upload_id
from app.core.datasets.uploads import Uploaded

_LOCK = threading.Lock()  # count-then-write of one process is atomic (PLAYGROUND_MAX_UPLOADS)


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/optimizer-playground``, else ``~/.local/share/optimizer-playground``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "optimizer-playground"


def uploads_dir(data_dir: Path | str | None) -> Path:
    """The folder holding the uploaded sets."""
    return (Path(data_dir) if data_dir is not None else default_data_dir()) / "uploads"


def _path(data_dir: Path | str | None, upload_id: str) -> Path:
    return uploads_dir(data_dir) / f"{upload_id.removeprefix(PREFIX)}.npz"


def describe(data: Uploaded, upload_id: str) -> dict[str, Any]:
    """The stored description of a set (what ``GET /api/datasets`` lists about it)."""
    n_test = 0 if data.test is None else len(data.test[1])
    return {
        "id": upload_id,
        "name": data.name,
        "kind": data.kind,
        "source": data.source,
        "n_samples": len(data.y) + n_test,
        "n_test": n_test,
        "n_features": int(data.x.shape[1]),
        "n_classes": len(data.class_names),
        "classes": list(data.class_names),
        "feature_names": list(data.feature_names),
        "image_shape": list(data.image_shape) if data.image_shape else None,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def save(data: Uploaded, data_dir: Path | str | None, max_uploads: int) -> dict[str, Any]:
    """Store ``data`` atomically and return its description (with its new ``id``).

    Raises
    ------
    UploadError
        ``upload.too_many_uploads`` when ``max_uploads`` sets are stored already.
    """
    folder = uploads_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    upload_id = PREFIX + secrets.token_hex(16)
    meta = describe(data, upload_id)
    arrays: dict[str, np.ndarray] = {
        "x": data.x,
        "y": data.y,
        "class_names": np.array(data.class_names, dtype=str),
        "meta": np.array(json.dumps(meta)),
    }
    if data.test is not None:
        arrays["x_test"], arrays["y_test"] = data.test
    with _LOCK:
        if len(list_ids(data_dir)) >= max_uploads:
            raise UploadError(
                "file",
                f"{max_uploads} data sets are stored already, the limit (setting PLAYGROUND_MAX_UPLOADS); "
                "delete one first",
                "upload.too_many_uploads",
                limit=max_uploads,
                setting="max_uploads",
            )
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                write: Callable[..., None] = np.savez_compressed  # plain arrays by name (no pickles)
                write(out, **arrays)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, _path(data_dir, upload_id))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return meta


def list_ids(data_dir: Path | str | None) -> list[str]:
    """Ids of the stored sets, oldest first (by modification time)."""
    folder = uploads_dir(data_dir)
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.npz") if is_upload_id(PREFIX + p.stem)]
    return [PREFIX + p.stem for p in sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))]


@lru_cache(maxsize=256)
def _meta_cached(path: str, stamp: int) -> dict[str, Any]:
    with np.load(path, allow_pickle=False) as archive:
        meta: dict[str, Any] = json.loads(str(archive["meta"]))
    return meta


def _stamp(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None


def read_meta(data_dir: Path | str | None, upload_id: str) -> dict[str, Any] | None:
    """The description of a stored set, or None when there is no such set."""
    if not is_upload_id(upload_id):
        return None
    path = _path(data_dir, upload_id)
    stamp = _stamp(path)
    return None if stamp is None else _meta_cached(str(path), stamp)


def list_meta(data_dir: Path | str | None) -> list[dict[str, Any]]:
    """Descriptions of every stored set, oldest first (a set deleted meanwhile is skipped)."""
    metas = (read_meta(data_dir, upload_id) for upload_id in list_ids(data_dir))
    return [m for m in metas if m is not None]


@lru_cache(maxsize=4)
def _arrays_cached(path: str, stamp: int) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        arrays = {key: archive[key] for key in archive.files if key != "meta"}
    for a in arrays.values():
        a.setflags(write=False)
    return arrays


def load_arrays(data_dir: Path | str | None, upload_id: str, field: str) -> dict[str, np.ndarray]:
    """``x``, ``y``, ``class_names`` (and ``x_test``, ``y_test`` for IDX test files) of a stored set.

    Raises
    ------
    UploadError
        ``upload.not_found`` (field ``<field>.name``) when there is no such set.
    """
    path = _path(data_dir, upload_id) if is_upload_id(upload_id) else None
    stamp = _stamp(path) if path is not None else None
    if path is None or stamp is None:
        raise not_found(upload_id, f"{field}.name")
    return _arrays_cached(str(path), stamp)


def not_found(upload_id: str, field: str) -> UploadError:
    """``upload.not_found``: no stored set has this id."""
    return UploadError(field, f"no uploaded data set {upload_id[:60]!r}", "upload.not_found", id=upload_id[:60])


def delete(data_dir: Path | str | None, upload_id: str) -> bool:
    """Remove a stored set; False when there was none. Jobs already running keep their copy."""
    if not is_upload_id(upload_id):
        return False
    try:
        _path(data_dir, upload_id).unlink()
    except FileNotFoundError:
        return False
    return True


_SOURCES = {"csv": ("CSV", "CSV"), "idx": ("IDX images", "IDX 이미지"), "points": ("drawn points", "직접 그린 점")}


def catalogue_entry(meta: dict[str, Any]) -> dict[str, Any]:
    """A stored set as ``GET /api/datasets`` lists it: the built-ins' fields, ``uploaded: true``,
    and ``source``, ``classes``, ``created``."""
    en, ko = _SOURCES.get(str(meta["source"]), ("upload", "업로드"))
    classes = ", ".join(meta["classes"][:10]) + (", …" if len(meta["classes"]) > 10 else "")
    return {
        "id": meta["id"],
        "name": {"en": meta["name"], "ko": meta["name"]},
        "kind": meta["kind"],
        "n_samples": meta["n_samples"],
        "n_features": meta["n_features"],
        "n_classes": meta["n_classes"],
        "generated": False,
        "available": True,
        "description": {
            "en": f"Your own data ({en}); classes: {classes}.",
            "ko": f"내 데이터 ({ko}); 클래스: {classes}.",
        },
        "params": ["n_samples", "seed"],
        "defaults": {"n_samples": None},
        "image_shape": meta.get("image_shape"),
        "hint": None,
        "uploaded": True,
        "source": meta["source"],
        "classes": list(meta["classes"]),
        "feature_names": list(meta.get("feature_names") or [])[:50],
        "created": meta.get("created"),
    }


def upload_entries(data_dir: Path | str | None) -> list[dict[str, Any]]:
    """Every stored set as ``GET /api/datasets`` lists it, oldest first."""
    return [catalogue_entry(meta) for meta in list_meta(data_dir)]
