"""A search is a saved run (kind ``"search"``, id ``s-…``) in the run store (``app/store``, CONTRACTS §2).

The search's request is the run's config; every finished trial is appended as a ``trial`` event
as it arrives (so a server restart keeps every finished trial), and the terminal summary holds the
ranked trials. Store failures are logged and never stop a search. Without a run store (``app.store``
failing to open) searches still run, in memory only.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from app.config import Settings
from app.store import get_run_store

logger = logging.getLogger(__name__)

KIND = "search"


class RunStoreLike(Protocol):
    """The part of ``app.store.RunStore`` a search uses."""

    def create(
        self,
        *,
        kind: str,
        label: str,
        config: dict[str, Any],
        status: str = "running",
        run_id: str | None = None,
        parent_id: str | None = None,
    ) -> str: ...

    def append_events(self, run_id: str, events: Any) -> None: ...

    def finish(self, run_id: str, status: str, summary: dict[str, Any] | None) -> None: ...

    def get(self, run_id: str) -> Any: ...


def default_store(settings: Settings) -> RunStoreLike | None:
    """The process-wide run store for ``settings`` (``app.store.get_run_store``), None when it cannot open."""
    try:
        store: RunStoreLike = get_run_store(settings)
    except Exception:
        logger.warning("no run store: searches are kept in memory only", exc_info=True)
        return None
    return store


class SearchSaver:
    """Writes one search to a store, swallowing (and logging) the store's errors."""

    def __init__(self, store: RunStoreLike | None, search_id: str) -> None:
        self.store = store
        self.search_id = search_id

    def _try(self, what: str, *args: Any, **kwargs: Any) -> None:
        if self.store is None:
            return
        try:
            getattr(self.store, what)(*args, **kwargs)
        except Exception:
            logger.exception("saving search %s: %s failed", self.search_id, what)

    def create(self, label: str, config: dict[str, Any], parent_id: str | None) -> None:
        self._try("create", kind=KIND, label=label, config=config, run_id=self.search_id, parent_id=parent_id)

    def trial(self, payload: dict[str, Any]) -> None:
        self._try("append_events", self.search_id, [("trial", payload)])

    def finish(self, status: str, summary: dict[str, Any]) -> None:
        self._try("finish", self.search_id, status, summary)


def load_saved(store: RunStoreLike | None, search_id: str) -> dict[str, Any] | None:
    """A saved search as ``{"id", "label", "status", "config", "summary", "parent_id", "created", "trials"}``.

    The trials are the stored ``trial`` events' payloads (all that finished before a restart);
    None when the store has no search of that id.
    """
    if store is None:
        return None
    try:
        run = store.get(search_id)
    except Exception:
        return None
    if getattr(run, "kind", None) != KIND:
        return None
    trials = [e["data"] for e in run.events() if e.get("event") == "trial" and isinstance(e.get("data"), dict)]
    return {
        "id": run.id,
        "label": run.label,
        "status": run.status,
        "config": run.config,
        "summary": run.summary,
        "parent_id": run.parent_id,
        "created": run.created,
        "trials": trials,
    }
