"""Parse an uploaded CSV (numeric features + one label column) into arrays, naming any bad cell.

Read with the standard ``csv`` module (never evaluated); numbers converted by NumPy. Rules
(docs/networks.md "Uploaded data"):

* text in UTF-8 (a byte-order mark is dropped); the delimiter is ``,``, ``;`` or a tab, whichever
  the first line uses most; blank lines are skipped;
* the first line is a header when it has more non-numeric cells than the second line (a header
  names every column; a data line has at most its label as text);
* ``row`` in every error is the line number in the file, the header being line 1, as a text
  editor or spreadsheet shows it; ``column`` is the header's name (or ``"column <n>"``, 1-based);
* the label column is chosen by name, or by 0-based index (negative: from the end); by default the
  last column. Labels may be text or numbers; classes are sorted (numerically when all labels are
  numbers) and numbered 0..K−1;
* every other cell must be a finite number.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from app.core.datasets.request import MIN_SAMPLES
from app.core.datasets.upload_common import UploadError, UploadLimits, limit_error

DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True, eq=False)
class Table:
    """A parsed CSV: x (n, d) float64, y (n,) int64 in 0..K−1, K class names, d feature names."""

    x: np.ndarray
    y: np.ndarray
    class_names: list[str]
    feature_names: list[str]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _decode(data: bytes) -> str:
    """UTF-8 text (BOM dropped), or ``upload.not_text`` naming the byte offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError("file", f"not UTF-8 text (byte {exc.start})", "upload.not_text", byte=int(exc.start)) from exc


def _rows(text: str, limits: UploadLimits) -> list[tuple[int, list[str]]]:
    """Non-blank records as ``(line number, stripped cells)``, at most ``max_rows`` + 1 (a header)."""
    first_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[str]]] = []
    try:
        for record in reader:
            cells = [c.strip() for c in record]
            if not any(cells):
                continue
            if len(cells) > limits.max_columns:
                raise limit_error("file", "columns", limits.max_columns, "max_upload_columns")
            if len(rows) > limits.max_rows:  # the header + max_rows data lines are allowed
                raise limit_error("file", "rows", limits.max_rows, "max_upload_rows")
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise UploadError(
            "file", f"row {reader.line_num}: {exc}", "upload.bad_csv", row=reader.line_num, reason=str(exc)
        ) from exc
    return rows


def _split_header(rows: list[tuple[int, list[str]]]) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Column names and the data rows (a header is detected as the module docstring says)."""
    if not rows:
        raise UploadError("file", "the file has no rows", "upload.empty")
    width = len(rows[0][1])
    text_cells = [sum(not _is_number(c) for c in cells) for _, cells in rows[:2]]
    if len(rows) > 1 and text_cells[0] > text_cells[1]:
        names = [c or f"column {i + 1}" for i, c in enumerate(rows[0][1])]
        return names, rows[1:]
    return [f"column {i + 1}" for i in range(width)], rows


def _label_index(label_column: str | int | None, names: list[str]) -> int:
    """The label column's 0-based index: by name, else by (possibly negative) index; default last."""
    if label_column is None or label_column == "":
        return len(names) - 1
    if isinstance(label_column, str) and label_column in names:
        return names.index(label_column)
    try:
        index = int(label_column)
    except ValueError:
        index = None
    if index is not None and -len(names) <= index < len(names):
        return index % len(names)
    shown = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    raise UploadError(
        "label_column",
        f"no column {label_column!r}; the columns are {shown}",
        "upload.unknown_label_column",
        column=str(label_column)[:100],
        columns=names[:20],
    )


def _check_lengths(names: list[str], rows: list[tuple[int, list[str]]]) -> None:
    for line, cells in rows:
        if len(cells) != len(names):
            raise UploadError(
                "file",
                f"row {line} has {len(cells)} cells, the header {len(names)}",
                "upload.row_length",
                row=line,
                expected=len(names),
                found=len(cells),
            )


def _features(rows: list[tuple[int, list[str]]], columns: list[int], names: list[str]) -> np.ndarray:
    """The feature cells as float64 (n, d); the first empty, non-numeric or non-finite cell is named."""
    cells = [[r[1][j] for j in columns] for r in rows]
    try:
        x = np.array(cells, dtype=np.float64).reshape(len(rows), len(columns))
        if np.isfinite(x).all():
            return x
    except ValueError:
        pass
    for (line, _), values in zip(rows, cells, strict=True):
        for j, value in zip(columns, values, strict=True):
            where = {"row": line, "column": names[j], "column_number": j + 1}
            if value == "":
                message = f"row {line}, column {names[j]!r}: empty cell"
                raise UploadError("file", message, "upload.missing_value", **where)
            if not _is_number(value) or not math.isfinite(float(value)):
                raise UploadError(
                    "file",
                    f"row {line}, column {names[j]!r}: {value[:40]!r} is not a finite number",
                    "upload.bad_value",
                    value=value[:40],
                    **where,
                )
    raise AssertionError("unreachable: a cell failed to convert but none was found")  # pragma: no cover


def _labels(
    rows: list[tuple[int, list[str]]], j: int, names: list[str], limits: UploadLimits
) -> tuple[np.ndarray, list[str]]:
    """Class indices (n,) int64 and the sorted class names of label column ``j``."""
    labels = [cells[j] for _, cells in rows]
    for (line, _), label in zip(rows, labels, strict=True):
        if label == "":
            raise UploadError(
                "file",
                f"row {line}, column {names[j]!r}: empty label",
                "upload.missing_value",
                row=line,
                column=names[j],
                column_number=j + 1,
            )
    counts = Counter(labels)
    if len(counts) > limits.max_classes:
        raise limit_error("file", "classes", limits.max_classes, "max_upload_classes")
    if len(counts) < 2:
        message = f"column {names[j]!r} has only one class"
        raise UploadError("file", message, "upload.too_few_classes", column=names[j], found=len(counts))
    numeric = all(_is_number(c) for c in counts)
    classes = sorted(counts, key=float) if numeric else sorted(counts)
    index = {c: k for k, c in enumerate(classes)}
    return np.array([index[c] for c in labels], dtype=np.int64), classes


def parse_csv(data: bytes, label_column: str | int | None, limits: UploadLimits) -> Table:
    """Parse CSV bytes into a :class:`Table` (rules in the module docstring).

    Raises
    ------
    UploadError
        ``upload.not_text``, ``upload.empty``, ``upload.bad_csv``, ``upload.row_length``,
        ``upload.missing_value``, ``upload.bad_value`` (params ``row``, ``column``,
        ``column_number``, ``value``), ``upload.unknown_label_column``, ``upload.no_features``,
        ``upload.too_few_rows``, ``upload.too_few_classes``, ``upload.too_many_rows`` /
        ``_columns`` / ``_classes`` (params ``limit``, ``setting``).
    """
    names, rows = _split_header(_rows(_decode(data), limits))
    if len(rows) > limits.max_rows:
        raise limit_error("file", "rows", limits.max_rows, "max_upload_rows")
    _check_lengths(names, rows)
    j = _label_index(label_column, names)
    columns = [i for i in range(len(names)) if i != j]
    if not columns:
        raise UploadError("file", "the file has no feature column besides the label", "upload.no_features")
    if len(rows) < MIN_SAMPLES:
        raise UploadError(
            "file", f"{len(rows)} data rows; at least {MIN_SAMPLES} are needed", "upload.too_few_rows",
            found=len(rows), minimum=MIN_SAMPLES,
        )  # fmt: skip
    y, classes = _labels(rows, j, names, limits)
    return Table(_features(rows, columns, names), y, classes, [names[i] for i in columns])
