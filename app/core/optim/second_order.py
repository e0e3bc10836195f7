"""Second-order methods for the 2-D lab: Newton and L-BFGS (docs/optimizers.md,
"Second-order rules").

They differ from the first-order :class:`~app.core.optim.base.Optimizer` in what they read:
besides the gradient, Newton asks the objective for its Hessian ∇²f and L-BFGS for its value f
(the line search). They therefore work on run-batched vectors θ of shape ``(R, n)`` — R runs
side by side in n dimensions — and get the objective in :meth:`SecondOrderOptimizer.update`.
A 2-D :class:`~app.core.lab2d.surfaces.Surface` is such an objective; an MLP has neither an
affordable Hessian nor a full-batch f, so these rules are not offered there (``mlp = False``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import ClassVar, Literal, Protocol, cast

import numpy as np

from app.core.optim.base import Array, LearningRate, UpdateRule, UpdateWork
from app.core.optim.hyperparams import HyperParam, learning_rate

LINE_SEARCH_EVALUATIONS = 20
"""Evaluations of f charged per L-BFGS update with the line search on (it may halve α up to 40
times; about 12 is typical once a run has converged and rounding decides the Armijo test)."""

EIGHT_EPS = 8 * float(np.finfo(float).eps)
"""8 ulps of 1: below 8ε|f| a predicted decrease is rounding (the line search stops there)."""

SCALAR_TWO_LOOP_RUNS = 8
"""Up to this many 2-D runs, L-BFGS's two-loop recursion runs on Python floats, run by run: for a
few 2-element vectors the ~40 NumPy calls of the batched loop cost far more than the arithmetic."""


_EIGH_LO: Callable[..., tuple[Array, Array]] | None = getattr(
    getattr(np.linalg, "_umath_linalg", None), "eigh_lo", None
)
"""The LAPACK gufunc behind ``np.linalg.eigh`` (lower triangle), when this NumPy exposes it."""


def _eigh(h: Array) -> tuple[Array, Array]:
    """``np.linalg.eigh(h)`` of real symmetric (R, n, n) matrices: eigenvalues (R, n), vectors (R, n, n).

    Calls the gufunc ``np.linalg.eigh`` calls, with the same numbers, without its per-call type
    checks (which cost more than the decomposition of a few 2 × 2 matrices). Where LAPACK does
    not converge the entries are NaN (the run then diverges) instead of a ``LinAlgError``.
    """
    if _EIGH_LO is None:
        lam, vecs = np.linalg.eigh(h)
        return lam, vecs
    return _EIGH_LO(h, signature="d->dd")


class Objective(Protocol):
    """What a second-order method may ask of f besides the gradient, at R points at once."""

    def value(self, theta: Array, /) -> Array:
        """f at points θ of shape (R, n) → (R,); non-finite where f is undefined."""
        ...

    def hessian(self, theta: Array, /) -> Array:
        """∇²f at points θ of shape (R, n) → (R, n, n), symmetric."""
        ...


class SecondOrderOptimizer(UpdateRule):
    """A rule Δθ = rule(θ, g, f, state) on run-batched vectors θ of shape ``(R, n)``.

    State is one dict of buffers for all R runs; the buffers named in ``state_keys`` have a
    leading axis R (shapes ``(R, n)`` or ``(R, 1)``) so the step inspector can show them per run.
    """

    mlp: ClassVar[Literal[False]] = False

    def init_state(self, theta: Array) -> dict[str, Array]:
        """Zero buffers of shape (R, n), one per state key, for points θ of shape (R, n)."""
        return {key: np.zeros_like(theta) for key in self.state_keys}

    def update(
        self, theta: Array, grad: Array, state: dict[str, Array], t: int, lr: LearningRate, objective: Objective
    ) -> Array:
        """Δθ for every run, updating ``state`` in place (the caller does θ += Δθ).

        Parameters
        ----------
        theta, grad : (R, n) points and the gradients ∇f(θ) there.
        state : buffers from :meth:`init_state`, mutated.
        t : update count, from 1.
        lr : learning rate η, a float or shape (R, 1) (one per run, e.g. a learning-rate sweep).
        objective : f at the same points, for its Hessian or its value.

        Returns
        -------
        (R, n) array, the update Δθ.
        """
        raise NotImplementedError


class Newton(SecondOrderOptimizer):
    """Damped Newton: θ ← θ − η(H + δI)⁻¹g, with |eigenvalues| where H is not positive definite.

    Writing H = V diag(λ) Vᵀ, the step uses V diag(|λ| + δ)⁻¹ Vᵀ g. Where H is positive definite
    this is exactly (H + δI)⁻¹g; at a saddle it still descends instead of jumping to the saddle
    ("saddle-free Newton"), which is the safe fallback docs/optimizers.md asks for. The state key
    ``eig`` holds the eigenvalues λ, shape (R, n).
    """

    id = "newton"
    name = "Newton"
    equation = (r"\theta \leftarrow \theta - \eta (H + \delta I)^{-1} g",)
    hyperparams = (
        learning_rate(1.0),
        HyperParam("damping", 1e-3, 1e-12, 1e6, "damping δ added to |eigenvalues|", "고유값에 더하는 감쇠 δ", log=True),
    )
    state_keys = ("eig",)
    needs_hessian = True

    @classmethod
    def update_work(cls, params: Mapping[str, float] | None = None) -> UpdateWork:
        """Evaluating and decomposing the n × n Hessian (batched ``eigh``, two ``einsum``): 16× per
        point, 6× overhead (measured on the 2-D engine, bench/engine2d.py)."""
        return UpdateWork(per_point=16.0, fixed=6.0, hessian_evaluations=1)

    def update(
        self, theta: Array, grad: Array, state: dict[str, Array], t: int, lr: LearningRate, objective: Objective
    ) -> Array:
        """Δθ = −η V diag(|λ| + δ)⁻¹ Vᵀ g for (R, n) points (see :meth:`SecondOrderOptimizer.update`)."""
        small = theta.shape[1] == 2 and theta.shape[0] <= SCALAR_TWO_LOOP_RUNS
        hess_of = _float_hessian(objective) if small else None
        hess = _hessian_floats(theta, hess_of) if hess_of is not None else None
        if hess is None:
            hess = objective.hessian(theta)  # (R, n, n)
        if not np.isfinite(hess).all():  # nan_to_num copies; only pay for it when needed
            hess = np.nan_to_num(hess)
        lam, vecs = _eigh(hess)  # (R, n), (R, n, n)
        state["eig"] = lam
        if small:
            return _newton_step_floats(vecs, lam, grad, lr, self.params["damping"])
        g_eig = np.einsum("rji,rj->ri", vecs, grad)  # g in the eigenbasis: Vᵀg
        step: Array = np.einsum("rij,rj->ri", vecs, g_eig / (np.abs(lam) + self.params["damping"]))
        return -lr * step


class LBFGS(SecondOrderOptimizer):
    """Limited-memory BFGS: two-loop recursion over the last m (s, y) pairs.

    With ``line_search = 1`` the step length starts at η and is halved until the Armijo condition
    f(θ + αd) ≤ f(θ) + 10⁻⁴ α gᵀd holds; otherwise α = η. Pairs with sᵀy ≤ 10⁻¹⁰‖s‖‖y‖ (no clear
    positive curvature) are skipped; a non-descent direction falls back to −g. The state keys are
    ``direction`` d, shape (R, n), and ``step_size`` α, shape (R, 1).
    """

    id = "lbfgs"
    name = "L-BFGS"
    equation = (
        r"d = - H_k g \quad (\text{two-loop recursion over } m \text{ pairs } s_i, y_i)",
        r"\theta \leftarrow \theta + \alpha d",
    )
    hyperparams = (
        learning_rate(1.0),
        HyperParam("memory", 10, 1, 100, "memory m (pairs kept)", "기억할 쌍의 수 m", integer=True),
        HyperParam(
            "line_search",
            1,
            0,
            1,
            "backtracking line search (1) or fixed step (0)",
            "백트래킹 선 탐색(1) / 고정 보폭(0)",
            integer=True,
        ),
    )
    state_keys = ("direction", "step_size")

    @classmethod
    def update_work(cls, params: Mapping[str, float] | None = None) -> UpdateWork:
        """The two-loop recursion and history shift cost ∝ memory m; the search adds f evaluations.

        Per point 6 + 6m (+6 with the line search), overhead 4 + m (+2): with the defaults
        (m = 10, line search on) 72× and 16× a first-order update (measured on the 2-D engine).
        """
        values = cls.defaults() | dict(params or {})
        memory = float(values["memory"])
        line_search = float(values["line_search"]) >= 1
        return UpdateWork(
            per_point=6.0 + 6.0 * memory + (6.0 if line_search else 0.0),
            fixed=4.0 + memory + (2.0 if line_search else 0.0),
            value_evaluations=LINE_SEARCH_EVALUATIONS if line_search else 0,
        )

    def init_state(self, theta: Array) -> dict[str, Array]:
        """History buffers s, y of shape ``(R, m, n)`` and ``valid`` (R, m), the previous point
        and gradient (R, n), and the shown ``direction`` (R, n) and ``step_size`` (R, 1)."""
        r, n = theta.shape
        m = int(self.params["memory"])
        return {
            "s": np.zeros((r, m, n)),
            "y": np.zeros((r, m, n)),
            "valid": np.zeros((r, m), dtype=bool),
            "prev_x": np.zeros_like(theta),
            "prev_g": np.zeros_like(theta),
            "direction": np.zeros_like(theta),
            "step_size": np.zeros((r, 1)),
        }

    def update(
        self, theta: Array, grad: Array, state: dict[str, Array], t: int, lr: LearningRate, objective: Objective
    ) -> Array:
        """Δθ = αd with d = −H_k g (see :meth:`SecondOrderOptimizer.update`)."""
        x, g, s = theta, grad, state
        small = x.shape[1] == 2 and x.shape[0] <= SCALAR_TWO_LOOP_RUNS
        if t > 1:
            sk, yk = x - s["prev_x"], g - s["prev_g"]
            # Shift the history one slot (newest at index 0); overlapping assignment is safe in NumPy.
            for key, new in (("s", sk), ("y", yk)):
                s[key][:, 1:] = s[key][:, :-1]
                s[key][:, 0] = new
            s["valid"][:, 1:] = s["valid"][:, :-1]
            # Keep a pair only with clearly positive curvature, relative to its size (scale-free).
            if small:
                s["valid"][:, 0] = [_curved(*a, *b) for a, b in zip(sk.tolist(), yk.tolist(), strict=True)]
            else:
                sy = np.sum(sk * yk, axis=1)
                s["valid"][:, 0] = sy > 1e-10 * np.linalg.norm(sk, axis=1) * np.linalg.norm(yk, axis=1)
        s["prev_x"], s["prev_g"] = x.copy(), g.copy()
        f_of = _float_value(objective) if small else None
        if f_of is not None:
            try:
                d, alpha = _step_floats(x, g, s, lr, self.params["line_search"] >= 1, f_of)
            except (ArithmeticError, ValueError):  # a float f raised (e.g. 0.0/0.0): use the arrays
                pass
            else:
                s["direction"], s["step_size"] = d, alpha
                return alpha * d

        d = -self._two_loop(g, s["s"], s["y"], s["valid"])
        descent = np.sum(d * g, axis=1, keepdims=True) < 0
        d = np.where(descent, d, -g)
        alpha = np.broadcast_to(np.asarray(lr, dtype=float), (x.shape[0], 1)).copy()
        if self.params["line_search"] >= 1:
            alpha = self._backtrack(x, g, d, alpha, objective)
        s["direction"], s["step_size"] = d, alpha
        return alpha * d

    @staticmethod
    def _two_loop(g: Array, s_hist: Array, y_hist: Array, valid: Array) -> Array:
        """H_k g by the two-loop recursion, newest pair first; invalid pairs contribute nothing.

        Parameters
        ----------
        g : (R, n) gradients.
        s_hist, y_hist : (R, m, n) pairs sᵢ = θᵢ₊₁ − θᵢ and yᵢ = gᵢ₊₁ − gᵢ, newest at index 0.
        valid : (R, m) which pairs to use.

        Returns
        -------
        (R, n) array, the inverse-Hessian estimate H_k applied to g.
        """
        if g.shape[1] == 2 and g.shape[0] <= SCALAR_TWO_LOOP_RUNS:
            return _two_loop_scalar(g, s_hist, y_hist, valid)
        q = g.copy()
        m = s_hist.shape[1]
        sy = np.sum(s_hist * y_hist, axis=2)  # (R, m)
        rho = np.where(valid, 1.0 / np.where(valid, sy, 1.0), 0.0)
        alphas = np.zeros_like(rho)
        for i in range(m):
            alphas[:, i] = rho[:, i] * np.sum(s_hist[:, i] * q, axis=1)
            q -= alphas[:, i : i + 1] * y_hist[:, i]
        # Initial scaling γ = sᵀy / yᵀy from the newest valid pair (1 when none).
        yy = np.sum(y_hist[:, 0] * y_hist[:, 0], axis=1)
        gamma = np.where(valid[:, 0] & (yy > 0), sy[:, 0] / np.where(yy > 0, yy, 1.0), 1.0)
        r = gamma[:, None] * q
        for i in reversed(range(m)):
            beta = rho[:, i] * np.sum(y_hist[:, i] * r, axis=1)
            r += (alphas[:, i] - beta)[:, None] * s_hist[:, i]
        return r

    @staticmethod
    def _backtrack(x: Array, g: Array, d: Array, alpha: Array, objective: Objective) -> Array:
        """Armijo backtracking, per run: halve α (at most 40 times) until sufficient decrease.

        ``x``, ``g``, ``d`` are (R, n); ``alpha`` (R, 1) holds the first trial step η and is
        returned with each run's accepted step.
        """
        f0 = objective.value(x)
        slope = np.sum(g * d, axis=1)
        d_norm = np.linalg.norm(d, axis=1)
        pending = np.ones(x.shape[0], dtype=bool)
        for _ in range(40):
            with np.errstate(all="ignore"):
                f_new = objective.value(x + alpha * d)
            ok = np.isfinite(f_new) & (f_new <= f0 + 1e-4 * alpha[:, 0] * slope)
            # Stop halving where rounding decides: a negligible step, or a predicted decrease
            # α|gᵀd| that f cannot resolve (below a few ulps of |f|).
            ok |= alpha[:, 0] * d_norm < 1e-12
            ok |= alpha[:, 0] * np.abs(slope) <= EIGHT_EPS * np.abs(f0)
            pending &= ~ok
            if not pending.any():
                break
            alpha[pending] *= 0.5
        return alpha


def _newton_step_floats(vecs: Array, lam: Array, grad: Array, lr: LearningRate, damping: float) -> Array:
    """:meth:`Newton.update`'s −η V diag(|λ| + δ)⁻¹ Vᵀ g for a few 2-D runs, on floats.

    The two ``einsum`` products written out per run in the order ``einsum`` sums them
    (Vᵀg)ᵢ = V₀ᵢg₀ + V₁ᵢg₁ and (Vq)ᵢ = Vᵢ₀q₀ + Vᵢ₁q₁, so the numbers are the batched ones.
    ``vecs`` (R, 2, 2), ``lam`` and ``grad`` (R, 2), ``lr`` a float or (R, 1); returns (R, 2).
    """
    r = grad.shape[0]
    etas = [[lr]] * r if isinstance(lr, float) else np.broadcast_to(lr, (r, 1)).tolist()
    out = np.empty_like(grad)
    rows = zip(vecs.tolist(), lam.tolist(), grad.tolist(), etas, strict=True)
    for run, (((v00, v01), (v10, v11)), (l0, l1), (g0, g1), (eta,)) in enumerate(rows):
        q0 = (v00 * g0 + v10 * g1) / (abs(l0) + damping)
        q1 = (v01 * g0 + v11 * g1) / (abs(l1) + damping)
        out[run] = -eta * (v00 * q0 + v01 * q1), -eta * (v10 * q0 + v11 * q1)
    return out


def _curved(s0: float, s1: float, y0: float, y1: float) -> bool:
    """sᵀy > 10⁻¹⁰‖s‖‖y‖ for one 2-D pair on floats, as the batched test computes it (‖a‖ is
    ``np.linalg.norm``'s √(a₀a₀ + a₁a₁))."""
    return s0 * y0 + s1 * y1 > 1e-10 * math.sqrt(s0 * s0 + s1 * s1) * math.sqrt(y0 * y0 + y1 * y1)


def _float_value(objective: Objective) -> Callable[[float, float], float] | None:
    """f of Python floats when the objective offers it (a float-safe 2-D surface), else ``None``."""
    functions = getattr(objective, "float_functions", None)
    pair = functions() if callable(functions) else None
    return None if pair is None else cast("Callable[[float, float], float]", pair[0])


def _float_hessian(objective: Objective) -> Callable[[float, float], tuple[float, float, float]] | None:
    """∇²f's entries (hxx, hxy, hyy) of Python floats when the objective offers them (a float-safe
    2-D surface), else ``None``."""
    functions = getattr(objective, "float_hessian", None)
    hess_of = functions() if callable(functions) else None
    return cast("Callable[[float, float], tuple[float, float, float]] | None", hess_of)


def _hessian_floats(theta: Array, hess_of: Callable[[float, float], tuple[float, float, float]]) -> Array | None:
    """∇²f (R, 2, 2) at a few 2-D points θ (R, 2), each entry evaluated on Python floats.

    ``hess_of`` is the surface's own ``_hess``, which on floats gives the numbers it gives on
    arrays (:attr:`~app.core.lab2d.surfaces.base.Surface.scalar_safe`); an entry that is a
    constant (a float, e.g. ∂²f/∂y² = 2b on Rosenbrock) is what the array path broadcasts. The
    matrix is filled as :meth:`~app.core.lab2d.surfaces.base.Surface.hessian` fills it (hxy twice).
    ``None`` when a float operation raised (the caller then evaluates on arrays).
    """
    try:
        with np.errstate(all="ignore"):  # as Surface.hessian: NumPy scalars warn like arrays would
            rows = [hess_of(x, y) for x, y in theta.tolist()]
    except (ArithmeticError, ValueError):
        return None
    return np.array([[[hxx, hxy], [hxy, hyy]] for hxx, hxy, hyy in rows], dtype=float)


def _step_floats(
    x: Array, g: Array, s: dict[str, Array], lr: LearningRate, line_search: bool, f_of: Callable[[float, float], float]
) -> tuple[Array, Array]:
    """The direction d (R, 2) and step α (R, 1) of :meth:`LBFGS.update` for a few 2-D runs, on floats.

    The same operations as the batched code, run by run and in the same order (dot products
    a₀b₀ + a₁b₁, ‖d‖ = √(d₀d₀ + d₁d₁), the Armijo and stopping tests of :meth:`LBFGS._backtrack`),
    so the numbers are identical; f comes from ``f_of`` on floats, as the objective gives it.
    """
    r = x.shape[0]
    h = _two_loop_scalar(g, s["s"], s["y"], s["valid"]).tolist()
    etas = [[lr]] * r if isinstance(lr, float) else np.broadcast_to(lr, (r, 1)).tolist()
    d_out, alpha_out = np.empty_like(x), np.empty((r, 1))
    for run, ((x0, x1), (g0, g1), (h0, h1), (alpha,)) in enumerate(zip(x.tolist(), g.tolist(), h, etas, strict=True)):
        d0, d1 = -h0, -h1
        if not d0 * g0 + d1 * g1 < 0:  # not a descent direction: −g
            d0, d1 = -g0, -g1
        if line_search:
            f0 = float(f_of(x0, x1))
            slope = g0 * d0 + g1 * d1
            d_norm = math.sqrt(d0 * d0 + d1 * d1)
            for _ in range(40):
                f_new = float(f_of(x0 + alpha * d0, x1 + alpha * d1))
                if (
                    (math.isfinite(f_new) and f_new <= f0 + 1e-4 * alpha * slope)
                    or alpha * d_norm < 1e-12
                    or alpha * abs(slope) <= EIGHT_EPS * abs(f0)
                ):
                    break
                alpha *= 0.5
        d_out[run] = d0, d1
        alpha_out[run, 0] = alpha
    return d_out, alpha_out


def _two_loop_scalar(g: Array, s_hist: Array, y_hist: Array, valid: Array) -> Array:
    """:meth:`LBFGS._two_loop` for 2-D vectors (n = 2), on Python floats run by run.

    Every product and sum is taken in the same order as the batched version (a dot product
    a·b = a₀b₀ + a₁b₁), so the result is the same bit for bit; IEEE doubles round alike in
    Python and NumPy. Shapes as in :meth:`LBFGS._two_loop`: g (R, 2), s_hist and y_hist (R, m, 2),
    valid (R, m); returns (R, 2).
    """
    out = np.empty_like(g)
    for run, ((g0, g1), s_run, y_run, valid_run) in enumerate(
        zip(g.tolist(), s_hist.tolist(), y_hist.tolist(), valid.tolist(), strict=True)
    ):
        pairs = [
            (s0, s1, y0, y1, s0 * y0 + s1 * y1, ok)
            for (s0, s1), (y0, y1), ok in zip(s_run, y_run, valid_run, strict=True)
        ]
        rho = [1.0 / sy if ok else 0.0 for (_, _, _, _, sy, ok) in pairs]
        q0, q1 = g0, g1
        alphas = []
        for (s0, s1, y0, y1, _, _), rho_i in zip(pairs, rho, strict=True):
            a = rho_i * (s0 * q0 + s1 * q1)
            alphas.append(a)
            q0, q1 = q0 - a * y0, q1 - a * y1
        # Initial scaling γ = sᵀy / yᵀy from the newest valid pair (1 when none).
        _, _, y0, y1, sy0, ok0 = pairs[0]
        yy = y0 * y0 + y1 * y1
        gamma = sy0 / yy if ok0 and yy > 0 else 1.0
        r0, r1 = gamma * q0, gamma * q1
        for (s0, s1, y0, y1, _, _), rho_i, a in reversed(list(zip(pairs, rho, alphas, strict=True))):
            beta = rho_i * (y0 * r0 + y1 * r1)
            r0, r1 = r0 + (a - beta) * s0, r1 + (a - beta) * s1
        out[run] = r0, r1
    return out
