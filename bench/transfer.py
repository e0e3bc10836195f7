"""What gzip costs and saves on the API's JSON answers, per level; and the Plotly bundle's transfer.

For each answer — a 7-optimizer × 10,000-step race (the largest an Optimizer Lab page asks for), a
surface grid and the textbook preset's trajectories (what every first visit loads) — and each
gzip level 1–9, the script prints the compression time (median of 5, this machine), the size,
and the time to deliver the answer (compress + send the compressed bytes) as a RATIO to sending
it uncompressed, on a 10 Mbit/s link (a classroom's Wi-Fi) and a 100 Mbit/s one. A ratio below 1
means the level pays for itself; ``PLAYGROUND_GZIP_LEVEL`` (docs/transfer.md) is chosen from
these figures. Then the Plotly bundle: identity vs the pre-compressed bytes served.

Run: ``make bench`` or ``.venv/bin/python bench/transfer.py``.
"""

from __future__ import annotations

import gzip
import statistics
import time
from typing import Any

from fastapi.testclient import TestClient

from app.api.static_files import PLOTLY, PLOTLY_URL
from app.config import Settings, get_settings
from app.main import app

LINKS = {"10 Mbit/s": 10e6 / 8, "100 Mbit/s": 100e6 / 8}
"""Bytes per second of the links the delivery time is computed for."""

RACE = {
    "surface": "rosenbrock",
    "start": [-1.5, 2],
    "steps": 10_000,
    "runs": [{"optimizer": o} for o in ("sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "nadam")],
}
TEXTBOOK = {
    "surface": "book_bowl",
    "start": [-7, 2],
    "steps": 30,
    "runs": [
        {"optimizer": "sgd", "params": {"lr": 0.95}},
        {"optimizer": "momentum", "params": {"lr": 0.1}},
        {"optimizer": "adagrad", "params": {"lr": 1.5}},
        {"optimizer": "adam", "params": {"lr": 0.3}},
    ],
}


def _answers(client: TestClient) -> dict[str, bytes]:
    plain = {"Accept-Encoding": "identity"}
    race = client.post("/api/trajectories", json=RACE, headers=plain)
    grid = client.get("/api/surfaces/book_bowl/grid?n=120&scale=log", headers=plain)
    textbook = client.post("/api/trajectories", json=TEXTBOOK, headers=plain)
    for res in (race, grid, textbook):
        res.raise_for_status()
    return {
        "race 7 x 10,000 steps": race.content,
        "surface grid 120 x 120": grid.content,
        "textbook preset": textbook.content,
    }


def _median_seconds(data: bytes, level: int, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        gzip.compress(data, compresslevel=level, mtime=0)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    # The race needs more work than one whole answer may take by default (it is streamed then).
    big: Any = lambda: Settings(max_work=1e12)  # noqa: E731
    app.dependency_overrides[get_settings] = big
    try:
        with TestClient(app, base_url="http://localhost") as client:
            answers = _answers(client)
            served = client.get(PLOTLY_URL, headers={"Accept-Encoding": "gzip"})
    finally:
        app.dependency_overrides.pop(get_settings, None)
    level_now = get_settings().gzip_level
    for name, data in answers.items():
        print(f"{name}: {len(data) / 1e6:.3f} MB of JSON uncompressed")
        for level in range(1, 10):
            seconds = _median_seconds(data, level)
            size = len(gzip.compress(data, compresslevel=level, mtime=0))
            ratios = "  ".join(
                f"{link} {(seconds + size / rate) / (len(data) / rate):.2f}" for link, rate in LINKS.items()
            )
            mark = "  <- PLAYGROUND_GZIP_LEVEL" if level == level_now else ""
            print(
                f"  level {level}: {seconds * 1e3:7.1f} ms, {size / 1e6:.3f} MB "
                f"(x{size / len(data):.3f}); delivery vs uncompressed: {ratios}{mark}"
            )
    gz = served.content if served.headers.get("content-encoding") != "gzip" else PLOTLY.gzipped()
    print(
        f"plotly bundle: {len(PLOTLY.body) / 1e6:.2f} MB identity, {len(gz) / 1e6:.2f} MB served gzipped "
        f"(x{len(gz) / len(PLOTLY.body):.2f}); at 10 Mbit/s {len(PLOTLY.body) / LINKS['10 Mbit/s']:.1f} s "
        f"-> {len(gz) / LINKS['10 Mbit/s']:.1f} s; compressed once per process, 0 ms per request"
    )


if __name__ == "__main__":
    main()
