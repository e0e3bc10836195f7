"""The MLP: whole-network gradient check, regularisation terms, bookkeeping, symmetry of zeros init."""

from __future__ import annotations

import numpy as np
import pytest
from app.core.errors import InputError
from app.core.nn.network import MLP
from tests.gradcheck import numerical_grad, rel_error

F64 = np.float64


def make_net(**kw) -> MLP:
    args = {
        "n_in": 5,
        "hidden": [6, 4],
        "n_out": 3,
        "activation": "tanh",
        "init": "xavier_normal",
        "dtype": F64,
        "rng": np.random.default_rng(0),
    }
    args.update(kw)
    net = MLP(**args)
    for layer in net.affines:  # non-zero biases: no pre-activation sits exactly on ReLU's kink
        layer.b[...] = np.random.default_rng(9).normal(0.0, 0.3, layer.b.shape)
    return net


def data(n: int = 7, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 5)), rng.integers(0, 3, n)


def check_all_params(net: MLP, x: np.ndarray, y: np.ndarray, l1: float = 0.0, l2: float = 0.0) -> None:
    net.loss(x, y, l1, l2, training=True)
    net.backward()
    analytic = [g.copy() for g in net.grads()]
    for p, g in zip(net.params(), analytic, strict=True):
        numeric = numerical_grad(lambda: net.loss(x, y, l1, l2, training=True), p)
        assert rel_error(g, numeric) < 1e-5


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "elu", "leaky_relu", "relu"])
def test_whole_mlp_gradient(activation: str) -> None:
    x, y = data()
    check_all_params(make_net(activation=activation), x, y)


def test_whole_mlp_gradient_with_batchnorm_dropout_and_penalties() -> None:
    net = make_net(batch_norm=True, dropout=0.3, activation="sigmoid")
    x, y = data()
    mask_rng = np.random.default_rng(3)
    for block in net.blocks:
        block.dropout.fixed_mask = mask_rng.random((len(y), block.affine.W.shape[1])) >= 0.3
    for block in net.blocks:  # non-trivial γ, β
        block.bn.gamma[...] = mask_rng.uniform(0.5, 1.5, block.bn.gamma.shape)
        block.bn.beta[...] = mask_rng.standard_normal(block.bn.beta.shape)
    check_all_params(net, x, y, l1=0.01, l2=0.1)


def test_penalty_value_by_hand() -> None:
    net = make_net(hidden=[2], n_in=2, n_out=2)
    net.blocks[0].affine.W[...] = [[1.0, -2.0], [0.0, 3.0]]
    net.output.W[...] = [[0.5, 0.0], [0.0, -1.0]]
    net.blocks[0].affine.b[...] = [100.0, 100.0]  # biases are not penalised
    sum_sq = 1 + 4 + 0 + 9 + 0.25 + 1
    sum_abs = 1 + 2 + 0 + 3 + 0.5 + 1
    assert net.penalty(l1=0.0, l2=0.2) == pytest.approx(0.5 * 0.2 * sum_sq)
    assert net.penalty(l1=0.3, l2=0.0) == pytest.approx(0.3 * sum_abs)
    x, y = np.array([[1.0, 2.0]]), np.array([1])
    plain = net.loss(x, y)
    assert net.loss(x, y, l1=0.3, l2=0.2) == pytest.approx(plain + 0.3 * sum_abs + 0.1 * sum_sq)


def test_penalty_gradients_are_lambda_w_and_lambda_sign_w_on_weights_only() -> None:
    net = make_net(batch_norm=True)
    x, y = data()
    net.loss(x, y, training=True)
    net.backward()
    plain = [g.copy() for g in net.grads()]
    net.loss(x, y, l1=0.05, l2=0.7, training=True)
    net.backward()
    for p, g0, g, is_w in zip(net.params(), plain, net.grads(), net.decay_mask, strict=True):
        expected = g0 + (0.7 * p + 0.05 * np.sign(p) if is_w else 0.0)
        np.testing.assert_allclose(g, expected, rtol=1e-10, atol=1e-12)


def test_param_bookkeeping() -> None:
    net = make_net(batch_norm=True)
    names = [info.name for info in net.param_info]
    assert names == ["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]
    assert net.decay_mask == [n.startswith("W") for n in names]
    assert net.param_layers == [1, 1, 1, 1, 2, 2, 2, 2, 3, 3]
    assert [p.shape for p, w in zip(net.params(), net.decay_mask, strict=True) if w] == [(5, 6), (6, 4), (4, 3)]
    # the lists hold the live arrays: updating in place changes the network
    net.params()[0][...] = 0.0
    assert not net.blocks[0].affine.W.any()


def test_forward_records_pre_activations_and_activations() -> None:
    net = make_net(activation="relu", batch_norm=True)
    x, _ = data(10)
    net.forward(x, training=True)
    assert [a.shape for a in net.pre_activations] == [(10, 6), (10, 4)]
    for pre, act in zip(net.pre_activations, net.activations, strict=True):
        np.testing.assert_array_equal(act, np.maximum(pre, 0))
    # with BN in training mode the pre-activation is the normalised input of the activation
    np.testing.assert_allclose(net.pre_activations[0].mean(axis=0), 0.0, atol=1e-10)


def test_get_set_weights_round_trip_including_bn_running_stats() -> None:
    net = make_net(batch_norm=True)
    x, y = data()
    saved = net.get_weights()
    before = net.logits(x)
    live = net.params()[0]
    for _ in range(3):  # change weights and running statistics
        net.loss(x, y, training=True)
        net.backward()
        for p, g in zip(net.params(), net.grads(), strict=True):
            p -= 0.5 * g
    assert not np.allclose(net.logits(x), before)
    net.set_weights(saved)
    np.testing.assert_array_equal(net.logits(x), before)
    assert net.params()[0] is live  # restored in place


def test_predict_is_argmax_and_chunked_logits_match() -> None:
    net = make_net()
    x = np.random.default_rng(5).standard_normal((5000, 5))  # > EVAL_CHUNK
    logits = net.logits(x)
    assert logits.shape == (5000, 3)
    np.testing.assert_allclose(logits[:10], net.forward(x[:10]), rtol=1e-12)
    np.testing.assert_array_equal(net.predict(x), logits.argmax(axis=1))


def test_zeros_init_keeps_hidden_units_identical() -> None:
    """docs/networks.md: with all-zero weights every hidden unit gets the same gradient, forever."""
    net = MLP(n_in=4, hidden=[5, 5], n_out=3, activation="sigmoid", init="zeros", rng=np.random.default_rng(0))
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((40, 4)).astype(np.float32), rng.integers(0, 3, 40)
    for _ in range(100):
        net.loss(x, y)
        net.backward()
        for p, g in zip(net.params(), net.grads(), strict=True):
            p -= 2.0 * g
    W1, W2, W3 = (a.W for a in net.affines)
    assert np.abs(W1).min() > 1e-5 and np.abs(W2).min() > 1e-5  # the weights did move …
    for W in (W1, W2):  # … but every hidden unit (column) is the same unit
        np.testing.assert_allclose(W, W[:, :1].repeat(W.shape[1], axis=1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(W3, W3[:1].repeat(W3.shape[0], axis=0), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(net.blocks[0].affine.b, net.blocks[0].affine.b[0], rtol=1e-5)


def test_bad_structure_raises_input_error() -> None:
    with pytest.raises(InputError) as err:
        make_net(hidden=[6, 0])
    assert err.value.field == "model.hidden.1"
    with pytest.raises(InputError) as err:
        make_net(activation="softsign")
    assert err.value.field == "model.activation"
    with pytest.raises(InputError) as err:
        make_net(dropout=1.0)
    assert err.value.field == "model.dropout"
