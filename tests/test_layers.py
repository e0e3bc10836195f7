"""Layers and the softmax cross-entropy loss against finite differences and hand-computed numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.nn.layers import ELU, Affine, BatchNorm, Dropout, LeakyReLU, ReLU, Sigmoid, Tanh, make_activation
from app.core.nn.losses import SoftmaxCrossEntropy
from tests.gradcheck import numerical_grad, rel_error

F64 = np.float64


def check_layer(layer, x: np.ndarray, training: bool = True, params: bool = True) -> None:
    """∂(Σ out·R)/∂x and ∂/∂θ of the layer's backward vs. central differences."""
    rng = np.random.default_rng(1)
    r = rng.standard_normal(layer.forward(x, training).shape)

    def f() -> float:
        return float(np.sum(layer.forward(x, training) * r))

    layer.forward(x, training)
    dx = layer.backward(r)
    assert rel_error(dx, numerical_grad(f, x)) < 1e-5
    if params:
        layer.forward(x, training)
        layer.backward(r)
        analytic = [g.copy() for g in layer.grads()]
        for p, g in zip(layer.params(), analytic, strict=True):
            assert rel_error(g, numerical_grad(f, p)) < 1e-5


def away_from_zero(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    """Standard-normal values pushed away from 0, so kinks (ReLU at 0) are not straddled by ±h."""
    x = np.random.default_rng(seed).standard_normal(shape)
    return x + np.sign(x) * 0.05


def test_affine_gradients() -> None:
    rng = np.random.default_rng(0)
    layer = Affine(rng.standard_normal((4, 3)), rng.standard_normal(3), dtype=F64)
    check_layer(layer, rng.standard_normal((5, 4)))


def test_affine_forward_matches_hand_computation() -> None:
    layer = Affine(np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([0.5, -1.0]), dtype=F64)
    out = layer.forward(np.array([[1.0, -1.0]]), training=False)
    np.testing.assert_allclose(out, [[1 - 3 + 0.5, 2 - 4 - 1.0]])


@pytest.mark.parametrize("cls", [Sigmoid, Tanh, ReLU, LeakyReLU, ELU])
def test_activation_gradients(cls) -> None:
    check_layer(cls(dtype=F64), away_from_zero((6, 5)), params=False)


def test_activation_values_by_hand() -> None:
    x = np.array([[-2.0, 0.0, 3.0]])
    np.testing.assert_allclose(Sigmoid(dtype=F64).forward(x, False), [[1 / (1 + math.e**2), 0.5, 1 / (1 + math.e**-3)]])
    np.testing.assert_allclose(ReLU(dtype=F64).forward(x, False), [[0.0, 0.0, 3.0]])
    np.testing.assert_allclose(LeakyReLU(dtype=F64).forward(x, False), [[-0.02, 0.0, 3.0]])
    np.testing.assert_allclose(ELU(dtype=F64).forward(x, False), [[math.exp(-2) - 1, 0.0, 3.0]])
    np.testing.assert_allclose(Tanh(dtype=F64).forward(x, False), [[math.tanh(-2), 0.0, math.tanh(3)]])


def test_sigmoid_and_elu_stay_finite_for_extreme_inputs() -> None:
    x = np.array([[-1000.0, 1000.0]], dtype=np.float32)
    s = Sigmoid().forward(x, False)
    assert np.all(np.isfinite(s)) and s[0, 0] == 0.0 and s[0, 1] == 1.0
    e = ELU().forward(x, False)
    assert np.all(np.isfinite(e)) and e[0, 0] == pytest.approx(-1.0) and e[0, 1] == 1000.0


def test_unknown_activation_names_the_field() -> None:
    with pytest.raises(InputError) as err:
        make_activation("swishy")
    assert err.value.field == "model.activation"


def test_batchnorm_training_gradients_wrt_x_gamma_beta() -> None:
    rng = np.random.default_rng(0)
    bn = BatchNorm(4, dtype=F64)
    bn.gamma[...] = rng.uniform(0.5, 2.0, 4)
    bn.beta[...] = rng.standard_normal(4)
    check_layer(bn, rng.standard_normal((8, 4)) * 3 + 1, training=True)


def test_batchnorm_inference_gradients() -> None:
    rng = np.random.default_rng(0)
    bn = BatchNorm(3, dtype=F64)
    bn.running_mean[...] = [0.5, -1.0, 2.0]
    bn.running_var[...] = [4.0, 0.25, 1.0]
    bn.gamma[...] = [2.0, 1.0, 0.5]
    check_layer(bn, rng.standard_normal((5, 3)), training=False)


def test_batchnorm_training_output_is_standardised() -> None:
    x = np.random.default_rng(0).normal(5.0, 3.0, size=(256, 10))
    out = BatchNorm(10, dtype=F64).forward(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(out.var(axis=0), 1.0, rtol=1e-4)  # ε = 1e-5 shrinks it a hair


def test_batchnorm_running_statistics_by_hand() -> None:
    bn = BatchNorm(1, momentum=0.9, dtype=F64)
    bn.forward(np.array([[1.0], [3.0]]), training=True)  # μ_B = 2, biased σ²_B = 1
    assert bn.running_mean[0] == pytest.approx(0.9 * 0 + 0.1 * 2)  # 0.2
    assert bn.running_var[0] == pytest.approx(0.9 * 1 + 0.1 * 1)  # 1.0
    bn.gamma[...] = 2.0
    bn.beta[...] = 0.5
    out = bn.forward(np.array([[2.2]]), training=False)
    assert out[0, 0] == pytest.approx(2.0 * (2.2 - 0.2) / math.sqrt(1.0 + 1e-7) + 0.5)
    # inference leaves the running statistics alone
    assert bn.running_mean[0] == pytest.approx(0.2)


def test_dropout_gradient_with_fixed_mask() -> None:
    rng = np.random.default_rng(0)
    drop = Dropout(0.4, dtype=F64)
    drop.fixed_mask = rng.random((6, 5)) >= 0.4
    check_layer(drop, rng.standard_normal((6, 5)), params=False)
    out = drop.forward(np.ones((6, 5)), training=True)
    np.testing.assert_allclose(out, drop.fixed_mask / 0.6)


def test_dropout_preserves_expected_activation_and_is_identity_at_inference() -> None:
    x = np.ones((1000, 100), dtype=np.float32)
    drop = Dropout(0.3, np.random.default_rng(0))
    out = drop.forward(x, training=True)
    # each entry is 0 (prob 0.3) or 1/0.7: mean 1, std of the mean ≈ 0.65/√1e5 ≈ 0.002
    assert abs(out.mean() - 1.0) < 0.01
    assert abs(np.mean(out == 0) - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
    x2 = np.random.default_rng(1).standard_normal((10, 4)).astype(np.float32)
    assert np.array_equal(drop.forward(x2, training=False), x2)
    assert np.array_equal(drop.backward(x2), x2)


def test_layers_keep_float32_by_default() -> None:
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    for layer in (Affine(np.ones((3, 2))), Sigmoid(), Tanh(), ReLU(), LeakyReLU(), ELU(), BatchNorm(3), Dropout(0.5)):
        out = layer.forward(x, training=True)
        assert out.dtype == np.float32, type(layer).__name__
        assert layer.backward(np.ones_like(out)).dtype == np.float32, type(layer).__name__


def test_softmax_cross_entropy_gradient() -> None:
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((6, 4))
    labels = rng.integers(0, 4, 6)
    ce = SoftmaxCrossEntropy()
    ce.forward(logits, labels)
    analytic = ce.backward()
    numeric = numerical_grad(lambda: ce.forward(logits, labels), logits)
    assert rel_error(analytic, numeric) < 1e-5


def test_softmax_cross_entropy_values() -> None:
    ce = SoftmaxCrossEntropy()
    assert ce.forward(np.zeros((3, 4)), np.array([0, 1, 2])) == pytest.approx(math.log(4))
    # p = softmax([1, 2]) = [1/(1+e), e/(1+e)]; −log p₁ for label 1
    assert ce.forward(np.array([[1.0, 2.0]]), np.array([1])) == pytest.approx(-math.log(math.e / (1 + math.e)))
    # stable for huge logits: no overflow, loss ≈ 0 when right and ≈ 1000 when wrong
    assert ce.forward(np.array([[1000.0, 0.0]]), np.array([0])) == pytest.approx(0.0, abs=1e-12)
    assert ce.forward(np.array([[1000.0, 0.0]]), np.array([1])) == pytest.approx(1000.0)
    grad = ce.backward()
    np.testing.assert_allclose(grad, [[1.0, -1.0]], atol=1e-12)
