"""Optimizer update rules (SPEC §3), written once for the 2-D lab and the MLP.

Contract (used by ``trajectory.py`` for batched 2-D runs and ``training.py`` for MLPs):

* Parameters are a ``list[np.ndarray]``. In the 2-D lab the list has one array of shape
  ``(R, 2)`` (R runs side by side); in the MLP it holds each layer's W, b, γ, β.
* ``opt = make_optimizer("adam", {"lr": 0.3})`` builds an optimizer; unknown ids or
  hyperparameters raise ``InputError``.
* ``state = opt.init_state(params)`` gives one ``dict[str, np.ndarray]`` per parameter array.
* ``deltas = opt.update(params, grads, state, t, lr, ...)`` returns the update Δθ for each array
  (the caller does ``θ += Δθ``) and mutates ``state``. ``t`` counts from 1. ``lr`` is the scheduled
  learning rate: a float, or an array broadcastable against the parameters (e.g. shape ``(R, 1)``
  for a learning-rate sweep over R runs).
* ``state`` holds every internal quantity worth showing in the step inspector (velocity, h,
  m, v, m̂, v̂, effective per-coordinate rate, …) under stable keys listed in ``state_keys``.
"""
