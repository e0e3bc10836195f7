"""The learner's own data on the Training Lab page: a CSV upload, drawn points, a refused CSV.

What is checked against independent truth:
- a two-moons CSV generated here (300 points, labels "A"/"B") trains from the page to a run that ends
  `done` with test accuracy above chance (0.5 for two balanced classes), and the decision-boundary
  chart shows a boundary (a heat map over the plane) with the uploaded points;
- points clicked on the drawing area become a data set of exactly that many points in two classes,
  which trains to a boundary;
- a CSV whose third line holds a word in a number column is refused with a message naming line 3
  and that column, in Korean on a Korean page; the data-set list and the select are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest

from app.core.datasets.idx import write_idx

READY = "#training-lab[data-ready=true]"
FINISHED = "document.getElementById('training-lab').dataset.session === 'finished'"
HAS_BOUNDARY = "() => (document.getElementById('boundary-plot').data || []).some(t => t.type === 'heatmap')"
UPLOADED = "() => document.getElementById('ds-select').value.startsWith('upload:')"


@pytest.fixture(autouse=True)
def _delete_uploads_afterwards(live_server: str) -> Iterator[None]:
    """Each test starts and ends with no uploaded set, so other modules see only the built-in ones."""
    yield
    with httpx.Client(base_url=live_server) as client:
        for entry in client.get("/api/datasets").json():
            if entry.get("uploaded"):
                client.delete(f"/api/datasets/uploads/{entry['id']}").raise_for_status()


def moons_csv(path: Path, n: int = 300) -> Path:
    """Two interleaving half circles (as scikit-learn's make_moons), noise 0.1, labels A / B."""
    rng = np.random.default_rng(7)
    t = rng.uniform(0, np.pi, n)
    label = np.arange(n) % 2
    x = np.where(label == 0, np.cos(t), 1 - np.cos(t)) + rng.normal(0, 0.1, n)
    y = np.where(label == 0, np.sin(t), 0.5 - np.sin(t)) + rng.normal(0, 0.1, n)
    rows = ["x1,x2,shape", *[f"{a:.4f},{b:.4f},{'AB'[k]}" for a, b, k in zip(x, y, label, strict=True)]]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def open_panel(page, mode: str) -> None:
    page.goto("/training")
    page.wait_for_selector(READY, timeout=20_000)
    page.locator("#upload-panel > summary").click()
    page.get_by_test_id(f"up-mode-{mode}").click()


def set_field(page, testid: str, text: str) -> None:
    field = page.get_by_test_id(testid)
    field.fill(text)
    field.dispatch_event("change")


def train_and_wait(page) -> dict:
    page.get_by_test_id("start-button").click()
    page.wait_for_function(FINISHED, timeout=90_000)
    page.wait_for_function(HAS_BOUNDARY, timeout=20_000)
    return page.evaluate("() => window.trainingLab.session.runs[0].summary")


def test_csv_upload_from_the_page_trains_to_a_decision_boundary(page, tmp_path: Path) -> None:
    csv_path = moons_csv(tmp_path / "my_moons.csv")
    open_panel(page, "csv")
    page.get_by_test_id("up-csv-file").set_input_files(str(csv_path))
    # the label column is offered from the file's header; the last column by default
    page.wait_for_function("() => document.getElementById('up-label').options.length === 3")
    assert page.get_by_test_id("up-label").input_value() == "shape"
    assert page.get_by_test_id("up-name").input_value() == "my_moons"
    page.get_by_test_id("up-submit").click()
    page.wait_for_function(UPLOADED, timeout=20_000)
    assert "my_moons" in page.get_by_test_id("up-status").inner_text()
    assert "300" in page.get_by_test_id("up-status").inner_text()
    assert page.locator("#ds-select option:checked").inner_text() == "my_moons"
    assert "my_moons" in page.get_by_test_id("up-list").inner_text()
    # the choice is in the URL: a reload (or a shared link) keeps the uploaded set selected
    chosen = page.get_by_test_id("ds-select").input_value()
    page.wait_for_function("id => decodeURIComponent(location.hash).includes(id)", arg=chosen)
    page.reload()
    page.wait_for_selector(READY, timeout=20_000)
    assert page.get_by_test_id("ds-select").input_value() == chosen
    set_field(page, "hidden-input", "32, 32")
    set_field(page, "epochs-input", "60")
    set_field(page, "batch-size", "32")
    summary = train_and_wait(page)
    assert summary["status"] == "done"
    assert summary["classes"] == ["A", "B"]
    assert summary["test_acc"] > 0.75  # chance: 0.5
    assert page.locator("#boundary-panel").is_visible()
    points = page.evaluate(
        "() => document.getElementById('boundary-plot').data.filter(t => t.type === 'scatter')"
        ".reduce((n, t) => n + t.x.length, 0)"
    )
    assert points > 0


def test_drawn_points_become_a_2d_data_set_with_a_boundary(page) -> None:
    open_panel(page, "draw")
    page.wait_for_function("() => document.querySelector('[data-testid=draw-plot]').dataset.sized === 'true'")
    page.get_by_test_id("draw-use").scroll_into_view_if_needed()

    def click_at(fx: float, fy: float) -> None:
        box = page.locator("[data-testid=draw-plot] .nsewdrag").bounding_box()
        page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)

    assert page.get_by_test_id("draw-use").is_disabled()
    for i in range(8):
        click_at(0.15 + 0.05 * i, 0.2 + 0.02 * i)  # class 0: upper left
    page.get_by_test_id("draw-class-1").click()
    for i in range(8):
        click_at(0.5 + 0.05 * i, 0.65 + 0.02 * i)  # class 1: lower right
    page.get_by_test_id("draw-undo").click()
    assert page.get_by_test_id("draw-plot").get_attribute("data-points") == "15"
    assert page.get_by_test_id("draw-count").inner_text() == "15 points (class 0: 8, class 1: 7)"
    # upper left (class 0) has the larger y: the plot's y axis points up
    ys = page.evaluate("() => document.querySelector('[data-testid=draw-plot]').data.map(t => t.y)")
    assert min(ys[0]) > max(ys[1])
    page.get_by_test_id("draw-use").click()
    page.wait_for_function(UPLOADED, timeout=20_000)
    chosen = page.get_by_test_id("ds-select").input_value()
    entry = page.evaluate("async id => (await (await fetch('/api/datasets')).json()).find(d => d.id === id)", chosen)
    assert (entry["n_samples"], entry["n_classes"], entry["kind"], entry["source"]) == (15, 2, "2d", "points")
    set_field(page, "epochs-input", "30")
    summary = train_and_wait(page)
    assert summary["status"] == "done" and "boundary" in summary


def test_bad_csv_is_refused_naming_row_and_column_in_korean(new_page, tmp_path: Path) -> None:
    page = new_page(locale="ko-KR")
    rows = ["length,width,kind", *[f"{i / 10},{i / 5},{'ab'[i % 2]}" for i in range(20)]]
    rows[2] = "0.1,wide,b"  # line 3 of the file
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(rows) + "\n", encoding="utf-8")
    open_panel(page, "csv")
    before = page.evaluate("async () => (await (await fetch('/api/datasets')).json()).map(d => d.id)")
    options = page.locator("#ds-select option").all_inner_texts()
    page.get_by_test_id("up-csv-file").set_input_files(str(bad))
    page.wait_for_function("() => document.getElementById('up-label').options.length === 3")
    page.get_by_test_id("up-submit").click()
    error = page.get_by_test_id("up-error")
    error.wait_for(state="visible", timeout=20_000)
    text = error.inner_text()
    assert "3행" in text and "width" in text and "wide" in text and "숫자가 아닙니다" in text
    after = page.evaluate("async () => (await (await fetch('/api/datasets')).json()).map(d => d.id)")
    assert after == before
    assert page.locator("#ds-select option").all_inner_texts() == options
    assert not page.get_by_test_id("ds-select").input_value().startswith("upload:")
    # the same refusal reads in English after switching the language
    page.get_by_test_id("lang-en").click()
    assert "Row 3" in error.inner_text() and "width" in error.inner_text()


def test_mnist_style_idx_files_upload_as_an_image_set(page, tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    files = [
        write_idx(tmp_path / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (60, 6, 6), dtype=np.uint8)),
        write_idx(tmp_path / "train-labels-idx1-ubyte", (np.arange(60) % 3).astype(np.uint8)),
        write_idx(tmp_path / "t10k-images-idx3-ubyte", rng.integers(0, 256, (12, 6, 6), dtype=np.uint8)),
        write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", (np.arange(12) % 3).astype(np.uint8)),
    ]
    open_panel(page, "idx")
    # MNIST is not configured on the test server: the panel says how to enable it
    hint = page.get_by_test_id("mnist-hint")
    assert hint.is_visible() and "PLAYGROUND_MNIST_DIR" in hint.inner_text()
    page.get_by_test_id("up-idx-files").set_input_files([str(f) for f in files])
    page.get_by_test_id("up-submit").click()
    page.wait_for_function(UPLOADED, timeout=20_000)
    assert "72" in page.get_by_test_id("up-status").inner_text()  # 60 training + 12 test images
    chosen = page.get_by_test_id("ds-select").input_value()
    entry = page.evaluate("async id => (await (await fetch('/api/datasets')).json()).find(d => d.id === id)", chosen)
    assert (entry["kind"], entry["n_features"], entry["n_classes"], entry["image_shape"]) == ("image", 36, 3, [6, 6])
