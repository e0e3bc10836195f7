"""docs/notebook.md works as written: its Python blocks run, in order, against a live server.

The app is served by uvicorn in a thread (on a port the OS picks), every ```python block of the
page is executed in one namespace with ``base_url`` pointing at it, and the results are checked
against values computed here independently of the server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from app.config import Settings
from live_server import serve_app

PAGE = Path(__file__).resolve().parents[1] / "docs" / "notebook.md"
DOC_URL = "http://127.0.0.1:8000"
"""The address the page tells readers to use; replaced by the live server's."""


def python_blocks(markdown: str) -> list[str]:
    """The ```python fenced blocks of ``markdown``, in order."""
    return re.findall(r"^```python\n(.*?)^```$", markdown, flags=re.MULTILINE | re.DOTALL)


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    """The real app under uvicorn in a daemon thread, bound to a free port; yields its base URL."""
    with serve_app("uvicorn-notebook-doc") as url:
        yield url


@pytest.fixture(scope="module")
def namespace(live_url: str) -> dict[str, Any]:
    """The variables left by running every block of the page."""
    blocks = python_blocks(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == 5 and DOC_URL in blocks[0]
    scope: dict[str, Any] = {}
    for block in blocks:
        exec(compile(block.replace(DOC_URL, live_url), str(PAGE), "exec"), scope)  # the page's own code
    return scope


def rosenbrock(x: float, y: float) -> float:
    """f(x, y) = (1 − x)² + 100 (y − x²)² (docs/surfaces.md)."""
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def test_the_limits_are_the_settings(namespace: dict[str, Any]) -> None:
    settings = Settings()
    assert namespace["limits"]["max_steps"] == settings.max_steps
    assert namespace["limits"]["max_epochs"] == settings.max_epochs


def test_a_trajectory_becomes_arrays(namespace: dict[str, Any]) -> None:
    adam, losses = namespace["paths"]["adam #1"], namespace["losses"]["adam #1"]
    assert adam.shape == (501, 2) and adam.dtype == float and losses.shape == (501,)
    assert adam[0].tolist() == [-1.5, 2.0]
    # f(−1.5, 2) = 2.5² + 100 · (2 − 2.25)² = 6.25 + 6.25
    assert losses[0] == pytest.approx(12.5) and losses[-1] == pytest.approx(rosenbrock(*adam[-1]))
    assert set(namespace["paths"]) == {"adam #1", "momentum #2"}


def test_the_streamed_path_equals_the_whole_one(namespace: dict[str, Any]) -> None:
    import httpx

    streamed, summary = namespace["streamed"], namespace["summary"]
    body = namespace["body"]  # the streamed request (the later of the page's two bodies)
    assert body["steps"] == 5000
    whole = httpx.post(f"{namespace['base_url']}/api/trajectories", json=body, timeout=60).json()["runs"][0]
    assert streamed.shape == (5001, 2)
    np.testing.assert_array_equal(streamed, np.array(whole["path"], dtype=float))
    assert summary[0]["final_loss"] == pytest.approx(rosenbrock(*streamed[-1]))


def test_a_training_job_is_followed_to_the_end(namespace: dict[str, Any]) -> None:
    curve, final = namespace["curve"], namespace["final"]
    assert [epoch for epoch, _, _ in curve] == [1, 2, 3, 4, 5]
    assert final["status"] == "done" and final["summary"]["epochs_run"] == 5
    assert 0.0 <= final["summary"]["test_acc"] <= 1.0
