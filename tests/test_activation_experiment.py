"""The textbook's activation-histogram experiment (docs/experiments.md §2): the qualitative claims as numbers."""

from __future__ import annotations

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.nn.activation_experiment import run_activation_experiment


def middle_fraction(layer: dict, lo: float, hi: float) -> float:
    """Share of the histogram mass in bins lying inside [lo, hi]."""
    edges, counts = np.array(layer["edges"]), np.array(layer["counts"])
    inside = (edges[:-1] >= lo - 1e-12) & (edges[1:] <= hi + 1e-12)
    return counts[inside].sum() / counts.sum()


def test_std_1_sigmoid_saturates_near_0_and_1() -> None:
    layers = run_activation_experiment(activation="sigmoid", init="normal", init_std=1.0)["layers"]
    assert len(layers) == 5
    for layer in layers:
        assert layer["frac_low"] + layer["frac_high"] > 0.6
        assert layer["frac_low"] > 0.25 and layer["frac_high"] > 0.25  # both ends, not one


def test_std_001_sigmoid_collapses_to_one_half() -> None:
    for layer in run_activation_experiment(activation="sigmoid", init="normal", init_std=0.01)["layers"]:
        assert layer["frac_low"] == 0.0 and layer["frac_high"] == 0.0
        assert layer["mean"] == pytest.approx(0.5, abs=0.01)
        assert layer["std"] < 0.03
        assert middle_fraction(layer, 0.4, 0.6) > 0.999


@pytest.mark.parametrize("init", ["xavier_normal", "lecun_normal"])  # identical for 100 → 100 layers
def test_xavier_sigmoid_spreads_the_activations(init: str) -> None:
    for layer in run_activation_experiment(activation="sigmoid", init=init)["layers"]:
        assert layer["frac_low"] + layer["frac_high"] < 0.05  # not saturated like std 1 …
        assert layer["std"] > 0.08  # … and not collapsed like std 0.01
        assert middle_fraction(layer, 0.4, 0.6) < 0.75


def test_he_keeps_relu_scale_constant_where_small_std_vanishes() -> None:
    he = [layer["std"] for layer in run_activation_experiment(activation="relu", init="he_normal")["layers"]]
    assert max(he) / min(he) < 1.5
    tiny = [
        layer["std"] for layer in run_activation_experiment(activation="relu", init="normal", init_std=0.01)["layers"]
    ]
    assert tiny[-1] < 1e-3 * tiny[0]


def test_histogram_shape_and_edges() -> None:
    out = run_activation_experiment(
        n_samples=200, n_features=30, layers=3, width=40, activation="tanh", init="xavier_uniform", bins=12, seed=5
    )
    assert out["activation"] == "tanh" and out["init"] == "xavier_uniform"
    for i, layer in enumerate(out["layers"], start=1):
        assert layer["index"] == i
        assert len(layer["edges"]) == 13 and len(layer["counts"]) == 12
        assert layer["edges"][0] == -1.0 and layer["edges"][-1] == 1.0
        assert sum(layer["counts"]) == 200 * 40
    relu = run_activation_experiment(activation="relu", init="he_normal", layers=2)["layers"]
    assert relu[0]["edges"][0] == 0.0 and relu[0]["frac_zero"] == pytest.approx(0.5, abs=0.02)
    assert relu[0]["weight_std"] == pytest.approx(np.sqrt(2 / 100))


def test_bias_changes_the_result_and_seed_reproduces_it() -> None:
    a = run_activation_experiment(seed=1)
    assert a == run_activation_experiment(seed=1)
    assert a != run_activation_experiment(seed=2)
    assert a != run_activation_experiment(seed=1, bias=True)


def test_unknown_ids_name_their_field() -> None:
    with pytest.raises(InputError) as err:
        run_activation_experiment(activation="gelu?")
    assert err.value.field == "activation"
    with pytest.raises(InputError) as err:
        run_activation_experiment(init="magic")
    assert err.value.field == "init"


def test_shared_axis_shows_the_relu_std_001_collapse() -> None:
    """Issue 8 point 2: on one axis, ReLU with std 0.01 piles into the first bin while He spreads."""
    he = run_activation_experiment(activation="relu", init="he_normal")
    top = max(layer["max"] for layer in he["layers"])
    shared = (0.0, top)
    he = run_activation_experiment(activation="relu", init="he_normal", hist_range=shared)
    tiny = run_activation_experiment(activation="relu", init="normal", init_std=0.01, hist_range=shared)
    deep_he, deep_tiny = he["layers"][-1], tiny["layers"][-1]
    assert deep_he["edges"] == deep_tiny["edges"] and deep_he["edges"][-1] == pytest.approx(top)
    total = sum(deep_tiny["counts"])
    assert deep_tiny["counts"][0] == total  # every value of layer 5 is < top/30: one spike at 0
    assert deep_he["counts"][0] < 0.7 * total  # He: half are exact zeros, the rest spread out
    assert deep_tiny["max"] < 1e-3 * deep_he["max"]


@pytest.mark.parametrize(
    ("activation", "init", "bad"),
    [("sigmoid", "normal", True), ("tanh", "xavier_normal", False), ("sigmoid", "xavier_normal", False)],
)
def test_saturation_follows_each_activation(activation: str, init: str, bad: bool) -> None:
    result = run_activation_experiment(activation=activation, init=init, init_std=1.0)
    assert result["saturation_rule"]["code"] == {"sigmoid": "outside", "tanh": "abs_above"}[activation]
    deep = result["layers"][-1]["saturated"]
    assert (deep > 0.5) if bad else (deep < 0.05)


def test_relu_saturation_is_the_share_of_zero_outputs() -> None:
    for layer in run_activation_experiment(activation="relu", init="he_normal")["layers"]:
        assert layer["saturated"] == layer["frac_zero"]
        assert layer["saturated"] == pytest.approx(0.5, abs=0.1)  # half the inputs of a ReLU are < 0


def test_bad_hist_range_names_the_field() -> None:
    with pytest.raises(InputError) as info:
        run_activation_experiment(hist_range=(1.0, 1.0))
    assert info.value.field == "hist_range"
