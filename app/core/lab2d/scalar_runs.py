"""A chunk of a few recorded 2-D runs on Python floats: the engine's path for small R.

For R = 1 … ``SCALAR_RUNS`` recorded runs, one NumPy call on an (R, 2) array costs about a
microsecond, far more than the two or sixteen multiplications it does; an engine step made of
~20 such calls is slower than a textbook loop on 1-element arrays. Here the same definitions run
on Python floats instead, run by run and coordinate by coordinate:

* the update rule is the optimizer's own :meth:`~app.core.optim.base.Optimizer.array_update`
  (weight decay included; :meth:`~app.core.optim.base.Optimizer.float_rule`), called once for x
  and once for y with a dict of float buffers per coordinate — the rules of ``first_order.py``
  and ``adaptive.py`` use only arithmetic and the helpers of ``app/core/optim/elementwise.py``,
  which work on floats and arrays alike;
* f and ∇f are the surface's own ``_f`` and ``_grad`` (:meth:`Surface.float_functions`), for the
  surfaces marked :attr:`~app.core.lab2d.surfaces.base.Surface.scalar_safe`;
* noise comes from the chunk's pre-drawn array, clipping from
  :func:`~app.core.optim.gradients.clip_pair`.

Every operation is the IEEE double operation the array path does, in the same order, so the
numbers are identical bit for bit (``tests/test_engine_reference.py``,
``tests/test_scalar_runs.py``). The results are written into the recording once per chunk, one
array assignment per quantity; divergence is then located by the engine as for the array path.
Where a float operation raises instead of giving ±inf or NaN (Python's 0.0/0.0, e.g. AdaGrad with
ε = 0 and a zero gradient) the chunk is abandoned before anything is written and the engine runs
it on arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from app.core.lab2d.surfaces import Surface
from app.core.optim.base import Optimizer
from app.core.optim.gradients import clip_pair

Array = npt.NDArray[np.float64]
SCALAR_RUNS = 4
"""Most recorded runs advanced on floats. Measured on Rosenbrock: an Adam step costs ~4 µs per run
on floats against ~30 µs for an array step of up to 8 runs, SGD ~2.5 µs against ~18 µs; the
array path wins from about 7 runs on, and 4 leaves a margin."""


def float_chunk(
    opt: Optimizer,
    surface: Surface,
    theta: Array,
    state: dict[str, Array],
    grad0: Array | None,
    k0: int,
    lr: Sequence[float],
    scale: Sequence[float] | None,
    noise: Array | None,
    clip: tuple[str, float] | None,
    out: tuple[Array, Array, Array, Array, dict[str, Array]],
) -> tuple[Array, dict[str, Array]] | None:
    """Updates k0 … k0+n−1 (n = ``len(lr)``) of R runs on floats, written into the recording.

    Parameters
    ----------
    opt, surface : a first-order optimizer and a :attr:`~Surface.scalar_safe` surface.
    theta : (R, 2) positions after k0 updates; ``state`` the optimizer's (R, 2) buffers there.
    grad0 : (R, 2) ∇f at ``theta``, or ``None`` to evaluate it.
    lr : η of each update (before the per-run factor); ``scale`` (R,) the factors of a sweep.
    noise : (n, R, 2) noise of each update, or ``None``; ``clip`` ``(mode, c)`` or ``None``.
    out : the recording's ``path`` (K+1, R, 2), ``loss`` (K+1, R), ``grad`` (K+1, R, 2),
        ``update`` (K, R, 2) and the recorded state buffers (key → (K, R, 2)); rows k0+1 … k0+n
        of positions and values, k0 … k0+n of gradients (the ones used, then ∇f at the end) and
        k0 … k0+n−1 of updates and state are written.

    Returns
    -------
    The (R, 2) positions and the buffers after the chunk, or ``None`` (nothing written) when a
    float operation raised.
    """
    functions = surface.float_functions()
    assert functions is not None, "float_chunk needs a scalar_safe surface"
    f_of, grad_of = functions
    rule = opt.float_rule()
    n, keys = len(lr), tuple(state)
    path, loss, grad, update, recorded = out
    shown = tuple(recorded)
    runs = []
    try:
        for r, (x, y) in enumerate(theta.tolist()):
            sx = {key: float(state[key][r, 0]) for key in keys}
            sy = {key: float(state[key][r, 1]) for key in keys}
            # A surface whose f and ∇f of floats are floats needs no conversions (the common case);
            # np.sin & co. give NumPy scalars, turned into floats (the same value) as they come.
            probe = (f_of(x, y), *grad_of(x, y))
            plain = all(type(v) is float for v in probe)
            if grad0 is None:
                gx, gy = float(probe[1]), float(probe[2])
            else:
                gx, gy = grad0[r].tolist()
            etas = lr if scale is None else [eta * scale[r] for eta in lr]
            xy: list[float] = []  # x, y after each update
            fs: list[float] = []  # f there
            used: list[float] = []  # gx, gy each update used (after noise and clipping)
            deltas: list[float] = []  # Δx, Δy
            states: list[float] = []  # sx[key], sy[key] of every shown key after each update
            noise_r = None if noise is None else noise[:, r].tolist()
            for j, eta in enumerate(etas):
                if noise_r is not None:
                    nx, ny = noise_r[j]
                    gx, gy = gx + nx, gy + ny
                if clip is not None:
                    gx, gy = clip_pair(gx, gy, *clip)
                t = k0 + j + 1
                dx = rule(x, gx, sx, t, eta)
                dy = rule(y, gy, sy, t, eta)
                used += (gx, gy)
                deltas += (dx, dy)
                for key in shown:
                    states += (sx[key], sy[key])
                x, y = x + dx, y + dy
                xy += (x, y)
                if plain:
                    gx, gy = grad_of(x, y)
                    fs.append(f_of(x, y))
                else:
                    gx, gy = grad_of(x, y)
                    gx, gy = float(gx), float(gy)
                    fs.append(float(f_of(x, y)))
            runs.append((x, y, gx, gy, sx, sy, xy, fs, used, deltas, states))
    except (ArithmeticError, ValueError):
        return None
    k1 = k0 + n
    new_theta = np.empty_like(theta)
    new_state = {key: np.empty_like(buf) for key, buf in state.items()}
    for r, (x, y, gx, gy, sx, sy, xy, fs, used, deltas, states) in enumerate(runs):
        new_theta[r] = x, y
        for key in keys:
            new_state[key][r] = sx[key], sy[key]
        path[k0 + 1 : k1 + 1, r] = np.reshape(xy, (n, 2))
        loss[k0 + 1 : k1 + 1, r] = fs
        grad[k0:k1, r] = np.reshape(used, (n, 2))
        grad[k1, r] = gx, gy
        update[k0:k1, r] = np.reshape(deltas, (n, 2))
        if shown:
            by_key = np.reshape(states, (n, len(shown), 2))
            for i, key in enumerate(shown):
                recorded[key][k0:k1, r] = by_key[:, i]
    return new_theta, new_state


def float_value_and_gradient(surface: Surface) -> Callable[[Array, Array], Array] | None:
    """:meth:`Surface.value_and_gradient_into` on Python floats, for a :attr:`~Surface.scalar_safe`
    surface (else ``None``): the engine's evaluation at each new position of a few recorded runs
    of Newton or L-BFGS, whose rules work on (R, 2) arrays.

    The returned function takes θ (R, 2) and ``out`` (R, 2), writes ∇f into ``out`` and returns
    f (R,), as the array method does, with ``_f`` and ``_grad`` called on each run's floats x, y
    (the same numbers). Where a float operation raises (Python's 0.0/0.0) it evaluates on arrays.
    """
    functions = surface.float_functions()
    if functions is None:
        return None
    f_of, grad_of = functions
    on_arrays = surface.value_and_gradient_into

    def evaluate(theta: Array, out: Array) -> Array:
        try:
            rows = [(f_of(x, y), *grad_of(x, y)) for x, y in theta.tolist()]
        except (ArithmeticError, ValueError):
            return on_arrays(theta, out)
        if len(rows) == 1:  # the common case: one run, one row assignment
            ((f, gx, gy),) = rows
            out[0] = gx, gy
            return np.array((f,), dtype=float)
        values = np.array(rows, dtype=float)  # (R, 3): f, ∂f/∂x, ∂f/∂y
        out[...] = values[:, 1:]
        return values[:, 0].copy()

    return evaluate
