"""Cancellation signals that reach a trial in another process or on another machine.

A trial polls its signal between optimizer steps (at most every ``POLL_SECONDS``,
``app/core/nn/search.py``); the signal is pickled with the task, so it must be small and must not
hold a lock or a connection:

* :class:`FileFlag` — a file that exists once the search is cancelled. For the local process pool:
  every worker sees the web process's file system, and ``os.path.exists`` costs a system call.
* :class:`DaskEventFlag` — a named ``distributed.Event`` on the cluster's scheduler, for workers on
  other machines. Checking it is a round trip to the scheduler, which the polling interval bounds.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import tempfile
from pathlib import Path
from typing import Any, Protocol


def distributed() -> Any:
    """The ``distributed`` package (the ``dask`` extra), untyped: imported where a cluster is used."""
    return importlib.import_module("distributed")


class StopSignal(Protocol):
    """True once the search is cancelled (callable in the worker)."""

    def __call__(self) -> bool: ...


class StopSwitch(Protocol):
    """The web process's side: :meth:`signal` goes to the workers, :meth:`set` cancels."""

    def signal(self) -> StopSignal: ...

    def set(self) -> None: ...

    def close(self) -> None: ...


class FileFlag:
    """A stop signal that is a file path: set when the file exists."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __call__(self) -> bool:
        return os.path.exists(self.path)


class FileSwitch:
    """Creates :class:`FileFlag` signals in a private temporary folder; :meth:`set` creates the file."""

    def __init__(self, name: str) -> None:
        self._dir = tempfile.mkdtemp(prefix=f"search-{name}-")
        self._path = os.path.join(self._dir, "cancelled")

    def signal(self) -> FileFlag:
        return FileFlag(self._path)

    def set(self) -> None:
        Path(self._path).touch()

    def close(self) -> None:
        for path in (self._path, self._dir):
            with contextlib.suppress(OSError):
                os.rmdir(path) if path == self._dir else os.unlink(path)


class DaskEventFlag:
    """A stop signal that is a named ``distributed.Event`` (checked through the worker's client)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._event: Any = None

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.name = state["name"]
        self._event = None

    def __call__(self) -> bool:
        """True once the event is set, or once the scheduler cannot be asked (the cluster or the
        client that submitted the search closed): a trial that nobody can collect stops."""
        try:
            if self._event is None:
                self._event = distributed().Event(self.name)
            return bool(self._event.is_set())
        except Exception:
            return True


class DaskSwitch:
    """Sets a named ``distributed.Event`` through the web process's client."""

    def __init__(self, name: str, client: Any) -> None:
        self._name = f"search-stop-{name}"
        self._event: Any = distributed().Event(self._name, client=client)

    def signal(self) -> DaskEventFlag:
        return DaskEventFlag(self._name)

    def set(self) -> None:
        self._event.set()

    def close(self) -> None:
        pass
