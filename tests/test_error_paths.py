"""No error body names a folder of the server: not the data dir, the MNIST dir, the repo or the venv.

Each request below is answered with a 4xx (or 5xx) by the real app; the texts of all of them are
searched for every server folder the app knows. The MNIST folder is real and broken in the ways a
teacher's copy can be (a truncated file, a wrong magic number, a file that claims to be gzip);
uploads of broken IDX and CSV files go through the real upload path (temporary files on disk).
"""

from __future__ import annotations

import gzip
import os
import struct
import sys
import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings, get_settings
from app.core.datasets import idx
from app.core.errors import InputError

REPO = Path(__file__).resolve().parent.parent


def _images(n: int = 3) -> bytes:
    return struct.pack(">IIII", idx.MAGIC_IMAGES, n, 28, 28) + bytes(n * 28 * 28)


def _labels(n: int = 3) -> bytes:
    return struct.pack(">II", idx.MAGIC_LABELS, n) + bytes(n)


def _broken_mnist(folder: Path, how: str) -> Path:
    """An MNIST folder with all four files, one of them broken ``how``."""
    folder.mkdir()
    files = {
        "train-images-idx3-ubyte": _images(),
        "train-labels-idx1-ubyte": _labels(),
        "t10k-images-idx3-ubyte": _images(),
        "t10k-labels-idx1-ubyte": _labels(),
    }
    if how == "truncated":
        files["train-images-idx3-ubyte"] = _images()[:100]
    elif how == "magic":
        files["train-labels-idx1-ubyte"] = _images()
    for name, data in files.items():
        (folder / name).write_bytes(data)
    if how == "not_gzip":
        (folder / "t10k-labels-idx1-ubyte").unlink()
        (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(b"this is not gzip data at all")
    return folder


def _server_folders(*extra: Path) -> list[str]:
    data_dir = get_settings().data_dir
    folders = [str(REPO), sys.prefix, tempfile.gettempdir() + os.sep, *(str(p) for p in extra)]
    if data_dir is not None:
        folders.append(str(data_dir))
    return folders


def _assert_no_folder(texts: list[str], folders: list[str]) -> None:
    for text in texts:
        for folder in folders:
            assert folder not in text, (folder, text)


@pytest.mark.parametrize("how", ["truncated", "magic", "not_gzip"])
def test_broken_mnist_files_are_reported_without_the_folder(client: TestClient, tmp_path: Path, how: str) -> None:
    folder = _broken_mnist(tmp_path / "mnist", how)
    client.app.dependency_overrides[get_settings] = lambda: Settings(mnist_dir=folder)
    try:
        answers = [
            client.get("/api/datasets/mnist/preview"),
            client.post("/api/jobs", json={"dataset": {"name": "mnist"}, "epochs": 1}),
        ]
    finally:
        client.app.dependency_overrides.clear()
    assert any(r.status_code == 422 for r in answers), [r.text for r in answers]
    for r in answers:
        if r.status_code >= 400:
            assert r.json()["detail"][0]["code"]
    _assert_no_folder([r.text for r in answers if r.status_code >= 400], _server_folders(folder))


def test_an_unreadable_idx_file_names_the_file_but_not_its_folder(tmp_path: Path) -> None:
    missing = tmp_path / "deep" / "train-images-idx3-ubyte"
    with pytest.raises(InputError) as info:
        idx.read_idx(missing)
    assert "train-images-idx3-ubyte" in info.value.message and "No such file" in info.value.message
    assert str(tmp_path) not in info.value.message
    with pytest.raises(InputError) as info:
        idx.read_idx_header(missing)
    assert str(tmp_path) not in info.value.message


def test_no_4xx_body_names_a_server_folder(client: TestClient) -> None:
    truncated_gz = gzip.compress(_images())[:40]
    answers = [
        client.get("/api/datasets/mnist/preview"),  # MNIST not set up
        client.get("/api/datasets/u-0123456789abcdef0123456789abcdef/preview"),
        client.delete("/api/datasets/uploads/u-0123456789abcdef0123456789abcdef"),
        client.post(
            "/api/datasets/uploads",
            data={"kind": "idx"},
            files=[("file", ("train-images-idx3-ubyte.gz", truncated_gz)), ("file", ("labels", _labels()))],
        ),
        client.post(
            "/api/datasets/uploads",
            data={"kind": "idx"},
            files=[("file", ("train-images-idx3-ubyte", _images()[:50])), ("file", ("train-labels", _labels()))],
        ),
        client.post("/api/datasets/uploads", data={"kind": "csv"}, files={"file": ("a.csv", b"x,label\n1\n")}),
        client.post("/api/trajectories", json={"surface": "custom", "expression": "open('/etc/passwd')"}),
        client.get("/no/such/page"),
        client.get("/static/../../etc/passwd"),
        client.post("/api/health"),
        client.post("/api/expressions/validate", content=b"{", headers={"content-type": "application/json"}),
        client.get("/api/health", headers={"host": "rebound.example"}),
    ]
    assert all(r.status_code >= 400 for r in answers), [(r.status_code, r.text[:80]) for r in answers]
    _assert_no_folder([r.text for r in answers], _server_folders())
