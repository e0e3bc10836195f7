"""Optimizer runs on a 2-D surface, vectorised over many runs at once.

``simulate`` advances R points of shape ``(R, 2)`` with one optimizer configuration; R can be
1 (a single path for the race), many learning rates (the lr sweep) or many starts (the start map).
A run that produces a non-finite value or leaves the bound is frozen and reported as diverged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict

import numpy as np
import numpy.typing as npt

from app.core.errors import InputError
from app.core.lab2d.surfaces import Surface
from app.core.optim.gradients import GradientNoise, clip_gradients
from app.core.optim.registry import AnyOptimizer, make_optimizer
from app.core.optim.schedules import make_schedule
from app.core.optim.second_order import SecondOrderOptimizer

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
    """

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
    ) -> None:
        theta: Array = np.array(start, dtype=float).reshape(-1, 2)
        lrs = None if lr_scale is None else np.asarray(lr_scale, dtype=float).reshape(-1)
        if lrs is not None:
            theta = np.broadcast_to(theta, (len(lrs), 2)).copy()
        r = theta.shape[0]
        self.surface, self.spec, self.steps, self.bound = surface, spec, steps, bound
        self.opt = spec.build(field_prefix)
        base_lr = 1.0 if lrs is not None else self.opt.params["lr"]
        self.schedule = make_schedule(spec.schedule, base_lr, field=_field(field_prefix, "schedule"))
        self.noise = GradientNoise(spec.noise, field=_field(field_prefix, "noise"))
        self.clip_field = _field(field_prefix, "clip")
        clip_gradients([np.zeros((1, 2))], spec.clip, per_run=True, field=self.clip_field)  # validate now
        self.scale = np.ones((r, 1)) if lrs is None else lrs.reshape(r, 1)
        self.state = _init_state(self.opt, theta)
        self.k = 0  # updates done

        self.theta = theta
        f = self._value(theta)
        self.alive = _ok(theta, f, bound)
        self.alive_until = np.where(self.alive, steps + 1, 0)
        self.last_theta, self.last_f = theta.copy(), f.copy()
        self.recording = Recording.empty(steps, r, self.opt.state_keys) if record else None
        if self.recording is not None:
            self.recording.path[0], self.recording.loss[0] = theta, f

    def _value(self, p: Array) -> Array:
        with np.errstate(all="ignore"):
            return self.surface.value(p)

    def _delta(self, theta: Array, g: Array, t: int, lr: Array) -> Array:
        """Δθ (R, 2) of update ``t`` from points θ and gradients g (R, 2), learning rates (R, 1).

        A first-order rule sees one parameter array of shape (R, 2); a second-order rule also
        gets the surface, for its Hessian (Newton) or its value (L-BFGS's line search).
        """
        if isinstance(self.opt, SecondOrderOptimizer):
            return self.opt.update(theta, g, self.state, t, lr, self.surface)
        (delta,) = self.opt.update([theta], [g], [self.state], t, lr)
        return delta

    @property
    def finished(self) -> bool:
        """True once every step is done or every run has diverged."""
        return self.k >= self.steps or not self.alive.any()

    def advance(self, n: int | None = None) -> None:
        """Apply up to ``n`` more updates (all remaining when ``None``)."""
        stop = self.steps if n is None else min(self.steps, self.k + n)
        surface, alive, rec = self.surface, self.alive, self.recording
        theta = self.theta
        with np.errstate(all="ignore"):
            while self.k < stop and alive.any():
                k = self.k
                g = surface.gradient(theta)
                (g,) = self.noise([g])
                (g,) = clip_gradients([g], self.spec.clip, per_run=True, field=self.clip_field)
                lr_k = self.schedule(k) * self.scale
                delta = self._delta(theta, g, k + 1, lr_k)
                delta = np.where(alive[:, None], delta, 0.0)  # diverged runs stay frozen
                theta = theta + delta
                f = self._value(theta)
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
            if rec is not None and self.k == self.steps:
                # Gradient at the final position: the one the next update would start from.
                rec.grad[self.steps] = surface.gradient(theta)
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


def _init_state(opt: AnyOptimizer, theta: Array) -> dict[str, Array]:
    """The optimizer's buffers for R runs at points θ of shape (R, 2)."""
    if isinstance(opt, SecondOrderOptimizer):
        return opt.init_state(theta)
    (state,) = opt.init_state([theta])
    return state


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
