"""The learner's own data: CSV / IDX / drawn-point uploads, their storage, and training on them.

Truths used: hand-written CSV cells and their line numbers; class counts chosen by hand (the
split's stratified sizes follow Hamilton's rule by hand); the raw training points' own mean and
std (standardisation); chance level 0.5 for two balanced classes.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from app.config import Settings, get_settings
from app.core.datasets import load_dataset, moons, store
from app.core.datasets.csv_table import parse_csv
from app.core.datasets.idx import write_idx
from app.core.datasets.upload_common import UploadError, UploadLimits
from app.core.datasets.uploads import from_csv, from_idx, from_points
from app.core.nn.training import train
from app.main import app

LIMITS = UploadLimits(max_rows=1000, max_columns=20, max_classes=5)


def _csv(rows: list[str]) -> bytes:
    return ("\n".join(rows) + "\n").encode()


IRIS_LIKE = [
    "sepal_length,sepal_width,petal_width,species",
    *[f"{5 + i / 10},{3 + i / 20},{i / 10},{'setosa' if i % 2 else 'virginica'}" for i in range(12)],
]


# ---------------------------------------------------------------------------- CSV parsing


def test_csv_header_label_by_name_and_cells_exact() -> None:
    table = parse_csv(_csv(IRIS_LIKE), "species", LIMITS)
    assert table.feature_names == ["sepal_length", "sepal_width", "petal_width"]
    assert table.class_names == ["setosa", "virginica"]  # sorted
    assert table.x.shape == (12, 3)
    assert table.x[3].tolist() == [5.3, 3.15, 0.3]
    assert table.y[:4].tolist() == [1, 0, 1, 0]  # i = 0 → virginica (1), i = 1 → setosa (0)


def test_csv_label_by_index_negative_index_and_default_last() -> None:
    by_index = parse_csv(_csv(IRIS_LIKE), "3", LIMITS)
    by_negative = parse_csv(_csv(IRIS_LIKE), "-1", LIMITS)
    by_default = parse_csv(_csv(IRIS_LIKE), None, LIMITS)
    for t in (by_index, by_negative, by_default):
        assert t.class_names == ["setosa", "virginica"] and t.x.shape == (12, 3)
    err = _refusal(IRIS_LIKE, "0")  # label = sepal_length: 12 distinct values, more than 5 classes
    assert err.code == "upload.too_many_classes"


def test_csv_numeric_labels_sort_numerically_and_semicolons_without_header() -> None:
    rows = [f"{i};{i * 2};{[10, 2, 1][i % 3]}" for i in range(12)]
    table = parse_csv(_csv(rows), None, LIMITS)
    assert table.feature_names == ["column 1", "column 2"]
    assert table.class_names == ["1", "2", "10"]  # 1 < 2 < 10, not "1" < "10" < "2"
    assert table.y[:3].tolist() == [2, 1, 0]


def _refusal(rows: list[str], label: str | None = None, limits: UploadLimits = LIMITS) -> UploadError:
    with pytest.raises(UploadError) as info:
        parse_csv(_csv(rows), label, limits)
    return info.value


def test_non_numeric_cell_names_its_line_and_column() -> None:
    rows = list(IRIS_LIKE)
    rows[2] = "5.1,abc,0.1,setosa"  # line 3 of the file (the header is line 1)
    err = _refusal(rows)
    assert err.code == "upload.bad_value"
    assert err.params == {"row": 3, "column": "sepal_width", "column_number": 2, "value": "abc"}
    assert "row 3" in err.message and "sepal_width" in err.message


def test_blank_lines_keep_line_numbers_and_empty_nan_inf_cells_are_named() -> None:
    rows = [*IRIS_LIKE[:3], "", *IRIS_LIKE[3:]]
    rows[5] = "5.1,,0.1,setosa"  # line 6 (a blank line 4 is skipped but counted)
    err = _refusal(rows)
    assert (err.code, err.params["row"], err.params["column"]) == ("upload.missing_value", 6, "sepal_width")
    for bad in ("nan", "inf", "-Infinity"):
        rows = list(IRIS_LIKE)
        rows[7] = f"5.1,3.0,{bad},setosa"
        err = _refusal(rows)
        assert (err.code, err.params["row"], err.params["column"]) == ("upload.bad_value", 8, "petal_width")


def test_ragged_row_unknown_label_and_shape_errors() -> None:
    rows = list(IRIS_LIKE)
    rows[4] = "5.1,3.0,setosa"
    err = _refusal(rows)
    assert (err.code, err.params) == ("upload.row_length", {"row": 5, "expected": 4, "found": 3})
    err = _refusal(IRIS_LIKE, "colour")
    assert err.code == "upload.unknown_label_column" and err.field == "label_column"
    assert err.params["columns"] == ["sepal_length", "sepal_width", "petal_width", "species"]
    assert _refusal(IRIS_LIKE[:6]).code == "upload.too_few_rows"
    one_class = [row.replace("virginica", "setosa") for row in IRIS_LIKE]
    assert _refusal(one_class).code == "upload.too_few_classes"
    assert _refusal(["label", *[str(i % 2) for i in range(12)]]).code == "upload.no_features"
    with pytest.raises(UploadError) as info:
        parse_csv(b"a,b\n\xff,1\n", None, LIMITS)
    assert info.value.code == "upload.not_text" and info.value.params == {"byte": 4}


@pytest.mark.parametrize(
    ("limits", "code", "setting"),
    [
        (UploadLimits(max_rows=11), "upload.too_many_rows", "max_upload_rows"),
        (UploadLimits(max_columns=3), "upload.too_many_columns", "max_upload_columns"),
        (UploadLimits(max_classes=1), "upload.too_many_classes", "max_upload_classes"),
    ],
)
def test_size_limits_name_the_setting(limits: UploadLimits, code: str, setting: str) -> None:
    err = _refusal(IRIS_LIKE, limits=limits)
    assert err.code == code and err.params["setting"] == setting
    assert f"PLAYGROUND_{setting.upper()}" in err.message


def test_exactly_max_rows_is_accepted() -> None:
    assert parse_csv(_csv(IRIS_LIKE), None, UploadLimits(max_rows=12)).x.shape == (12, 3)


def test_two_feature_csv_is_a_2d_set() -> None:
    rows = ["a,b,c", *[f"{i},{-i},{i % 2}" for i in range(12)]]
    assert from_csv(_csv(rows), None, "two", LIMITS).kind == "2d"
    assert from_csv(_csv(IRIS_LIKE), None, None, LIMITS).kind == "table"


# ---------------------------------------------------------------------------- points and IDX


def test_points_labels_are_renumbered_and_named() -> None:
    pts = [[float(i), float(-i), [0, 2][i % 2]] for i in range(12)]
    data = from_points(pts, "mine", LIMITS)
    assert data.class_names == ["0", "2"] and data.y[:2].tolist() == [0, 1] and data.kind == "2d"
    with pytest.raises(UploadError, match="point 3"):
        from_points([*pts[:3], [1.0, float("nan"), 0], *pts[4:]], None, LIMITS)
    with pytest.raises(UploadError) as info:
        from_points([[0.0, 0.0, 0]] * 12, None, LIMITS)
    assert info.value.code == "upload.too_few_classes"


def _idx_bytes(array: np.ndarray, gz: bool, tmp: Path) -> bytes:
    path = write_idx(tmp / ("f.gz" if gz else "f"), array)
    return path.read_bytes()


def _mnist_files(tmp: Path, n_train: int = 30, n_test: int = 10) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(0)
    return [
        ("train-images-idx3-ubyte.gz", _idx_bytes(rng.integers(0, 256, (n_train, 4, 5), dtype=np.uint8), True, tmp)),
        ("train-labels-idx1-ubyte", _idx_bytes((np.arange(n_train) % 3 + 4).astype(np.uint8), False, tmp)),
        ("t10k-images-idx3-ubyte", _idx_bytes(rng.integers(0, 256, (n_test, 4, 5), dtype=np.uint8), False, tmp)),
        ("t10k-labels-idx1-ubyte.gz", _idx_bytes((np.arange(n_test) % 3 + 4).astype(np.uint8), True, tmp)),
    ]


def test_idx_four_files_keep_the_official_test_split(tmp_path: Path) -> None:
    data = from_idx(_mnist_files(tmp_path), "tiny", LIMITS)
    assert data.kind == "image" and data.image_shape == (4, 5) and data.x.shape == (30, 20)
    assert data.class_names == ["4", "5", "6"] and data.y[:4].tolist() == [0, 1, 2, 0]
    assert data.test is not None and data.test[0].shape == (10, 20)
    meta = store.save(data, tmp_path, 10)
    split = load_dataset({"name": meta["id"]}, data_dir=tmp_path)
    assert split.sizes["test"] == 10 and split.sizes["train"] + split.sizes["val"] == 30
    assert split.image_shape == (4, 5) and split.kind == "image"


def test_idx_train_pair_only_and_bad_files(tmp_path: Path) -> None:
    files = _mnist_files(tmp_path)
    assert from_idx(files[:2], None, LIMITS).test is None
    with pytest.raises(UploadError) as info:
        from_idx([files[0], ("notes.txt", b"hello world")], None, LIMITS)
    assert info.value.code == "upload.idx_unreadable" and info.value.params == {"file": "notes.txt"}
    with pytest.raises(UploadError) as info:
        from_idx([files[0], files[2]], None, LIMITS)  # train images + test images, no labels
    assert info.value.code == "upload.idx_files"
    with pytest.raises(UploadError) as info:
        from_idx(files, None, UploadLimits(max_columns=19))
    assert info.value.code == "upload.too_many_columns"
    short = gzip.decompress(files[0][1])[:-7]
    with pytest.raises(UploadError, match="truncated"):
        from_idx([("train-images-idx3-ubyte", short), files[1]], None, LIMITS)


# ---------------------------------------------------------------------------- store and splits


def test_store_is_atomic_and_lists_oldest_first(tmp_path: Path) -> None:
    a = store.save(from_csv(_csv(IRIS_LIKE), None, "a", LIMITS), tmp_path, 2)
    b = store.save(from_points([[i, i % 3, i % 2] for i in range(12)], "b", LIMITS), tmp_path, 2)
    assert [m["id"] for m in store.list_meta(tmp_path)] == [a["id"], b["id"]]
    before = {p.name: p.read_bytes() for p in store.uploads_dir(tmp_path).iterdir()}
    with pytest.raises(UploadError) as info:
        store.save(from_csv(_csv(IRIS_LIKE), None, "c", LIMITS), tmp_path, 2)
    assert info.value.code == "upload.too_many_uploads" and info.value.params["setting"] == "max_uploads"
    after = {p.name: p.read_bytes() for p in store.uploads_dir(tmp_path).iterdir()}
    assert after == before  # no partial file, the others untouched
    assert store.delete(tmp_path, a["id"]) and not store.delete(tmp_path, a["id"])
    assert not store.delete(tmp_path, "../../etc/passwd")


def test_stored_files_never_unpickle(tmp_path: Path) -> None:
    meta = store.save(from_csv(_csv(IRIS_LIKE), None, "a", LIMITS), tmp_path, 5)
    path = store.uploads_dir(tmp_path) / f"{meta['id'].removeprefix('upload:')}.npz"
    np.savez(path, x=np.array([object()], dtype=object), meta=np.array("{}"))
    with pytest.raises(ValueError, match="allow_pickle"):
        store.load_arrays(tmp_path, meta["id"], "dataset")


def test_uploaded_split_is_stratified_and_standardised_on_training_data(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], [90, 30])
    x = rng.normal(5.0, 2.0, (120, 2))
    pts = [[float(a), float(b), int(k)] for (a, b), k in zip(x, y, strict=True)]
    meta = store.save(from_points(pts, None, UploadLimits()), tmp_path, 5)
    split = load_dataset({"name": meta["id"], "test_fraction": 0.2, "val_fraction": 0.25}, data_dir=tmp_path)
    # test: 24 of 120 in proportion 3:1 → 18 + 6; validation: 24 of the 96 left → 18 + 6
    assert np.bincount(split.y_test).tolist() == [18, 6]
    assert np.bincount(split.y_val).tolist() == [18, 6]
    raw_train = split.inverse_transform(split.x_train)
    assert np.allclose(split.mean, raw_train.mean(axis=0)) and np.allclose(split.std, raw_train.std(axis=0))
    assert split.is_2d and split.raw_bounds is not None


def test_training_on_uploaded_moons_beats_chance_and_draws_a_boundary(tmp_path: Path) -> None:
    x, y = moons(300, 0.1, seed=1)
    rows = ["x,y,class", *[f"{a:.5f},{b:.5f},{'AB'[k]}" for (a, b), k in zip(x, y, strict=True)]]
    meta = store.save(from_csv(_csv(rows), "class", None, UploadLimits()), tmp_path, 5)
    config = {
        "dataset": {"name": meta["id"]},
        "model": {"hidden": [32, 32]},
        "optimizer": {"optimizer": "adam", "params": {"lr": 0.01}},
        "epochs": 40,
        "batch_size": 32,
    }
    summary = train(config, lambda *_: None, lambda: False, data_dir=tmp_path)
    assert summary["status"] == "done" and summary["classes"] == ["A", "B"]
    assert summary["test_acc"] > 0.9  # chance is 0.5
    assert "boundary" in summary


# ---------------------------------------------------------------------------- HTTP


@pytest.fixture
def settings_with(client: TestClient) -> Iterator[Callable[..., Settings]]:
    """Override the app's Settings for one test."""

    def use(**values: Any) -> Settings:
        settings = Settings(**values)
        app.dependency_overrides[get_settings] = lambda: settings
        return settings

    yield use
    app.dependency_overrides.pop(get_settings, None)


def _post_csv(client: TestClient, body: bytes, **form: str) -> Any:
    return client.post(
        "/api/datasets/uploads", data={"kind": "csv", **form}, files={"file": ("flowers.csv", body, "text/csv")}
    )


def test_upload_lists_trains_and_deletes(client: TestClient) -> None:
    x, y = moons(200, 0.1, seed=2)
    body = _csv(["u,v,label", *[f"{a:.4f},{b:.4f},{k}" for (a, b), k in zip(x, y, strict=True)]])
    r = _post_csv(client, body, label_column="label")
    assert r.status_code == 201, r.text
    entry = r.json()
    assert entry["id"].startswith("upload:") and entry["name"] == {"en": "flowers", "ko": "flowers"}
    assert (entry["kind"], entry["n_samples"], entry["n_classes"], entry["uploaded"]) == ("2d", 200, 2, True)
    listed = {d["id"]: d for d in client.get("/api/datasets").json()}
    assert listed[entry["id"]] == entry and listed["iris"]["uploaded"] is False
    job = client.post("/api/jobs", json={"dataset": {"name": entry["id"]}, "epochs": 2, "model": {"hidden": [8]}})
    assert job.status_code == 202, job.text
    preview = client.get(f"/api/datasets/{entry['id']}/preview?limit=5").json()
    assert preview["n_total"] == 200 and preview["class_names"] == ["0", "1"]
    uploaded = {(round(a, 4), round(b, 4), int(k)) for (a, b), k in zip(x, y, strict=True)}
    assert set(zip(preview["x"], preview["y"], preview["label"], strict=True)) <= uploaded
    assert client.delete(f"/api/datasets/uploads/{entry['id']}").json() == {"id": entry["id"], "deleted": True}
    assert client.delete(f"/api/datasets/uploads/{entry['id']}").status_code == 404
    gone = client.post("/api/jobs", json={"dataset": {"name": entry["id"]}})
    assert gone.status_code == 422 and gone.json()["detail"][0]["loc"] == ["body", "dataset", "name"]


def test_bad_csv_is_422_with_code_and_changes_nothing(
    client: TestClient, settings_with: Callable[..., Settings], tmp_path: Path
) -> None:
    settings_with(data_dir=tmp_path)
    assert _post_csv(client, _csv(IRIS_LIKE)).status_code == 201
    listed = client.get("/api/datasets").json()
    rows = list(IRIS_LIKE)
    rows[2] = "5.1,abc,0.1,setosa"
    r = _post_csv(client, _csv(rows))
    assert r.status_code == 422
    (item,) = r.json()["detail"]
    assert item["loc"] == ["body", "file"] and item["code"] == "upload.bad_value"
    assert item["params"] == {"row": 3, "column": "sepal_width", "column_number": 2, "value": "abc"}
    assert client.get("/api/datasets").json() == listed
    assert [p.suffix for p in store.uploads_dir(tmp_path).iterdir()] == [".npz"]


def test_drawn_points_json_and_its_validation(
    client: TestClient, settings_with: Callable[..., Settings], tmp_path: Path
) -> None:
    settings_with(data_dir=tmp_path)
    pts = [[i / 10, (i % 4) / 4, i % 2] for i in range(16)]
    r = client.post("/api/datasets/uploads", json={"kind": "points", "points": pts, "name": "drawn"})
    assert r.status_code == 201 and r.json()["source"] == "points" and r.json()["kind"] == "2d"
    r = client.post("/api/datasets/uploads", json={"kind": "points", "points": pts[:3]})
    assert r.status_code == 422 and r.json()["detail"][0]["code"] == "upload.too_few_rows"
    r = client.post("/api/datasets/uploads", json={"kind": "points", "points": "nope"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"][:2] == ["body", "points"]
    r = client.post("/api/datasets/uploads", content=b"x,y\n", headers={"content-type": "text/plain"})
    assert r.status_code == 415 and r.json()["detail"][0]["code"] == "upload.content_type"


def test_upload_limits_come_from_settings(
    client: TestClient, settings_with: Callable[..., Settings], tmp_path: Path
) -> None:
    settings_with(data_dir=tmp_path, max_upload_rows=10, max_uploads=1, max_upload_bytes=4096)
    r = _post_csv(client, _csv(IRIS_LIKE))
    assert r.status_code == 422 and r.json()["detail"][0]["params"] == {"limit": 10, "setting": "max_upload_rows"}
    big = _csv([*IRIS_LIKE[:1], *[IRIS_LIKE[1]] * 400])
    r = _post_csv(client, big)
    assert r.status_code == 413 and r.json()["detail"][0]["code"] == "upload.too_large"
    settings_with(data_dir=tmp_path, max_uploads=1)
    assert _post_csv(client, _csv(IRIS_LIKE)).status_code == 201
    r = _post_csv(client, _csv(IRIS_LIKE))
    assert r.status_code == 409 and r.json()["detail"][0]["code"] == "upload.too_many_uploads"


def test_upload_route_takes_bodies_above_the_global_limit(
    client: TestClient, settings_with: Callable[..., Settings], tmp_path: Path
) -> None:
    settings_with(data_dir=tmp_path)
    rows = ["a,b,c,label", *[f"{i},{i * 0.5:.6f},{i % 7},{i % 3}" for i in range(60_000)]]
    body = _csv(rows)
    assert len(body) > Settings().max_body_bytes  # 1 MiB: what every other route accepts
    r = _post_csv(client, body)
    assert r.status_code == 201, r.text[:300]
    assert r.json()["n_samples"] == 60_000
    other = client.post("/api/jobs", content=body, headers={"content-type": "application/json"})
    assert other.status_code == 413 and "PLAYGROUND_MAX_BODY_BYTES" in other.json()["detail"][0]["msg"]


def test_idx_upload_over_http(client: TestClient, settings_with: Callable[..., Settings], tmp_path: Path) -> None:
    settings_with(data_dir=tmp_path / "data")
    files = [("file", (name, io.BytesIO(data), "application/octet-stream")) for name, data in _mnist_files(tmp_path)]
    r = client.post("/api/datasets/uploads", data={"kind": "idx", "name": "tiny mnist"}, files=files)
    assert r.status_code == 201, r.text
    assert (r.json()["kind"], r.json()["n_samples"], r.json()["image_shape"]) == ("image", 40, [4, 5])


def test_mnist_entry_explains_how_to_enable_it(client: TestClient) -> None:
    mnist = next(d for d in client.get("/api/datasets").json() if d["id"] == "mnist")
    assert "PLAYGROUND_MNIST_DIR" in mnist["hint"]["en"] and "IDX" in mnist["hint"]["ko"]


def test_declared_body_limit_applies_a_paths_own_limit_and_names_its_setting() -> None:
    import asyncio
    import threading

    from app.api import body_limit

    assert body_limit.UPLOAD_PATH in app.openapi()["paths"]  # the constant names the real route
    reached: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        reached.append(scope["path"])

    def call(path: str, length: int) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        scope = {"type": "http", "path": path, "headers": [(b"content-length", str(length).encode())]}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b""}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        limiter = body_limit.DeclaredBodyLimit(inner, max_bytes=100, own_limits={"/big": (1000, "PLAYGROUND_BIG")})
        # In a thread of its own: a browser test module may already own this thread's event loop.
        worker = threading.Thread(target=asyncio.run, args=(limiter(scope, receive, send),))
        worker.start()
        worker.join()
        return sent

    assert call("/big", 900) == [] and call("/small", 90) == [] and reached == ["/big", "/small"]
    (start, body) = call("/big", 2000)
    assert start["status"] == 413 and b"PLAYGROUND_BIG" in body["body"] and b"1000" in body["body"]
    (start, body) = call("/small", 200)
    assert start["status"] == 413 and b"PLAYGROUND_MAX_BODY_BYTES" in body["body"]


def test_28_by_28_idx_files_are_named_mnist_by_default(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    files = [
        ("train-images-idx3-ubyte", _idx_bytes(rng.integers(0, 256, (20, 28, 28), dtype=np.uint8), False, tmp_path)),
        ("train-labels-idx1-ubyte", _idx_bytes((np.arange(20) % 10).astype(np.uint8), False, tmp_path)),
    ]
    data = from_idx(files, None, UploadLimits())
    assert data.name == "MNIST (uploaded)" and data.x.shape == (20, 784) and len(data.class_names) == 10
