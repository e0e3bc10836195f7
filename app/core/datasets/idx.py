"""Read (and, for tests, write) the IDX files MNIST is distributed in.

IDX layout (big-endian throughout)::

    bytes 0-1  zero
    byte  2    element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32,
               0x0D float32, 0x0E float64
    byte  3    number of dimensions d
    then d × uint32 sizes, then prod(sizes) elements in row-major (C) order.

So MNIST images start with the magic number 0x00000803 (uint8, 3 dims: N × 28 × 28) and labels with
0x00000801 (uint8, 1 dim: N). Files may be gzip-compressed (``.gz``), as on the original site.
"""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from pathlib import Path

import numpy as np

from app.core.errors import InputError

#: IDX element-type byte → big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

MAGIC_IMAGES = 0x00000803  # uint8, 3 dimensions
MAGIC_LABELS = 0x00000801  # uint8, 1 dimension

#: Largest payload a single file may declare (the MNIST training images are ~47 MB).
DEFAULT_MAX_BYTES = 512 * 1024 * 1024

#: The four MNIST files, by role; each name may appear with ``.idx`` / ``-idx`` and with ``.gz``.
MNIST_FILES: dict[str, tuple[str, ...]] = {
    "train_images": ("train-images-idx3-ubyte", "train-images.idx3-ubyte"),
    "train_labels": ("train-labels-idx1-ubyte", "train-labels.idx1-ubyte"),
    "test_images": ("t10k-images-idx3-ubyte", "t10k-images.idx3-ubyte"),
    "test_labels": ("t10k-labels-idx1-ubyte", "t10k-labels.idx1-ubyte"),
}


def _open(path: Path) -> io.BufferedIOBase:
    """Open ``path`` for binary reading, transparently un-gzipping ``*.gz``."""
    if path.suffix == ".gz":
        return gzip.open(path, "rb")
    return open(path, "rb")


def _reason(exc: BaseException) -> str:
    """What went wrong reading a file, without the file's path.

    An ``OSError``'s text names the full path (``[Errno 13] Permission denied: '/srv/…'``) and an
    error body must never show the server's folders (docs/API.md, "Errors"): its ``strerror``
    alone is kept. Other errors (a corrupt gzip stream) do not carry a path.
    """
    if isinstance(exc, OSError) and (exc.filename is not None or exc.strerror):
        return exc.strerror or type(exc).__name__
    return str(exc)


def _read_exact(stream: io.BufferedIOBase, n: int, path: Path, what: str, field: str) -> bytes:
    """Read exactly ``n`` bytes or raise an ``InputError`` saying the file is truncated."""
    try:
        data = stream.read(n)
    except (OSError, EOFError, zlib.error) as exc:  # corrupt gzip stream, I/O failure
        raise InputError(field, f"{path.name}: cannot read {what} ({_reason(exc)})") from exc
    if len(data) != n:
        raise InputError(field, f"{path.name}: truncated {what} (expected {n} bytes, found {len(data)})")
    return data


def read_idx_header(path: Path, field: str = "mnist_dir") -> tuple[int, tuple[int, ...]]:
    """The magic number and the dimension sizes of an IDX file, without reading its payload.

    Returns
    -------
    magic : int
        The 32-bit magic number (e.g. ``0x803`` for MNIST images).
    shape : tuple of int
        The declared sizes, length = the magic number's last byte.
    """
    path = Path(path)
    try:
        with _open(path) as stream:
            return _read_header(stream, path, field)
    except OSError as exc:
        raise InputError(field, f"{path.name}: cannot open ({_reason(exc)})") from exc


def _read_header(stream: io.BufferedIOBase, path: Path, field: str) -> tuple[int, tuple[int, ...]]:
    """Parse the magic number and sizes at the start of ``stream``."""
    head = _read_exact(stream, 4, path, "header", field)
    magic = struct.unpack(">I", head)[0]
    if head[0] != 0 or head[1] != 0 or head[2] not in IDX_DTYPES or head[3] == 0:
        raise InputError(field, f"{path.name}: not an IDX file (magic number 0x{magic:08X})")
    ndim = head[3]
    dims = struct.unpack(f">{ndim}I", _read_exact(stream, 4 * ndim, path, "dimensions", field))
    return magic, tuple(int(d) for d in dims)


def read_idx(
    path: Path | str,
    expected_magic: int | None = None,
    field: str = "mnist_dir",
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """Read a whole IDX file (plain or ``.gz``) into an array in native byte order.

    Parameters
    ----------
    path : Path or str
        The file.
    expected_magic : int, optional
        If given, the file must carry exactly this magic number (``MAGIC_IMAGES``/``MAGIC_LABELS``).
    field : str
        Field named in the ``InputError`` raised for a bad file.
    max_bytes : int
        Refuse files declaring a payload larger than this (guards against absurd headers).

    Returns
    -------
    np.ndarray
        Shape = the header's sizes, dtype from the type byte (uint8 for MNIST).

    Raises
    ------
    InputError
        Wrong magic number, payload larger than ``max_bytes``, or a payload shorter or longer than
        the header declares.
    """
    path = Path(path)
    try:
        with _open(path) as stream:
            magic, shape = _read_header(stream, path, field)
            if expected_magic is not None and magic != expected_magic:
                raise InputError(
                    field,
                    f"{path.name}: magic number 0x{magic:08X}, expected 0x{expected_magic:08X}",
                )
            dtype = IDX_DTYPES[(magic >> 8) & 0xFF]
            n_bytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
            if n_bytes > max_bytes:
                raise InputError(field, f"{path.name}: declares {n_bytes} bytes of data, limit is {max_bytes}")
            payload = _read_exact(stream, n_bytes, path, "data", field)
            if _read_extra(stream, path, field):
                raise InputError(field, f"{path.name}: more data than the header's sizes {list(shape)} declare")
    except OSError as exc:
        raise InputError(field, f"{path.name}: cannot open ({_reason(exc)})") from exc
    return np.frombuffer(payload, dtype=dtype).reshape(shape).astype(dtype.newbyteorder("="))


def _read_extra(stream: io.BufferedIOBase, path: Path, field: str) -> bool:
    """Whether anything follows the declared payload (a size mismatch); a bad gzip trailer
    (CRC or length check) is reported as corruption."""
    try:
        return bool(stream.read(1))
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(field, f"{path.name}: corrupt data ({_reason(exc)})") from exc


def write_idx(path: Path | str, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzip-compressed when ``path`` ends in ``.gz``).

    Parameters
    ----------
    path : Path or str
        Destination.
    array : np.ndarray
        Any shape with 1..255 dimensions; dtype one of uint8, int8, int16, int32, float32, float64.

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    array = np.asarray(array)
    codes = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
    native = array.dtype.newbyteorder("=")
    if native not in codes:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    if not 1 <= array.ndim <= 255:
        raise ValueError("IDX needs 1..255 dimensions")
    code = codes[native]
    buffer = io.BytesIO()
    buffer.write(bytes([0, 0, code, array.ndim]))
    buffer.write(struct.pack(f">{array.ndim}I", *array.shape))
    buffer.write(np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes())
    if path.suffix == ".gz":
        with gzip.open(path, "wb") as out:
            out.write(buffer.getvalue())
    else:
        path.write_bytes(buffer.getvalue())
    return path


def find_mnist_files(folder: Path | str | None) -> dict[str, Path] | None:
    """The four MNIST files in ``folder`` by role, or ``None`` if any is missing.

    Each role accepts the official name (``train-images-idx3-ubyte``), the common dotted variant
    (``train-images.idx3-ubyte``) and either with ``.gz``; the uncompressed file wins.
    """
    if folder is None:
        return None
    folder = Path(folder)
    if not folder.is_dir():
        return None
    found: dict[str, Path] = {}
    for role, names in MNIST_FILES.items():
        for name in names:
            hits = [folder / n for n in (name, name + ".gz") if (folder / n).is_file()]
            if hits:
                found[role] = hits[0]
                break
        else:
            return None
    return found


def mnist_counts(folder: Path | str | None) -> tuple[int, int, tuple[int, int]] | None:
    """``(n_train, n_test, (rows, cols))`` from the image headers, or ``None`` if unusable.

    Reads only the headers, so it is cheap enough for ``GET /api/datasets``.
    """
    files = find_mnist_files(folder)
    if files is None:
        return None
    try:
        magic_tr, shape_tr = read_idx_header(files["train_images"])
        magic_te, shape_te = read_idx_header(files["test_images"])
    except InputError:
        return None
    if magic_tr != MAGIC_IMAGES or magic_te != MAGIC_IMAGES or shape_tr[1:] != shape_te[1:]:
        return None
    return shape_tr[0], shape_te[0], (shape_tr[1], shape_tr[2])


def load_mnist(folder: Path | str, field: str = "mnist_dir") -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load the official MNIST training and test files from ``folder``.

    Parameters
    ----------
    folder : Path or str
        Folder holding ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
        ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte`` (each optionally ``.gz``).
    field : str
        Field named in any ``InputError``.

    Returns
    -------
    x_train : np.ndarray, shape (N, rows, cols), uint8
    y_train : np.ndarray, shape (N,), uint8
    x_test : np.ndarray, shape (M, rows, cols), uint8
    y_test : np.ndarray, shape (M,), uint8

    Raises
    ------
    InputError
        Missing files, bad magic numbers, truncated data, image/label counts that disagree,
        training and test images of different sizes, or labels outside 0..9.
    """
    files = find_mnist_files(folder)
    if files is None:
        wanted = ", ".join(names[0] for names in MNIST_FILES.values())
        raise InputError(field, f"the MNIST folder needs the files {wanted} (optionally .gz)")
    x_train = read_idx(files["train_images"], MAGIC_IMAGES, field)
    y_train = read_idx(files["train_labels"], MAGIC_LABELS, field)
    x_test = read_idx(files["test_images"], MAGIC_IMAGES, field)
    y_test = read_idx(files["test_labels"], MAGIC_LABELS, field)
    for images, labels, role in ((x_train, y_train, "train"), (x_test, y_test, "test")):
        if len(images) != len(labels):
            raise InputError(field, f"{role}: {len(images)} images but {len(labels)} labels")
        if len(labels) and int(labels.max()) > 9:
            raise InputError(field, f"{role}: label {int(labels.max())} outside 0..9")
    if x_train.shape[1:] != x_test.shape[1:]:
        raise InputError(
            field,
            f"train images are {x_train.shape[1:]} but test images are {x_test.shape[1:]}",
        )
    return x_train, y_train, x_test, y_test
