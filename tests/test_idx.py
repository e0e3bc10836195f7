"""IDX reading/writing (app.core.datasets.idx) against the published file layout, on tiny files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from app.core.datasets.idx import (
    MAGIC_IMAGES,
    MAGIC_LABELS,
    find_mnist_files,
    load_mnist,
    mnist_counts,
    read_idx,
    read_idx_header,
    write_idx,
)
from app.core.errors import InputError


def test_label_file_bytes_follow_the_idx_layout(tmp_path: Path) -> None:
    # magic 0x00000801 (uint8, 1 dim), size 3 as big-endian uint32, then the bytes themselves
    path = write_idx(tmp_path / "labels", np.array([1, 2, 3], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])


def test_image_header_is_big_endian(tmp_path: Path) -> None:
    images = np.zeros((258, 2, 3), dtype=np.uint8)
    raw = write_idx(tmp_path / "images", images).read_bytes()
    assert raw[:16] == bytes([0, 0, 8, 3, 0, 0, 1, 2, 0, 0, 0, 2, 0, 0, 0, 3])
    assert len(raw) == 16 + 258 * 6
    assert read_idx_header(tmp_path / "images") == (MAGIC_IMAGES, (258, 2, 3))


@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip_plain_and_gzip(tmp_path: Path, suffix: str) -> None:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, 7).astype(np.uint8)
    img_path = write_idx(tmp_path / f"img{suffix}", images)
    lab_path = write_idx(tmp_path / f"lab{suffix}", labels)
    if suffix:
        assert img_path.read_bytes()[:2] == b"\x1f\x8b"  # really gzip
    got_images = read_idx(img_path, MAGIC_IMAGES)
    got_labels = read_idx(lab_path, MAGIC_LABELS)
    assert got_images.dtype == np.uint8 and got_images.shape == (7, 28, 28)
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.float32, np.float64])
def test_round_trip_other_element_types(tmp_path: Path, dtype: type) -> None:
    array = (np.arange(24).reshape(2, 3, 4) - 12).astype(dtype) * dtype(1)
    got = read_idx(write_idx(tmp_path / "a.idx", array))
    assert got.dtype == np.dtype(dtype) and got.dtype.isnative
    np.testing.assert_array_equal(got, array)


def test_wrong_magic_number_names_both(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "labels", np.zeros(4, dtype=np.uint8))
    with pytest.raises(InputError, match=r"0x00000801.*expected 0x00000803") as info:
        read_idx(path, MAGIC_IMAGES, field="mnist_dir")
    assert info.value.field == "mnist_dir"


def test_not_an_idx_file(tmp_path: Path) -> None:
    path = tmp_path / "junk"
    path.write_bytes(b"PK\x03\x04 definitely a zip")
    with pytest.raises(InputError, match="not an IDX file"):
        read_idx(path)


def test_truncated_and_oversized_payloads(tmp_path: Path) -> None:
    raw = write_idx(tmp_path / "ok", np.ones((3, 2, 2), dtype=np.uint8)).read_bytes()
    (tmp_path / "short").write_bytes(raw[:-1])
    (tmp_path / "long").write_bytes(raw + b"\x00")
    (tmp_path / "headless").write_bytes(raw[:6])
    with pytest.raises(InputError, match=r"truncated data \(expected 12 bytes, found 11\)"):
        read_idx(tmp_path / "short")
    with pytest.raises(InputError, match="more data than"):
        read_idx(tmp_path / "long")
    with pytest.raises(InputError, match="truncated dimensions"):
        read_idx(tmp_path / "headless")


def test_absurd_header_is_refused_before_reading(tmp_path: Path) -> None:
    # header claims 2^32−1 × 28 × 28 bytes; the size limit stops it without allocating anything
    path = tmp_path / "huge"
    path.write_bytes(bytes([0, 0, 8, 3, 255, 255, 255, 255, 0, 0, 0, 28, 0, 0, 0, 28]))
    with pytest.raises(InputError, match="limit is 1000"):
        read_idx(path, MAGIC_IMAGES, max_bytes=1000)


def test_corrupt_gzip_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.gz"
    good = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 50]) + bytes(50))
    path.write_bytes(good[:20] + b"\xff" * 10 + good[30:])
    with pytest.raises(InputError):
        read_idx(path)


def _write_mnist(folder: Path, n_train: int = 12, n_test: int = 5, gz: bool = False) -> None:
    rng = np.random.default_rng(1)
    ext = ".gz" if gz else ""
    write_idx(
        folder / f"train-images-idx3-ubyte{ext}",
        rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
    )
    write_idx(folder / f"train-labels-idx1-ubyte{ext}", (np.arange(n_train) % 10).astype(np.uint8))
    write_idx(
        folder / f"t10k-images-idx3-ubyte{ext}",
        rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
    )
    write_idx(folder / f"t10k-labels-idx1-ubyte{ext}", (np.arange(n_test) % 10).astype(np.uint8))


@pytest.mark.parametrize("gz", [False, True])
def test_load_mnist(tmp_path: Path, gz: bool) -> None:
    _write_mnist(tmp_path, gz=gz)
    x_train, y_train, x_test, y_test = load_mnist(tmp_path)
    assert x_train.shape == (12, 28, 28) and x_test.shape == (5, 28, 28)
    np.testing.assert_array_equal(y_train, np.arange(12) % 10)
    np.testing.assert_array_equal(y_test, np.arange(5))
    assert mnist_counts(tmp_path) == (12, 5, (28, 28))


def test_dotted_file_names_are_found(tmp_path: Path) -> None:
    _write_mnist(tmp_path)
    for path in tmp_path.iterdir():
        path.rename(tmp_path / path.name.replace("-idx", ".idx"))
    files = find_mnist_files(tmp_path)
    assert files is not None and files["train_images"].name == "train-images.idx3-ubyte"


def test_missing_files(tmp_path: Path) -> None:
    _write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").unlink()
    assert find_mnist_files(tmp_path) is None and mnist_counts(tmp_path) is None
    assert find_mnist_files(None) is None and find_mnist_files(tmp_path / "nope") is None
    with pytest.raises(InputError, match="t10k-labels-idx1-ubyte"):
        load_mnist(tmp_path)


def test_image_label_count_mismatch(tmp_path: Path) -> None:
    _write_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte", np.zeros(11, dtype=np.uint8))
    with pytest.raises(InputError, match="train: 12 images but 11 labels"):
        load_mnist(tmp_path)


def test_labels_outside_0_to_9(tmp_path: Path) -> None:
    _write_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", np.array([0, 1, 2, 3, 10], dtype=np.uint8))
    with pytest.raises(InputError, match=r"label 10 outside 0\.\.9"):
        load_mnist(tmp_path)


def test_swapped_files_fail_on_magic(tmp_path: Path) -> None:
    _write_mnist(tmp_path)
    images = (tmp_path / "train-images-idx3-ubyte").read_bytes()
    labels = (tmp_path / "train-labels-idx1-ubyte").read_bytes()
    (tmp_path / "train-images-idx3-ubyte").write_bytes(labels)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(images)
    with pytest.raises(InputError, match="magic number"):
        load_mnist(tmp_path)
