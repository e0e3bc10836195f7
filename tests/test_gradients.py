"""Gradient clipping and seeded noise."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.optim.gradients import GradientNoise, clip_gradients


def test_clip_by_value() -> None:
    (g,) = clip_gradients([np.array([[3.0, -0.5, -7.0]])], {"mode": "value", "max": 1.0})
    np.testing.assert_allclose(g, [[1.0, -0.5, -1.0]])


def test_clip_by_global_norm() -> None:
    # ‖(3, 4)‖ = 5 → scaled to norm 1; a small gradient is left alone.
    a, b = clip_gradients([np.array([3.0]), np.array([4.0])], {"mode": "norm", "max": 1.0})
    np.testing.assert_allclose([a[0], b[0]], [0.6, 0.8])
    (small,) = clip_gradients([np.array([0.1, 0.1])], {"mode": "norm", "max": 1.0})
    np.testing.assert_allclose(small, [0.1, 0.1])


def test_clip_norm_per_run() -> None:
    (g,) = clip_gradients([np.array([[3.0, 4.0], [0.3, 0.4]])], {"mode": "norm", "max": 1.0}, per_run=True)
    np.testing.assert_allclose(g, [[0.6, 0.8], [0.3, 0.4]])


def test_clip_bad_spec() -> None:
    with pytest.raises(InputError) as err:
        clip_gradients([np.zeros(2)], {"mode": "norm", "max": -1})
    assert err.value.field == "clip.max"


def test_noise_is_seeded_and_has_the_right_spread() -> None:
    g = [np.zeros((20_000, 2))]
    a = GradientNoise({"std": 0.5, "seed": 3})(g)[0]
    b = GradientNoise({"std": 0.5, "seed": 3})(g)[0]
    np.testing.assert_array_equal(a, b)
    assert abs(a.std() - 0.5) < 0.01 and abs(a.mean()) < 0.01
    assert GradientNoise(None)(g)[0] is g[0]
