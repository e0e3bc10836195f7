"""Initialisers: sample statistics against docs/networks.md's formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.nn.initializers import INIT_IDS, initialize

FAN_IN, FAN_OUT = 300, 700  # unequal, so fan_in-only and fan_in+fan_out formulas differ

EXPECTED_STD = {
    "xavier_uniform": math.sqrt(6 / (FAN_IN + FAN_OUT)) / math.sqrt(3),  # U(−a, a) has std a/√3
    "xavier_normal": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "he_uniform": math.sqrt(6 / FAN_IN) / math.sqrt(3),
    "he_normal": math.sqrt(2 / FAN_IN),
    "lecun_normal": math.sqrt(1 / FAN_IN),
    "normal": 0.05,
}


@pytest.mark.parametrize("name", sorted(EXPECTED_STD))
def test_sample_std_within_5_percent_of_formula(name: str) -> None:
    w = initialize(name, FAN_IN, FAN_OUT, np.random.default_rng(0), std=0.05)
    assert w.shape == (FAN_IN, FAN_OUT)
    assert w.dtype == np.float32
    assert abs(w.std() / EXPECTED_STD[name] - 1) < 0.05
    assert abs(w.mean()) < 0.05 * EXPECTED_STD[name]


@pytest.mark.parametrize(
    ("name", "limit"),
    [("xavier_uniform", math.sqrt(6 / (FAN_IN + FAN_OUT))), ("he_uniform", math.sqrt(6 / FAN_IN))],
)
def test_uniform_limits(name: str, limit: float) -> None:
    w = initialize(name, FAN_IN, FAN_OUT, np.random.default_rng(1), dtype=np.float64)
    assert np.abs(w).max() <= limit
    assert np.abs(w).max() > 0.999 * limit  # 210,000 draws reach the ends


def test_normal_forms_are_gaussian_not_uniform() -> None:
    # a Gaussian's excess kurtosis is 0; a uniform's is −1.2
    w = initialize("he_normal", FAN_IN, FAN_OUT, np.random.default_rng(2), dtype=np.float64)
    z = (w - w.mean()) / w.std()
    assert abs(np.mean(z**4) - 3.0) < 0.1


def test_zeros() -> None:
    w = initialize("zeros", 3, 4, np.random.default_rng(0))
    assert w.shape == (3, 4) and not w.any()


def test_same_rng_state_same_weights() -> None:
    a = initialize("he_normal", 10, 5, np.random.default_rng(7))
    b = initialize("he_normal", 10, 5, np.random.default_rng(7))
    assert np.array_equal(a, b)


def test_every_id_is_accepted() -> None:
    for name in INIT_IDS:
        initialize(name, 4, 3, np.random.default_rng(0))


def test_unknown_initialiser_names_the_field() -> None:
    with pytest.raises(InputError) as err:
        initialize("glorot_magic", 4, 3, np.random.default_rng(0))
    assert err.value.field == "model.init"
    assert "glorot_magic" in err.value.message
