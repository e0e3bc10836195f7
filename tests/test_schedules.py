"""Learning-rate schedules against the Keras formulas of docs/schedules.md, evaluated by hand."""

from __future__ import annotations

import math

import pytest

from app.core.errors import InputError
from app.core.optim.schedules import list_schedules, make_schedule


def test_constant_and_none() -> None:
    assert make_schedule(None, 0.3)(1000) == 0.3
    assert make_schedule({"type": "constant"}, 0.3)(5) == 0.3


def test_piecewise_course_example() -> None:
    # boundaries [700, 900], values [0.1, 0.05, 0.01]: 0.1 up to step 700 inclusive (Keras).
    s = make_schedule({"type": "piecewise", "boundaries": [700, 900], "values": [0.1, 0.05, 0.01]}, 1.0)
    assert [s(0), s(700), s(701), s(900), s(901), s(10_000)] == [0.1, 0.1, 0.05, 0.05, 0.01, 0.01]


def test_exponential_smooth_and_staircase() -> None:
    smooth = make_schedule({"type": "exponential", "decay_rate": 0.5, "decay_steps": 10}, 0.2)
    stair = make_schedule({"type": "exponential", "decay_rate": 0.5, "decay_steps": 10, "staircase": True}, 0.2)
    assert smooth(10) == pytest.approx(0.1)
    assert smooth(5) == pytest.approx(0.2 * 0.5**0.5)
    assert stair(5) == pytest.approx(0.2) and stair(19) == pytest.approx(0.1) and stair(20) == pytest.approx(0.05)


def test_polynomial() -> None:
    s = make_schedule({"type": "polynomial", "decay_steps": 100, "end_lr": 0.01, "power": 2.0}, 0.11)
    # (0.11 − 0.01)(1 − 50/100)² + 0.01 = 0.035; clamped after decay_steps.
    assert s(50) == pytest.approx(0.035)
    assert s(100) == pytest.approx(0.01) and s(500) == pytest.approx(0.01)


def test_cosine_and_warmup() -> None:
    c = make_schedule({"type": "cosine", "decay_steps": 100, "alpha": 0.1}, 1.0)
    assert c(0) == pytest.approx(1.0)
    assert c(50) == pytest.approx(0.9 * 0.5 * (1 + math.cos(math.pi / 2)) + 0.1)
    assert c(100) == pytest.approx(0.1) and c(1000) == pytest.approx(0.1)
    w = make_schedule({"type": "warmup", "warmup_steps": 4}, 0.8)
    assert [w(0), w(1), w(3), w(50)] == pytest.approx([0.2, 0.4, 0.8, 0.8])


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"type": "nope"}, "schedule.type"),
        ({"type": "exponential", "decay_rate": 2.0}, "schedule.decay_rate"),
        ({"type": "exponential", "decay_steps": 0}, "schedule.decay_steps"),
        ({"type": "piecewise", "boundaries": [1], "values": [1.0]}, "schedule.values"),
        ({"type": "piecewise", "boundaries": [5, 2], "values": [1.0, 2.0, 3.0]}, "schedule.boundaries"),
        ({"type": "cosine", "extra": 1}, "schedule.extra"),
    ],
)
def test_bad_specs_name_the_field(spec: dict[str, object], field: str) -> None:
    with pytest.raises(InputError) as err:
        make_schedule(spec, 0.1)
    assert err.value.field == field


def test_listing() -> None:
    ids = [s["id"] for s in list_schedules()]
    assert ids == ["constant", "piecewise", "exponential", "polynomial", "cosine", "warmup"]
