"""Saved runs: training jobs, comparisons, searches and Optimizer Lab results that outlive the server.

A service package beside ``app/jobs`` (``app/core`` never imports it). The API others code
against (docs/runs.md, CONTRACTS §2)::

    from app.store import get_run_store, RunStore
    store.create(kind=..., label=..., config=..., status="running", run_id=None, parent_id=None) -> str
    store.append_events(run_id, [(name, payload), ...])
    store.finish(run_id, status, summary)
    store.get(run_id) -> SavedRun        # .id .kind .label .status .config .summary .created .events()
    store.list(query=None, kind=None, limit=50, offset=0) -> list[SavedRun]
"""

from app.store.store import (
    KINDS,
    STATUSES,
    RunExistsError,
    RunNotFoundError,
    RunStore,
    SavedRun,
    close_run_stores,
    database_url,
    get_run_store,
    new_run_id,
)

__all__ = [
    "KINDS",
    "STATUSES",
    "RunExistsError",
    "RunNotFoundError",
    "RunStore",
    "SavedRun",
    "close_run_stores",
    "database_url",
    "get_run_store",
    "new_run_id",
]
