"""Hyperparameter searches: trials on a process pool or a Dask cluster, live events, saved runs.

``app/core/nn/search.py`` designs the trials; this package runs them (docs/searches.md):
:mod:`~app.searches.tasks` is what runs in a worker process, :mod:`~app.searches.executors`
chooses the executor (a local process pool, or a Dask cluster's futures executor — one code path),
:mod:`~app.searches.signals` carries cancellation to the workers, :mod:`~app.searches.manager`
admits, follows and cancels searches, and :mod:`~app.searches.saving` writes them to the run store.
"""
