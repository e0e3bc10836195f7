"""Optimizer runs on a 2-D surface, vectorised over many runs at once.

``simulate`` advances R points of shape ``(R, 2)`` with one optimizer configuration; R can be
1 (a single path for the race), many learning rates (the lr sweep) or many starts (the start map).
A run that produces a non-finite value or leaves the bound is frozen and reported as diverged.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from app.core.errors import InputError
from app.core.lab2d.scalar_runs import SCALAR_RUNS, float_chunk, float_value_and_gradient
from app.core.lab2d.surfaces import Surface
from app.core.optim.base import LearningRate, Optimizer
from app.core.optim.gradients import GradientNoise, clip_gradients, clip_rule
from app.core.optim.registry import AnyOptimizer, make_optimizer
from app.core.optim.schedules import make_schedule
from app.core.optim.second_order import SCALAR_TWO_LOOP_RUNS, SecondOrderOptimizer

Array = npt.NDArray[np.float64]
Mask = npt.NDArray[np.bool_]
Counts = npt.NDArray[np.int_]


@dataclass(frozen=True)
class RunSpec:
    """One optimizer configuration as the API receives it."""

    optimizer: str
    params: Mapping[str, float] = field(default_factory=dict)
    schedule: Mapping[str, object] | None = None
    clip: Mapping[str, object] | None = None
    noise: Mapping[str, object] | None = None
    label: str = ""

    def build(self, field_prefix: str = "") -> AnyOptimizer:
        """The optimizer, with errors naming ``<field_prefix>params.<name>``."""
        try:
            return make_optimizer(self.optimizer, self.params, field=f"{field_prefix}optimizer")
        except InputError as exc:
            if exc.field.startswith("params."):
                raise exc.prefixed(field_prefix) from None
            raise


@dataclass(frozen=True)
class Recording:
    """Every step of R runs over K updates (NaN where a run had already diverged).

    Attributes
    ----------
    path : (K+1, R, 2) positions; ``path[k]`` is the position after k updates.
    loss : (K+1, R) f at each position.
    grad : (K+1, R, 2) the gradient used at each position (after noise and clipping).
    update : (K, R, 2) Δθ applied at each update.
    lr : (K, R) learning rate of each update.
    state : key → (K, R, 2) optimizer state after each update (an (R, 1) buffer is broadcast).
    """

    path: Array
    loss: Array
    grad: Array
    update: Array
    lr: Array
    state: dict[str, Array]

    @classmethod
    def empty(cls, steps: int, runs: int, state_keys: tuple[str, ...]) -> Recording:
        """NaN-filled buffers for ``steps`` updates of ``runs`` runs."""
        k, r = steps, runs
        return cls(
            path=np.full((k + 1, r, 2), np.nan),
            loss=np.full((k + 1, r), np.nan),
            grad=np.full((k + 1, r, 2), np.nan),
            update=np.full((k, r, 2), np.nan),
            lr=np.full((k, r), np.nan),
            state={key: np.full((k, r, 2), np.nan) for key in state_keys},
        )


@dataclass(frozen=True)
class Simulation:
    """The result of R runs over up to K = ``steps`` updates.

    Attributes
    ----------
    alive_until : (R,) number of valid positions of each run (K+1 when it never diverged).
    diverged : (R,) bool.
    final : (R, 2) last valid position.
    final_loss : (R,) f there.
    recording : every step, when the run was recorded (``record=True``), else ``None``; its
        arrays are also reachable as ``path``, ``loss``, ``grad``, ``update``, ``lr``, ``state``.
    """

    alive_until: Counts
    diverged: Mask
    final: Array
    final_loss: Array
    recording: Recording | None = None

    def _recorded(self) -> Recording:
        if self.recording is None:
            raise ValueError("this simulation ran with record=False: only the final points were kept")
        return self.recording

    @property
    def path(self) -> Array:
        """(K+1, R, 2) positions (see :class:`Recording`)."""
        return self._recorded().path

    @property
    def loss(self) -> Array:
        """(K+1, R) f at each position."""
        return self._recorded().loss

    @property
    def grad(self) -> Array:
        """(K+1, R, 2) gradients used."""
        return self._recorded().grad

    @property
    def update(self) -> Array:
        """(K, R, 2) updates Δθ."""
        return self._recorded().update

    @property
    def lr(self) -> Array:
        """(K, R) learning rates."""
        return self._recorded().lr

    @property
    def state(self) -> dict[str, Array]:
        """key → (K, R, 2) optimizer state after each update; empty when not recorded."""
        return self.recording.state if self.recording is not None else {}


def _field(prefix: str, name: str) -> str:
    return f"{prefix}{name}" if prefix else name


class Simulator:
    """R runs of one optimizer configuration that can be advanced in chunks (for streaming).

    Parameters
    ----------
    surface : the function to minimise.
    start : (2,) or (R, 2) starting points.
    steps : total number of updates (arrays are preallocated for them when recording).
    spec : optimizer, hyperparameters, schedule, clipping, noise.
    lr_scale : optional (R,) learning rates replacing ``params.lr`` per run (lr sweep); the
        schedule is then applied as a factor relative to η₀ = 1.
    record : keep every step (paths, gradients, state) or only the final points.
    bound : |x|, |y| or |f| beyond this counts as divergence.
    field_prefix : prefix for the field names in ``InputError`` (e.g. ``"runs.2."``).
    record_state : with ``record``, also keep the optimizer state after every update (the step
        inspector's numbers); a run that does not show them skips the copies.
    reference : advance step by step with the divergence checks of every step (the
        straightforward loop the fast engine is tested against; same numbers, slower).

    Notes
    -----
    The fast engine (docs/optimizers.md, "How the 2-D engine runs") advances every run in chunks
    of steps without masking: what does not depend on the state — the learning rate of every
    step and the gradient noise — is computed for the whole chunk at once, positions, values and
    gradients are written straight into preallocated arrays, and divergence is checked once per
    chunk on those arrays. Runs are independent row by row, so letting a run that went bad keep
    computing changes no other run; the first bad step of each run is located in the chunk
    afterwards. Without a recording that is all (its last valid point is in the chunk's arrays);
    a single recorded run stops at that step (its later entries are set back to NaN); several
    recorded runs re-run the chunk step by step from its start, so a frozen run's recorded tail
    is exactly what the step-by-step loop records. Up to ``SCALAR_RUNS`` recorded runs of a
    first-order rule on a ``scalar_safe`` surface compute the chunk on Python floats with the same
    rule and surface functions (``app/core/lab2d/scalar_runs.py``): the same numbers, without the
    cost of NumPy calls on 2-element arrays; a few recorded runs of Newton or L-BFGS keep their
    rule on (R, 2) arrays but evaluate f, ∇f (and, in the rule, ∇²f or the line search's f) on
    floats with the same surface functions.
    Unrecorded first-order runs take another road, checked at every update on contiguous (2, m)
    rows (:meth:`_columns_unrecorded`).
    """

    CHUNK = 256
    """Most steps between two divergence checks."""
    CHUNK_VALUES = 1 << 20
    """Most numbers per chunk buffer of an unrecorded run (R starts × steps × 2)."""

    def __init__(
        self,
        surface: Surface,
        start: npt.ArrayLike,
        steps: int,
        spec: RunSpec,
        lr_scale: npt.ArrayLike | None = None,
        record: bool = True,
        bound: float = 1e8,
        field_prefix: str = "",
        record_state: bool = True,
        reference: bool = False,
    ) -> None:
        theta: Array = np.array(start, dtype=float).reshape(-1, 2)
        lrs = None if lr_scale is None else np.asarray(lr_scale, dtype=float).reshape(-1)
        if lrs is not None:
            theta = np.broadcast_to(theta, (len(lrs), 2)).copy()
        r = theta.shape[0]
        self.surface, self.spec, self.steps, self.bound = surface, spec, steps, bound
        self.reference = reference
        self.opt = spec.build(field_prefix)
        base_lr = 1.0 if lrs is not None else self.opt.params["lr"]
        self.schedule = make_schedule(spec.schedule, base_lr, field=_field(field_prefix, "schedule"))
        self.constant_lr = spec.schedule is None
        self.noise = GradientNoise(spec.noise, field=_field(field_prefix, "noise"))
        self.clip_field = _field(field_prefix, "clip")
        self.clip = clip_rule(spec.clip, field=self.clip_field)  # validated now
        self.scale = np.ones((r, 1)) if lrs is None else lrs.reshape(r, 1)
        self.per_run_lr = lrs is not None
        self.state = _init_state(self.opt, theta)
        self.k = 0  # updates done
        self._grad_ready = False  # recorded: rec.grad[k] holds ∇f at the current position
        self._next_grad: Array | None = None  # unrecorded: ∇f at the current position

        self.theta = theta
        f = self.surface.value(theta)
        self.alive = _ok(theta, f, bound)
        self.alive_until = np.where(self.alive, steps + 1, 0)
        self.last_theta, self.last_f = theta.copy(), f.copy()
        keys = self.opt.state_keys if record_state else ()
        self.recording = Recording.empty(steps, r, keys) if record else None
        # A few recorded runs of a first-order rule on a float-safe surface run on Python floats.
        self._floats = (
            record and r <= SCALAR_RUNS and isinstance(self.opt, Optimizer) and surface.float_functions() is not None
        )
        if self.recording is not None:
            self.recording.path[0], self.recording.loss[0] = theta, f

    @property
    def finished(self) -> bool:
        """True once every step is done or every run has diverged."""
        return self.k >= self.steps or not self.alive.any()

    def advance(self, n: int | None = None) -> None:
        """Apply up to ``n`` more updates (all remaining when ``None``)."""
        stop = self.steps if n is None else min(self.steps, self.k + n)
        with np.errstate(all="ignore"):
            while self.k < stop and self.alive.any():
                k1 = min(stop, self.k + self._chunk_steps())
                lr = self._lr_values(self.k, k1)
                noise = self._noise_values(k1 - self.k)
                several_recorded = self.recording is not None and self.theta.shape[0] > 1
                if self.reference or (several_recorded and not self.alive.all()):
                    # Frozen runs must be recorded frozen: the step-by-step loop does exactly that.
                    self._reference_steps(k1, lr, noise)
                elif self.recording is None:
                    self._fast_unrecorded(k1, lr, noise)
                else:
                    self._fast_recorded(k1, lr, noise)
            rec = self.recording
            if rec is not None and self.k == self.steps:
                # Gradient at the final position: the one the next update would start from.
                rec.grad[self.steps] = self.surface.gradient(self.theta)

    # -- the engine ------------------------------------------------------------------------------

    def _chunk_steps(self) -> int:
        """Updates per chunk: ``CHUNK``, fewer for many unrecorded runs (bounded buffers).

        An unrecorded first-order run keeps no per-step buffer but the noise (n, R, 2).
        """
        if self.recording is not None or (self.noise.std == 0.0 and not isinstance(self.opt, SecondOrderOptimizer)):
            return self.CHUNK
        runs = int(self.theta.shape[0])
        return max(1, min(self.CHUNK, self.CHUNK_VALUES // (2 * runs)))

    def _lr_values(self, k0: int, k1: int) -> list[float]:
        """η_k of updates k0 … k1−1 (before the per-run factor of a sweep)."""
        if self.constant_lr:
            return [self.schedule(0)] * (k1 - k0)
        return [self.schedule(k) for k in range(k0, k1)]

    def _noise_values(self, n: int) -> Array | None:
        """Noise ξ (n, R, 2) of the next n updates, drawn at once (the same stream as one draw per step)."""
        if self.noise.std == 0.0:
            return None
        return self.noise.rng.normal(0.0, self.noise.std, size=(n, *self.theta.shape))

    def _step_lr(self, lr: float) -> LearningRate:
        """The learning rate passed to the rule: η_k, times the per-run factor of a sweep."""
        return lr * self.scale if self.per_run_lr else lr

    def _rule(self) -> Callable[[Array, Array, int, LearningRate], Array]:
        """Δθ = rule(θ, g, t, η) on the (R, 2) array, bound once per chunk."""
        opt, state = self.opt, self.state
        if isinstance(opt, SecondOrderOptimizer):
            surface = self.surface
            return lambda theta, g, t, lr: opt.update(theta, g, state, t, lr, surface)
        return lambda theta, g, t, lr: opt.array_update(theta, g, state, t, lr)

    def _processed(self, g: Array, noise: Array | None, j: int) -> Array:
        """g after noise ξ = ``noise[j]`` and clipping (a new array)."""
        if noise is not None:
            g = g + noise[j]
        if self.spec.clip is not None:
            (g,) = clip_gradients([g], self.spec.clip, per_run=True, field=self.clip_field)
        return g

    def _fast_recorded(self, k1: int, lr: list[float], noise: Array | None) -> None:
        """Updates k … k1−1 written straight into the recording, checked once at the end.

        ``rec.grad[k]`` first receives ∇f at position k (evaluated with f when the position is
        made) and, with noise or clipping, is then overwritten by the g the update used.
        """
        rec = self.recording
        assert rec is not None
        k0, r = self.k, self.theta.shape[0]
        snapshot = (self.theta, {key: v.copy() for key, v in self.state.items()}) if r > 1 else None
        value_and_gradient: Callable[[Array, Array], Array] = self.surface.value_and_gradient_into
        theta, state = self.theta, self.state
        if isinstance(self.opt, SecondOrderOptimizer) and r <= SCALAR_TWO_LOOP_RUNS:
            # A few runs of Newton or L-BFGS: f and ∇f at each new position on floats (same numbers).
            value_and_gradient = float_value_and_gradient(self.surface) or value_and_gradient
        rule, step_lr, processed = self._rule(), self._step_lr, self._processed
        extras = noise is not None or self.spec.clip is not None
        rec.lr[k0:k1] = np.asarray(lr)[:, None] * self.scale[:, 0]
        state_keys = list(rec.state)
        deltas: list[Array] = []
        losses: list[Array] = []
        states: list[list[Array]] = [[] for _ in state_keys]
        grad, path = rec.grad, rec.path
        floats = self._float_chunk(k0, lr, noise) if self._floats else None
        if floats is not None:
            theta, self.state = floats
        else:
            if not self._grad_ready:
                self.surface.gradient_into(theta, grad[k0])
            for j, k in enumerate(range(k0, k1)):
                g = grad[k]
                if extras:
                    g = grad[k] = processed(g, noise, j)
                delta = rule(theta, g, k + 1, step_lr(lr[j]))
                deltas.append(delta)
                theta = np.add(theta, delta, out=path[k + 1])
                losses.append(value_and_gradient(theta, grad[k + 1]))
                for i, key in enumerate(state_keys):
                    states[i].append(state[key])
            _store(rec.update[k0:k1], deltas)
            _store(rec.loss[k0 + 1 : k1 + 1], losses)
            for i, key in enumerate(state_keys):
                _store(rec.state[key][k0:k1], states[i])
        self._grad_ready = True
        bad = self._first_bad(path[k0 + 1 : k1 + 1], rec.loss[k0 + 1 : k1 + 1], grad[k0:k1])
        if bad is None:
            self.theta, self.k = theta, k1
            self.last_theta[:], self.last_f[:] = theta, rec.loss[k1]  # every run was alive (see advance)
            return
        self._grad_ready = False
        if snapshot is not None:  # several runs: re-run the chunk step by step (frozen tails)
            self.theta, self.state = snapshot
            for a in (rec.path[k0 + 1 : k1 + 1], rec.loss[k0 + 1 : k1 + 1], rec.grad[k0 : k1 + 1], rec.update[k0:k1]):
                a[...] = np.nan
            rec.lr[k0:k1] = np.nan
            for key in state_keys:
                rec.state[key][k0:k1] = np.nan
            self._reference_steps(k1, lr, noise)
            return
        # One run: it stops at its first bad update k; what the chunk computed after it is dropped.
        k = k0 + int(bad[1][0])
        for a, first in ((rec.path, k + 2), (rec.loss, k + 2), (rec.grad, k + 1), (rec.update, k + 1), (rec.lr, k + 1)):
            a[first : k1 + 1] = np.nan
        for key in state_keys:
            rec.state[key][k + 1 : k1] = np.nan
        self.alive[0] = False
        self.alive_until[0] = k + 1
        self.last_theta[0], self.last_f[0] = rec.path[k, 0], rec.loss[k, 0]
        self.theta, self.k = rec.path[k + 1].copy(), k + 1

    def _float_chunk(self, k0: int, lr: list[float], noise: Array | None) -> tuple[Array, dict[str, Array]] | None:
        """The chunk's updates on Python floats (``app/core/lab2d/scalar_runs.py``), written into the
        recording; the new positions and state, or ``None`` when the chunk must run on arrays."""
        rec = self.recording
        assert rec is not None and isinstance(self.opt, Optimizer)
        return float_chunk(
            self.opt,
            self.surface,
            self.theta,
            self.state,
            rec.grad[k0] if self._grad_ready else None,
            k0,
            lr,
            self.scale[:, 0].tolist() if self.per_run_lr else None,
            noise,
            self.clip,
            (rec.path, rec.loss, rec.grad, rec.update, rec.state),
        )

    def _fast_unrecorded(self, k1: int, lr: list[float], noise: Array | None) -> None:
        """Updates k … k1−1 of runs that keep only their final points.

        First-order rules run on the alive runs in the (2, m) layout (:meth:`_columns_unrecorded`);
        Newton and L-BFGS, which need (R, n) vectors, on the (R, 2) array (:meth:`_rows_unrecorded`).
        """
        if isinstance(self.opt, SecondOrderOptimizer):
            self._rows_unrecorded(k1, lr, noise)
        else:
            self._columns_unrecorded(k1, lr, noise)

    @cached_property
    def _safe_box(self) -> float:
        """r_safe of :func:`_safe_radius` for this run's surface and bound, at most the bound itself.

        A function of the surface and the bound only, so found once per simulator (a bisection of
        64 ``value_bound`` calls) rather than at every chunk a stream advances.
        """
        bound = self.bound if math.isfinite(self.bound) else sys.float_info.max
        return min(_safe_radius(self.surface, bound), bound)

    def _columns_unrecorded(self, k1: int, lr: list[float], noise: Array | None) -> None:
        """Updates k … k1−1 of the alive runs of a first-order rule, x and y as contiguous rows.

        The alive runs are gathered into θ of shape (2, m) — row 0 holds their x, row 1 their y —
        so every ufunc of the surface, the rule and the update runs on contiguous memory (a
        first-order rule is elementwise: any shape works; a sweep's (R, 1) learning rates become
        (1, m)). The surface sees ``θ.T``, an (m, 2) view whose columns are those rows, so its
        ``θ[:, 0]`` and ``θ[:, 1]`` are contiguous too. Nothing of the path is kept: each update
        writes the new position into a second buffer (the old one stays for a run that fails).

        The checks of the step-by-step loop are made at every update, cheaply: max and min of the
        new positions and of their f over all alive runs (NaN propagates through both, so the
        comparisons with the bound also test finiteness; no BLAS call such as a sum of squares by
        ``np.dot``, whose threads, when not bounded, cost more than the sum). Only when one fails
        are the runs checked one by one; a run that failed update k stops with ``alive_until`` =
        k + 1 at its previous point and value, and the others are gathered again without it, so it
        costs nothing afterwards. The gradient needs no check of its own: every first-order rule makes
        Δθ non-finite in each coordinate where g is (products and quotients with ±inf or NaN,
        e.g. 0·inf, inf/inf), so the new position is non-finite too; the one-by-one check still
        tests g and Δθ as the loop does. The numbers are the loop's: the same ufuncs on the same
        values, in another memory layout.

        f itself is needed only for that check, for a failing run's last value and at the end. A
        surface that knows a bound of |f| over a box (:meth:`Surface.value_bound`) gives the radius
        r_safe of :func:`_safe_radius`: while every new position is within ±r_safe (the max/min
        above), |f| ≤ bound holds there, so the update computes only ∇f; f is computed (at the
        same points, in the same layout, so with the same numbers) when a run fails or once at the
        end of the chunk.
        """
        surface, opt, alive = self.surface, self.opt, self.alive
        assert not isinstance(opt, SecondOrderOptimizer)
        bound = self.bound if math.isfinite(self.bound) else sys.float_info.max
        cols = np.flatnonzero(alive)  # the runs in the (2, m) arrays, in order
        theta = np.ascontiguousarray(self.theta[cols].T)
        spare, grad, grad_next = np.empty_like(theta), np.empty_like(theta), np.empty_like(theta)
        surface.gradient_into(theta.T, grad.T)
        state = {key: np.ascontiguousarray(v[cols].T) for key, v in self.state.items()}  # (R, 2) buffers
        scale = self.scale[cols].T if self.per_run_lr else None  # (1, m)
        # f at the current positions (alive runs: their last valid values); None when skipped.
        f_prev: Array | None = self.last_f[cols]
        r_safe = self._safe_box  # |θ| ≤ r_safe ⇒ |f| ≤ bound (−inf: never)
        clip = self.spec.clip
        k = self.k
        while k < k1:
            g = grad
            if noise is not None:
                g = g + noise[k - self.k][cols].T
            if clip is not None:
                (clipped,) = clip_gradients([g.T], clip, per_run=True, field=self.clip_field)
                g = clipped.T
            lr_k: LearningRate = lr[k - self.k] if scale is None else lr[k - self.k] * scale
            delta = opt.array_update(theta, g, state, k + 1, lr_k)
            new = np.add(theta, delta, out=spare)
            lo, hi = new.min(), new.max()  # NaN propagates: a non-finite position fails both tests
            f: Array | None
            if -r_safe <= lo and hi <= r_safe:  # inside the box where |f| ≤ bound: only ∇f
                f = None
                surface.gradient_into(new.T, grad_next.T)  # the next update's gradient
            else:
                f = surface.value_and_gradient_into(new.T, grad_next.T)  # ∇f there is the next update's
            if f is not None and not (-bound <= lo and hi <= bound and -bound <= f.min() and f.max() <= bound):
                ok = _ok(new.T, f, bound) & np.isfinite(g).all(axis=0) & np.isfinite(delta).all(axis=0)
                if not ok.all():
                    bad = cols[~ok]
                    self.alive_until[bad] = k + 1
                    alive[bad] = False
                    self.last_theta[bad] = theta.T[~ok]
                    if f_prev is None:  # skipped at the previous update: f at the same points now
                        f_prev = surface.value_at(theta.T)
                    self.last_f[bad] = f_prev[~ok]
                    if ok.any():
                        cols, new, f = cols[ok], new[:, ok], f[ok]
                        state = {key: np.broadcast_to(v, theta.shape)[:, ok] for key, v in state.items()}
                        scale = None if scale is None else scale[:, ok]
                        grad_next = grad_next[:, ok]
                        grad, theta = np.empty_like(new), np.empty_like(new)  # the next spare buffers
                    else:
                        self.k = k + 1  # the step-by-step loop stops once no run is left
                        return
            theta, spare, f_prev = new, theta, f
            grad, grad_next = grad_next, grad
            k += 1
        self.k = k
        self.theta[cols] = theta.T
        for key, v in state.items():
            self.state[key][cols] = np.broadcast_to(v, theta.shape).T
        if f_prev is None:  # skipped at the last update: f at the final points, once
            f_prev = surface.value_at(theta.T)
        self.last_theta[cols], self.last_f[cols] = theta.T, f_prev
        self._next_grad = None

    def _rows_unrecorded(self, k1: int, lr: list[float], noise: Array | None) -> None:
        """Updates k … k1−1 of runs that keep only their final points, checked once at the end."""
        k0, (r, _) = self.k, self.theta.shape
        n = k1 - k0
        path, loss, grads = np.empty((n, r, 2)), np.empty((n, r)), np.empty((n + 1, r, 2))
        value_and_gradient, theta = self.surface.value_and_gradient_into, self.theta
        rule, step_lr, processed = self._rule(), self._step_lr, self._processed
        extras = noise is not None or self.spec.clip is not None
        if self._next_grad is None:
            self.surface.gradient_into(theta, grads[0])
        else:
            grads[0] = self._next_grad
        for j, k in enumerate(range(k0, k1)):
            g = grads[j]
            if extras:
                g = grads[j] = processed(g, noise, j)
            delta = rule(theta, g, k + 1, step_lr(lr[j]))
            theta = np.add(theta, delta, out=path[j])
            loss[j] = value_and_gradient(theta, grads[j + 1])
        self._next_grad = grads[n]
        bad = self._first_bad(path, loss, grads[:n])
        alive = self.alive
        if bad is None:
            self.last_theta[alive], self.last_f[alive] = path[-1][alive], loss[-1][alive]
            self.theta, self.k = path[-1].copy(), k1
            return
        rows, first = bad
        ok_rows = alive.copy()
        ok_rows[rows] = False
        self.last_theta[ok_rows], self.last_f[ok_rows] = path[-1][ok_rows], loss[-1][ok_rows]
        moved = first > 0  # runs whose last valid point is inside the chunk
        self.last_theta[rows[moved]] = path[first[moved] - 1, rows[moved]]
        self.last_f[rows[moved]] = loss[first[moved] - 1, rows[moved]]
        self.alive_until[rows] = k0 + first + 1
        alive[rows] = False
        self.theta = path[-1].copy()
        # The step-by-step loop stops once no run is left; its count of updates then ends there.
        self.k = k1 if alive.any() else k0 + int(first.max()) + 1

    def _first_bad(self, path: Array, loss: Array, grads: Array) -> tuple[Counts, Counts] | None:
        """Runs alive at the chunk's start that went bad in it, and the index of their first bad update.

        ``path`` (n, R, 2) and ``loss`` (n, R) are the positions and values after each update of
        the chunk, ``grads`` (n, R, 2) the gradients each update used. An update is bad where the
        new position or its value is non-finite or beyond the bound, or the gradient is non-finite
        (a non-finite Δθ added to a finite θ gives a non-finite position, so it is caught too).
        Comparisons with NaN are false, so ``|v| ≤ bound`` also tests finiteness.
        """
        bound = self.bound if math.isfinite(self.bound) else sys.float_info.max
        big = sys.float_info.max
        # Common case first: every run alive and every number within its bound, by four reductions
        # over the contiguous arrays (max/min propagate NaN, and NaN compares false).
        if (
            self.alive.all()
            and -bound <= path.min()
            and path.max() <= bound
            and -bound <= loss.min()
            and loss.max() <= bound
            and -big <= grads.min()
            and grads.max() <= big
        ):
            return None
        ok = np.abs(path[..., 0]) <= bound
        ok &= np.abs(path[..., 1]) <= bound
        ok &= np.abs(loss) <= bound
        ok &= np.abs(grads[..., 0]) <= sys.float_info.max
        ok &= np.abs(grads[..., 1]) <= sys.float_info.max
        bad = ~ok
        bad &= self.alive[None, :]
        rows = np.flatnonzero(bad.any(axis=0))
        if rows.size == 0:
            return None
        return rows, bad[:, rows].argmax(axis=0)

    def _reference_steps(self, stop: int, lr: list[float], noise: Array | None) -> None:
        """Updates k … stop−1 one by one, each checked and masked (the straightforward loop).

        ``lr`` and ``noise`` hold the learning rates and noise of updates k … stop−1.
        """
        surface, alive, rec = self.surface, self.alive, self.recording
        theta, rule = self.theta, self._rule()
        k0 = self.k
        self._grad_ready, self._next_grad = False, None
        while self.k < stop and alive.any():
            k = self.k
            g = surface.gradient(theta)
            if noise is not None:
                g = g + noise[k - k0]
            (g,) = clip_gradients([g], self.spec.clip, per_run=True, field=self.clip_field)
            lr_k = lr[k - k0] * self.scale
            delta = rule(theta, g, k + 1, lr_k)
            delta = np.where(alive[:, None], delta, 0.0)  # diverged runs stay frozen
            theta = theta + delta
            f = surface.value(theta)
            ok = _ok(theta, f, self.bound) & np.isfinite(g).all(axis=1) & np.isfinite(delta).all(axis=1)
            newly_bad = alive & ~ok
            if newly_bad.any():
                self.alive_until[newly_bad] = k + 1
                alive &= ~newly_bad
            self.last_theta[alive] = theta[alive]
            self.last_f[alive] = f[alive]
            if rec is not None:
                rec.grad[k], rec.update[k], rec.lr[k] = g, delta, lr_k[:, 0]
                rec.path[k + 1], rec.loss[k + 1] = theta, f
                for key, buf in rec.state.items():
                    buf[k] = self.state[key]  # assignment broadcasts (R, 1) → (R, 2)
            self.k += 1
        self.theta = theta

    def result(self) -> Simulation:
        """Everything recorded so far (the arrays are shared, not copied)."""
        return Simulation(
            alive_until=self.alive_until,
            diverged=self.alive_until <= self.steps,
            final=self.last_theta,
            final_loss=self.last_f,
            recording=self.recording,
        )


def simulate(
    surface: Surface,
    start: npt.ArrayLike,
    steps: int,
    spec: RunSpec,
    lr_scale: npt.ArrayLike | None = None,
    record: bool = True,
    bound: float = 1e8,
    field_prefix: str = "",
) -> Simulation:
    """Run one optimizer configuration from R starts to the end (see ``Simulator``)."""
    sim = Simulator(surface, start, steps, spec, lr_scale, record, bound, field_prefix)
    sim.advance()
    return sim.result()


def _store(out: Array, rows: Sequence[Array]) -> None:
    """Write per-update arrays ``rows`` (each of shape ``out.shape[1:]``, or broadcastable) into ``out``."""
    if rows and rows[0].shape == out.shape[1:]:
        np.concatenate(rows, axis=0, out=out.reshape(-1, *out.shape[2:]))  # one copy, no temporaries
    else:
        out[...] = np.stack(rows)  # (R, 1) buffers broadcast to (R, 2)


def _init_state(opt: AnyOptimizer, theta: Array) -> dict[str, Array]:
    """The optimizer's buffers for R runs at points θ of shape (R, 2)."""
    if isinstance(opt, SecondOrderOptimizer):
        return opt.init_state(theta)
    (state,) = opt.init_state([theta])
    return state


def _safe_radius(surface: Surface, bound: float) -> float:
    """The largest r found with ``surface.value_bound(r)`` ≤ bound/2, or −inf when there is none.

    −inf, not 0: no position satisfies −r ≤ x ≤ r then, not even the origin.

    Inside the box |x|, |y| ≤ r the exact |f| is at most bound/2, so the computed f, whose rounding
    error is a few ulps of the sum of the magnitudes of its terms (which the bound, taken term by
    term, already exceeds), is within the bound with a wide margin. Bisection on log r (the bounds
    are nondecreasing in r) between 2⁻⁶⁰ and ``bound``: 64 halvings of the exponent range.
    """
    limit = 0.5 * bound
    first = surface.value_bound(bound)
    if first is None:
        return -math.inf
    if first <= limit:
        return bound
    lo, hi = 2.0**-60, bound
    at_lo = surface.value_bound(lo)
    if at_lo is None or not at_lo <= limit:
        return -math.inf
    for _ in range(64):
        mid = math.sqrt(lo) * math.sqrt(hi)  # geometric midpoint (no overflow of lo·hi)
        at_mid = surface.value_bound(mid)
        if at_mid is not None and at_mid <= limit:
            lo = mid
        else:
            hi = mid
    return lo


def _ok(theta: Array, f: Array, bound: float) -> Mask:
    """(R,) True where the position θ (R, 2) and the value f (R,) are finite and within the bound."""
    finite: Mask = np.isfinite(theta).all(axis=1) & np.isfinite(f)
    return finite & (np.abs(theta) <= bound).all(axis=1) & (np.abs(f) <= bound)


Json = float | None | list["Json"]
"""A number, ``None`` for a non-finite one, or nested lists of them."""


def clean(a: Array | float) -> Json:
    """Nested lists with non-finite numbers as ``None`` (JSON has no NaN); a 0-d array gives a number.

    Parameters
    ----------
    a : array of any shape (…).

    Returns
    -------
    ``a.tolist()`` with NaN and ±inf replaced by ``None``.
    """
    values = np.asarray(a, dtype=float)
    out = values.astype(object)
    out[~np.isfinite(values)] = None
    result: Json = out.tolist()
    return result


def gd_stability_threshold(surface: Surface) -> float | None:
    """2/λ_max of the Hessian at the first (global) minimum: plain GD is stable below it.

    For the course's J the Hessian has eigenvalues 3 ± √2, so the threshold is 2/(3+√2) ≈ 0.453.
    """
    if not surface.minima:
        return None
    h = surface.hessian(np.asarray(surface.minima[:1], dtype=float))[0]
    lam = np.linalg.eigvalsh(h)
    return float(2.0 / lam.max()) if np.isfinite(lam).all() and lam.max() > 0 else None


def lr_sweep(
    surface: Surface,
    start: npt.ArrayLike,
    steps: int,
    spec: RunSpec,
    lrs: npt.ArrayLike,
    bound: float = 1e8,
    field_prefix: str = "",
) -> Simulation:
    """Final losses of one optimizer for each learning rate in ``lrs`` (shape (N,)), all at once."""
    return simulate(surface, start, steps, spec, lr_scale=lrs, record=False, bound=bound, field_prefix=field_prefix)


def start_map(surface: Surface, xs: Array, ys: Array, steps: int, spec: RunSpec, bound: float = 1e8) -> Simulation:
    """Final points of one optimizer from every start on the grid ``xs × ys`` (row-major: y then x)."""
    gx, gy = np.meshgrid(xs, ys)
    starts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    return simulate(surface, starts, steps, spec, record=False, bound=bound, field_prefix="run.")


StreamChunk = TypedDict("StreamChunk", {"from": int, "path": list[Json], "loss": list[Json]})
"""New positions of a streamed run: ``path[j]`` is position ``from + j`` as ``[x, y]``, ``loss[j]`` f there."""


def stream_chunk(sim: Simulator, sent: int) -> StreamChunk:
    """Positions and losses of run 0 from index ``sent`` up to what ``sim`` has computed so far.

    Returns ``{"from": sent, "path": [[x, y], …], "loss": […]}`` limited to valid positions.
    """
    rec = sim.recording
    assert rec is not None, "only a recorded run can be streamed"
    end = min(sim.k + 1, int(sim.alive_until[0]))
    return {"from": sent, "path": _rows(rec.path[sent:end, 0]), "loss": _rows(rec.loss[sent:end, 0])}


def _rows(a: Array) -> list[Json]:
    """:func:`clean` of an array with at least one axis (so the result is a list)."""
    rows = clean(a)
    assert isinstance(rows, list)
    return rows
