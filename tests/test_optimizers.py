"""First steps of every optimizer against values worked out by hand from docs/optimizers.md.

Unless a test says otherwise: θ = (1, −2), g₁ = (0.5, −1), g₂ = (1, 1), η = 0.1. The expected
numbers were computed with pencil-style scalar arithmetic (shown in the comments), not with the
code under test.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest

from app.core.errors import InputError
from app.core.optim.optimizers import (
    OPTIMIZERS,
    Optimizer,
    SecondOrderOptimizer,
    make_first_order,
    make_optimizer,
    mlp_optimizer_ids,
    usable_for_mlp,
)

THETA = np.array([[1.0, -2.0]])
G1 = np.array([[0.5, -1.0]])
G2 = np.array([[1.0, 1.0]])


@dataclass(frozen=True)
class Objective:
    """f and ∇²f of a test function given by hand (the second-order contract's ``objective``)."""

    f: Callable[[np.ndarray], np.ndarray] | None = None
    h: Callable[[np.ndarray], np.ndarray] | None = None

    def value(self, theta: np.ndarray, /) -> np.ndarray:
        assert self.f is not None, "this test's optimizer should not evaluate f"
        return self.f(theta)

    def hessian(self, theta: np.ndarray, /) -> np.ndarray:
        assert self.h is not None, "this test's optimizer should not evaluate the Hessian"
        return self.h(theta)


def first_order(opt_id: str, params: dict[str, float]) -> Optimizer:
    opt = make_optimizer(opt_id, params)
    assert isinstance(opt, Optimizer)
    return opt


def second_order(opt_id: str, params: dict[str, float]) -> SecondOrderOptimizer:
    opt = make_optimizer(opt_id, params)
    assert isinstance(opt, SecondOrderOptimizer)
    return opt


def steps(opt_id: str, grads: list[np.ndarray], lr: float = 0.1, **params: float) -> list[np.ndarray]:
    """Apply the optimizer to THETA with the given gradient sequence; return each Δθ."""
    opt = first_order(opt_id, {"lr": lr, **params})
    theta = THETA.copy()
    state = opt.init_state([theta])
    out = []
    for t, g in enumerate(grads, start=1):
        (d,) = opt.update([theta], [g], state, t, lr)
        theta = theta + d
        out.append(d)
    return out


def test_sgd() -> None:
    # Δ = −ηg = −0.1·(0.5, −1)
    (d,) = steps("sgd", [G1])
    np.testing.assert_allclose(d, [[-0.05, 0.1]])


def test_momentum_two_steps() -> None:
    # v₁ = −0.1·g₁ = (−0.05, 0.1); v₂ = 0.9·v₁ − 0.1·g₁ = (−0.095, 0.19)
    d1, d2 = steps("momentum", [G1, G1], momentum=0.9)
    np.testing.assert_allclose(d1, [[-0.05, 0.1]])
    np.testing.assert_allclose(d2, [[-0.095, 0.19]])


def test_nesterov_look_ahead() -> None:
    # v₁ = (−0.05, 0.1); Δ = μv₁ − ηg = (−0.045 − 0.05, 0.09 + 0.1)
    (d,) = steps("nesterov", [G1], momentum=0.9)
    np.testing.assert_allclose(d, [[-0.095, 0.19]])


def test_adagrad_accumulates_squares() -> None:
    # h₁ = (0.25, 1): Δ = −0.1·0.5/(0.5+1e-7), +0.1·1/(1+1e-7)
    # h₂ = (1.25, 2) with g₂ = (1, 1): Δ = −0.1/(√1.25+1e-7), −0.1/(√2+1e-7)
    d1, d2 = steps("adagrad", [G1, G2])
    np.testing.assert_allclose(d1, [[-0.05 / (0.5 + 1e-7), 0.1 / (1 + 1e-7)]], rtol=1e-12)
    np.testing.assert_allclose(d2, [[-0.1 / (1.25**0.5 + 1e-7), -0.1 / (2**0.5 + 1e-7)]], rtol=1e-12)


def test_adagrad_effective_rate_in_state() -> None:
    opt = first_order("adagrad", {"lr": 0.1})
    state = opt.init_state([THETA])
    opt.update([THETA], [G1], state, 1, 0.1)
    np.testing.assert_allclose(state[0]["h"], [[0.25, 1.0]])
    np.testing.assert_allclose(state[0]["eff_lr"], [[0.1 / (0.5 + 1e-7), 0.1 / (1 + 1e-7)]])


def test_rmsprop() -> None:
    # h = 0.1·g² = (0.025, 0.1); Δ = −0.1·0.5/√0.025 ≈ −0.316227566
    (d,) = steps("rmsprop", [G1], rho=0.9)
    np.testing.assert_allclose(d, [[-0.31622756601696445, 0.3162276660168696]], rtol=1e-10)


def test_adam_first_step_is_lr_times_sign() -> None:
    # m̂₁ = g, v̂₁ = g², so Δ = −η g/(|g| + ε) ≈ −η sign(g)
    (d,) = steps("adam", [G1])
    np.testing.assert_allclose(d, [[-0.1, 0.1]], rtol=1e-7)


def test_adam_second_step() -> None:
    # m₂ = 0.9·0.1·g₁ + 0.1·g₂ = (0.145, 0.01), m̂₂ = m₂/0.19
    # v₂ = 0.999·0.001·g₁² + 0.001·g₂², v̂₂ = v₂/(1 − 0.999²)
    _, d2 = steps("adam", [G1, G2])
    np.testing.assert_allclose(d2, [[-0.09651820136149056, -0.005263157842105226]], rtol=1e-9)


def test_adamw_decay_is_decoupled() -> None:
    # Same moments as Adam, plus −ηλθ = −0.1·0.5·(1, −2) outside the adaptive scaling.
    (d,) = steps("adamw", [G1], weight_decay=0.5)
    np.testing.assert_allclose(d, [[-0.1 - 0.05, 0.1 + 0.1]], rtol=1e-7)


def test_adam_weight_decay_is_coupled() -> None:
    # Coupled L2: g' = g + λθ = (0.5 + 0.5, −1 − 1) → first Adam step is still −η sign(g').
    (d,) = steps("adam", [G1], weight_decay=0.5)
    np.testing.assert_allclose(d, [[-0.1, 0.1]], rtol=1e-7)


def test_nadam_first_step() -> None:
    # m̄ = β₁m/(1−β₁²) + (1−β₁)g/(1−β₁) with m = 0.1g; v̂ = g²
    (d,) = steps("nadam", [G1])
    np.testing.assert_allclose(d, [[-0.14736841810526322, 0.14736841957894742]], rtol=1e-9)


def test_amsgrad_keeps_max_second_moment() -> None:
    # Step 2 with a small gradient (0.1, 0.1): v_max keeps step 1's larger v for coordinate 2.
    _, d2 = steps("amsgrad", [G1, np.array([[0.1, 0.1]])])
    np.testing.assert_allclose(d2, [[-0.08030409561534818, 0.059264850591227415]], rtol=1e-9)


def test_adadelta_first_step() -> None:
    # E_g = 0.05g²; Δ = −√(0 + 1e-6)/√(E_g + 1e-6)·g, then θ += η·Δ with η = 1
    (d,) = steps("adadelta", [G1], lr=1.0, rho=0.95, eps=1e-6)
    np.testing.assert_allclose(d, [[-0.00447195708029379, 0.004472091234310839]], rtol=1e-9)


def test_newton_solves_a_quadratic_in_one_step() -> None:
    # f = x² + 2y² − xy: H = [[2, −1], [−1, 4]], the minimum is 0; damping 0 → one exact step.
    h = np.array([[2.0, -1.0], [-1.0, 4.0]])
    x = np.array([[-5.0, 4.0]])
    g = x @ h.T
    opt = second_order("newton", {"lr": 1.0, "damping": 1e-12})
    d = opt.update(x, g, opt.init_state(x), 1, 1.0, Objective(h=lambda p: np.broadcast_to(h, (len(p), 2, 2))))
    np.testing.assert_allclose(x + d, [[0.0, 0.0]], atol=1e-9)


def test_newton_descends_at_a_saddle() -> None:
    # f = x² − y² at (1, 0.1): g = (2, −0.2). H = diag(2, −2); |λ| makes the y-step move away
    # from the saddle (y grows), where a raw Newton step would jump onto it.
    x = np.array([[1.0, 0.1]])
    g = np.array([[2.0, -0.2]])
    h = np.array([[[2.0, 0.0], [0.0, -2.0]]])
    opt = second_order("newton", {"lr": 1.0, "damping": 1e-12})
    d = opt.update(x, g, opt.init_state(x), 1, 1.0, Objective(h=lambda p: h))
    np.testing.assert_allclose(d, [[-1.0, 0.1]], atol=1e-9)


def test_lbfgs_first_step_is_gradient_step_then_quasi_newton() -> None:
    # On f = ½ θᵀAθ with A = diag(1, 10): first direction −g (no pairs yet); with exact
    # curvature pairs L-BFGS converges to the minimum in a few steps.
    a = np.array([1.0, 10.0])
    x = np.array([[3.0, 1.0]])
    opt = second_order("lbfgs", {"lr": 1.0, "memory": 5, "line_search": 1})
    state = opt.init_state(x)
    f = Objective(f=lambda p: 0.5 * np.sum(a * p * p, axis=1))
    d = opt.update(x, a * x, state, 1, 1.0, f)
    assert np.allclose(d / np.linalg.norm(d), -(a * x) / np.linalg.norm(a * x))
    for t in range(2, 12):
        x = x + d
        d = opt.update(x, a * x, state, t, 1.0, f)
    assert np.linalg.norm(x + d) < 1e-6


def test_batched_runs_match_single_runs() -> None:
    # A per-run learning rate of shape (R, 1) equals R separate runs.
    opt = first_order("adam", {"lr": 1.0})
    x = np.repeat(THETA, 3, axis=0)
    lr = np.array([[0.1], [0.01], [1.0]])
    state = opt.init_state([x])
    (d,) = opt.update([x], [np.repeat(G1, 3, axis=0)], state, 1, lr)
    for i, one in enumerate([0.1, 0.01, 1.0]):
        (single,) = steps("adam", [G1], lr=one)
        np.testing.assert_allclose(d[i : i + 1], single)


def test_decay_mask_spares_biases() -> None:
    opt = first_order("sgd", {"lr": 0.1, "weight_decay": 1.0})
    w, b = np.ones((2, 2)), np.ones(2)
    zero = [np.zeros_like(w), np.zeros_like(b)]
    dw, db = opt.update([w, b], zero, opt.init_state([w, b]), 1, 0.1, decay_mask=[True, False])
    np.testing.assert_allclose(dw, -0.1 * w)
    np.testing.assert_allclose(db, 0.0)


@pytest.mark.parametrize("bad", [{"lr": -1.0}, {"lr": float("nan")}, {"momentum": 2.0}, {"nope": 1.0}])
def test_bad_hyperparameters_name_the_field(bad: dict[str, float]) -> None:
    with pytest.raises(InputError) as err:
        make_optimizer("momentum", bad)
    assert err.value.field == f"params.{next(iter(bad))}"


def test_unknown_optimizer() -> None:
    with pytest.raises(InputError, match="unknown optimizer"):
        make_optimizer("adamax2")


def test_every_optimizer_is_described() -> None:
    assert {
        "sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw",
        "nadam", "amsgrad", "adadelta", "newton", "lbfgs",
    } <= set(OPTIMIZERS)  # fmt: skip
    for cls in OPTIMIZERS.values():
        desc = cls().describe()
        hyperparams = desc["hyperparams"]
        assert isinstance(hyperparams, list)
        assert desc["equation"] and hyperparams[0]["name"] == "lr"


def test_the_catalogue_says_which_ids_train_an_mlp() -> None:
    first = {"sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "adamw", "nadam", "amsgrad", "adadelta"}
    assert set(mlp_optimizer_ids()) == first
    assert {key for key in OPTIMIZERS if usable_for_mlp(key)} == first
    assert not usable_for_mlp("newton") and not usable_for_mlp("lbfgs") and not usable_for_mlp("nope")
    assert all(issubclass(OPTIMIZERS[key], SecondOrderOptimizer) for key in ("newton", "lbfgs"))
    for key, cls in OPTIMIZERS.items():
        assert cls().describe()["mlp"] is (key in first)


def test_make_first_order_refuses_second_order_methods() -> None:
    assert isinstance(make_first_order("adam", {"lr": 0.1}), Optimizer)
    with pytest.raises(InputError, match="2-D surfaces only") as err:
        make_first_order("lbfgs", field="optimizer.optimizer")
    assert err.value.field == "optimizer.optimizer"


def test_second_order_state_is_one_dict_for_all_runs() -> None:
    # L-BFGS with m = 3 on R = 4 runs in n = 2: histories (4, 3, 2), shown buffers (4, 2) and (4, 1).
    state = second_order("lbfgs", {"memory": 3}).init_state(np.zeros((4, 2)))
    assert state["s"].shape == (4, 3, 2) and state["valid"].shape == (4, 3)
    assert state["direction"].shape == (4, 2) and state["step_size"].shape == (4, 1)
    assert second_order("newton", {}).init_state(np.zeros((4, 2)))["eig"].shape == (4, 2)


def test_input_errors_can_be_moved_under_a_prefix() -> None:
    err = InputError("params.lr", "lr must be a finite number").prefixed("runs.2.")
    assert (err.field, err.message) == ("runs.2.params.lr", "lr must be a finite number")
    assert err.as_detail()["loc"] == ["body", "runs", "2", "params", "lr"]


def test_the_mlp_flag_tells_the_two_contracts_apart() -> None:
    # `mlp` is Literal[True] on first-order rules and Literal[False] on second-order ones, so this
    # check is also what narrows the type for mypy (the list-of-arrays update below type-checks).
    opt = make_optimizer("momentum", {"lr": 0.1})
    if not opt.mlp:
        raise AssertionError("momentum should train an MLP")
    (d,) = opt.update([THETA], [G1], opt.init_state([THETA]), 1, 0.1)
    np.testing.assert_allclose(d, [[-0.05, 0.1]])  # v₁ = −ηg₁
    assert make_optimizer("newton").mlp is False
