"""The saved-run store: runs and their telemetry in one database (SQLite by default).

* The database is ``Settings.database_url`` (any SQLAlchemy URL); unset, the SQLite file
  ``<data_dir>/runs.sqlite3`` (``data_dir`` as for uploads, ``app/core/datasets/store.py``).
* SQLite is opened in WAL mode (readers never wait for the writer, the writer never waits for
  readers), ``synchronous=FULL`` (a committed transaction survives a crash of the machine, not
  only of the process) and with ``busy_timeout`` (a write of another process is waited for, not
  failed). Every write transaction starts with ``BEGIN IMMEDIATE`` and writes of this process go
  one at a time (a lock), so a read that would need upgrading to a write never happens and no
  writer ever sees "database is locked".
* The schema is migrated at start-up (``app/store/schema.py``).
* Telemetry is stored as zlib-compressed JSON batches, at most ``max_saved_bytes_per_run``
  compressed bytes per run (``app/store/codec.py`` thins metrics frames when over).

Usage::

    store = get_run_store()
    run_id = store.create(kind="training", label="adam", config={...}, run_id="j-…")
    store.append_events(run_id, [("metrics", {...}), ("epoch", {...})])
    store.finish(run_id, "done", {"test_acc": 0.97})
    store.get(run_id).events()
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import ConnectionPoolEntry

from app.config import Settings, get_settings
from app.core.datasets.store import default_data_dir
from app.jobs.events import to_json_text
from app.store import codec, schema
from app.store.schema import run_events, runs

KINDS = ("training", "comparison", "search", "lab")
"""What a saved run can be (CONTRACTS.md §2)."""

STATUSES = ("running", "done", "cancelled", "error", "diverged", "interrupted")
"""Run status values; every one but ``running`` is final."""

DB_FILE = "runs.sqlite3"

EventList = list[dict[str, Any]]
"""Events as ``{"id", "event", "data"}`` dicts (the job-history shape of ``GET /api/jobs/{id}``)."""

MAX_LABEL = 200
"""Characters of a label (longer ones are cut)."""


class RunNotFoundError(KeyError):
    """No saved run with this id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return f"no saved run with id {self.run_id!r}"


class RunExistsError(ValueError):
    """A saved run with this id exists already."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id

    def __str__(self) -> str:
        return f"a saved run with id {self.run_id!r} exists already"


@dataclass(frozen=True)
class SavedRun:
    """One saved run as read from the store.

    Attributes
    ----------
    id, kind, label, status : str
        ``status`` is one of :data:`STATUSES`.
    parent_id : str or None
        The comparison (or search) this run belongs to.
    config : dict
        What was run (a training config, a comparison's configs, a lab configuration, …).
    summary : dict or None
        The result, once finished.
    created, finished : str or None
        ISO 8601 UTC times (``finished`` None while running or when interrupted).
    n_events, last_event_id, stored_bytes : int
        Events kept, the id of the newest one, compressed bytes they take.
    """

    id: str
    kind: str
    label: str
    status: str
    parent_id: str | None
    config: dict[str, Any]
    summary: dict[str, Any] | None
    created: str
    finished: str | None
    n_events: int
    last_event_id: int
    stored_bytes: int
    _store: RunStore | None = field(default=None, repr=False, compare=False)

    def events(self, after: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Kept events with id > ``after`` as ``{"id", "event", "data"}`` (the job-history shape)."""
        if self._store is None:
            return []
        return self._store.events(self.id, after=after, limit=limit)

    def listing(self) -> dict[str, Any]:
        """The fields of a list entry (everything but config, summary and events)."""
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "status": self.status,
            "parent_id": self.parent_id,
            "created": self.created,
            "finished": self.finished,
            "n_events": self.n_events,
            "stored_bytes": self.stored_bytes,
            "test_acc": self.test_acc(),
        }

    def test_acc(self) -> float | None:
        """The summary's test accuracy; for a comparison or search, the best of its runs'."""
        summary = self.summary or {}
        value = summary.get("test_acc")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        runs = summary.get("runs")
        values = [r.get("test_acc") for r in runs if isinstance(r, dict)] if isinstance(runs, list) else []
        numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        return max(numbers) if numbers else None


def new_run_id() -> str:
    """``"r-"`` + 12 hex digits: the id of a run saved or imported through the API."""
    return f"r-{uuid.uuid4().hex[:12]}"


def now_iso() -> str:
    """The current UTC time as ``2026-12-01T23:59:59.123Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def database_url(settings: Settings) -> str:
    """``settings.database_url``, else the SQLite file under the data directory."""
    if settings.database_url:
        return settings.database_url
    folder = Path(settings.data_dir) if settings.data_dir is not None else default_data_dir()
    return f"sqlite:///{folder / DB_FILE}"


def _sqlite_connect(busy_ms: int, dbapi_connection: Any, _: ConnectionPoolEntry) -> None:
    """Per connection: the driver leaves transactions to us; WAL, FULL sync, busy timeout."""
    dbapi_connection.isolation_level = None  # SQLAlchemy's recipe: we emit BEGIN ourselves
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={busy_ms:d}")
    cursor.close()


SavedRuns = list[SavedRun]


class RunStore:
    """Saved runs in one database (see the module docstring). Thread-safe.

    Parameters
    ----------
    url : str
        A SQLAlchemy database URL (``sqlite:///path`` creates the file and its folder).
    max_saved_bytes : int
        Compressed telemetry bytes kept per run.
    busy_timeout : float
        Seconds a SQLite write waits for another process's lock.
    """

    def __init__(self, url: str, max_saved_bytes: int = 4 * 2**20, busy_timeout: float = 10.0) -> None:
        parsed = make_url(url)
        self.url = url
        self.max_saved_bytes = max_saved_bytes
        self._sqlite = parsed.get_backend_name() == "sqlite"
        self._write_lock = threading.Lock()
        self._local = threading.local()
        if self._sqlite:
            if parsed.database in (None, "", ":memory:"):
                raise ValueError("the saved-runs store needs a SQLite file, not an in-memory database")
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"check_same_thread": False})
            busy_ms = int(busy_timeout * 1000)

            def on_connect(dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
                _sqlite_connect(busy_ms, dbapi_connection, record)

            event.listen(engine, "connect", on_connect)
            event.listen(engine, "begin", self._sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
        self._engine: Engine = engine
        with self._write() as conn:
            self.schema_version = schema.migrate(conn)

    def _sqlite_begin(self, conn: Connection) -> None:
        """Start SQLite transactions ourselves: IMMEDIATE for writes (takes the write lock at once)."""
        conn.exec_driver_sql("BEGIN IMMEDIATE" if getattr(self._local, "writing", False) else "BEGIN")

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction (committed on success), one at a time in this process."""
        with self._write_lock:
            self._local.writing = True
            try:
                with self._engine.begin() as conn:
                    yield conn
            finally:
                self._local.writing = False

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction: a consistent snapshot (WAL readers never wait for the writer)."""
        with self._engine.connect() as conn, conn.begin():
            yield conn

    def close(self) -> None:
        """Close the database connections."""
        self._engine.dispose()

    # --- writing -----------------------------------------------------------------------------

    def create(
        self,
        *,
        kind: str,
        label: str,
        config: dict[str, Any],
        status: str = "running",
        run_id: str | None = None,
        parent_id: str | None = None,
        summary: dict[str, Any] | None = None,
        created: str | None = None,
    ) -> str:
        """Store a new run; returns its id (``run_id``, else ``"r-"`` + 12 hex digits).

        Raises ``ValueError`` for an unknown kind or status, :class:`RunExistsError` for a taken id.
        """
        if kind not in KINDS:
            raise ValueError(f"unknown run kind {kind!r} (one of {', '.join(KINDS)})")
        if status not in STATUSES:
            raise ValueError(f"unknown run status {status!r} (one of {', '.join(STATUSES)})")
        run_id = run_id or new_run_id()
        stamp = now_iso()
        with self._write() as conn:
            if conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is not None:
                raise RunExistsError(run_id)
            conn.execute(
                insert(runs).values(
                    id=run_id,
                    kind=kind,
                    label=label[:MAX_LABEL],
                    status=status,
                    parent_id=parent_id,
                    config=to_json_text(config),
                    summary=None if summary is None else to_json_text(summary),
                    created=created or stamp,
                    finished=None if status == "running" else stamp,
                )
            )
        return run_id

    def append_events(self, run_id: str, events: Sequence[tuple[str, Any]], ids: Sequence[int] | None = None) -> None:
        """Append events (``(name, payload)``) as one compressed batch.

        Their ids continue the run's (``last_event_id + 1, …``) unless ``ids`` gives them (an
        import keeps the ids of a thinned export; they must increase past ``last_event_id``).
        When the run's batches would exceed ``max_saved_bytes``, its events are thinned and
        rewritten (``codec.fit``). Raises :class:`RunNotFoundError`, ``ValueError`` for bad ids.
        """
        if not events:
            return
        if ids is not None and len(ids) != len(events):
            raise ValueError("one id per event")
        with self._write() as conn:
            row = conn.execute(
                select(runs.c.last_event_id, runs.c.stored_bytes, runs.c.n_events).where(runs.c.id == run_id)
            ).first()
            if row is None:
                raise RunNotFoundError(run_id)
            first = int(row.last_event_id) + 1
            numbers = list(ids) if ids is not None else list(range(first, first + len(events)))
            if numbers[0] < first or any(b <= a for a, b in itertools.pairwise(numbers)):
                raise ValueError(f"event ids must increase past {first - 1}")
            stored = [(number, name, payload) for number, (name, payload) in zip(numbers, events, strict=True)]
            first = numbers[0]
            blob = codec.encode(stored)
            last_id = numbers[-1]
            if int(row.stored_bytes) + len(blob) <= self.max_saved_bytes:
                batch = conn.execute(
                    select(func.coalesce(func.max(run_events.c.batch), 0)).where(run_events.c.run_id == run_id)
                ).scalar_one()
                conn.execute(
                    insert(run_events).values(
                        run_id=run_id, batch=int(batch) + 1, first_id=first, last_id=last_id, n=len(stored), data=blob
                    )
                )
                conn.execute(
                    update(runs)
                    .where(runs.c.id == run_id)
                    .values(
                        n_events=runs.c.n_events + len(stored),
                        last_event_id=last_id,
                        stored_bytes=runs.c.stored_bytes + len(blob),
                    )
                )
                return
            # Over budget: thin everything kept so far plus the new events, rewrite the batches.
            blobs = conn.execute(
                select(run_events.c.data).where(run_events.c.run_id == run_id).order_by(run_events.c.batch)
            ).scalars()
            kept = codec.fit(codec.decode_all(blobs) + stored, self.max_saved_bytes)
            conn.execute(delete(run_events).where(run_events.c.run_id == run_id))
            for k, (part, data) in enumerate(kept, start=1):
                conn.execute(
                    insert(run_events).values(
                        run_id=run_id, batch=k, first_id=part[0][0], last_id=part[-1][0], n=len(part), data=data
                    )
                )
            conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    n_events=sum(len(p) for p, _ in kept),
                    last_event_id=last_id,
                    stored_bytes=sum(len(d) for _, d in kept),
                )
            )

    def finish(self, run_id: str, status: str, summary: dict[str, Any] | None) -> None:
        """Record the run's final status and summary. Raises :class:`RunNotFoundError`."""
        if status not in STATUSES or status == "running":
            raise ValueError(f"not a final run status: {status!r}")
        with self._write() as conn:
            done = conn.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(
                    status=status,
                    summary=None if summary is None else to_json_text(summary),
                    finished=None if status == "interrupted" else now_iso(),  # it never finished
                )
            )
            if done.rowcount == 0:
                raise RunNotFoundError(run_id)

    def rename(self, run_id: str, label: str) -> SavedRun:
        """Give a run a new label; returns it. Raises :class:`RunNotFoundError`."""
        with self._write() as conn:
            done = conn.execute(update(runs).where(runs.c.id == run_id).values(label=label[:MAX_LABEL]))
            if done.rowcount == 0:
                raise RunNotFoundError(run_id)
        return self.get(run_id)

    def delete(self, run_id: str) -> None:
        """Delete a run, its events, and the runs whose parent it is. Raises :class:`RunNotFoundError`."""
        with self._write() as conn:
            children = list(conn.execute(select(runs.c.id).where(runs.c.parent_id == run_id)).scalars())
            ids = [run_id, *children]
            conn.execute(delete(run_events).where(run_events.c.run_id.in_(ids)))
            done = conn.execute(delete(runs).where(runs.c.id.in_(ids)))
            if done.rowcount == 0:
                raise RunNotFoundError(run_id)

    def interrupt_running(self) -> int:
        """Mark every ``running`` run ``interrupted`` (at start-up: its server died); returns how many.

        What they recorded stays; they get no ``finished`` time.
        """
        with self._write() as conn:
            done = conn.execute(update(runs).where(runs.c.status == "running").values(status="interrupted"))
            return int(done.rowcount)

    # --- reading -----------------------------------------------------------------------------

    def _saved(self, row: Any) -> SavedRun:
        return SavedRun(
            id=row.id,
            kind=row.kind,
            label=row.label,
            status=row.status,
            parent_id=row.parent_id,
            config=json.loads(row.config),
            summary=None if row.summary is None else json.loads(row.summary),
            created=row.created,
            finished=row.finished,
            n_events=int(row.n_events),
            last_event_id=int(row.last_event_id),
            stored_bytes=int(row.stored_bytes),
            _store=self,
        )

    def get(self, run_id: str) -> SavedRun:
        """The run with this id. Raises :class:`RunNotFoundError`."""
        with self._read() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        if row is None:
            raise RunNotFoundError(run_id)
        return self._saved(row)

    def list(
        self,
        query: str | None = None,
        kind: str | None = None,
        limit: int = 50,
        offset: int = 0,
        parent_id: str | None = None,
        top_level: bool = False,
    ) -> SavedRuns:
        """Runs newest first; ``query`` matches a label substring (case-insensitive), ``kind`` exactly.

        ``parent_id``: only that comparison's (search's) runs; ``top_level``: only runs without a parent.
        """
        stmt = select(runs)
        if top_level:
            stmt = stmt.where(runs.c.parent_id.is_(None))
        if query:
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(func.lower(runs.c.label).like(f"%{escaped.lower()}%", escape="\\"))
        if kind:
            stmt = stmt.where(runs.c.kind == kind)
        if parent_id:
            stmt = stmt.where(runs.c.parent_id == parent_id)
        stmt = stmt.order_by(runs.c.created.desc(), runs.c.id.desc()).limit(max(0, limit)).offset(max(0, offset))
        with self._read() as conn:
            return [self._saved(row) for row in conn.execute(stmt)]

    def count(self, query: str | None = None, kind: str | None = None, top_level: bool = False) -> int:
        """How many runs :meth:`list` would page through."""
        stmt = select(func.count()).select_from(runs)
        if top_level:
            stmt = stmt.where(runs.c.parent_id.is_(None))
        if query:
            escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            stmt = stmt.where(func.lower(runs.c.label).like(f"%{escaped.lower()}%", escape="\\"))
        if kind:
            stmt = stmt.where(runs.c.kind == kind)
        with self._read() as conn:
            return int(conn.execute(stmt).scalar_one())

    def events(self, run_id: str, after: int = 0, limit: int | None = None) -> EventList:
        """Kept events of a run with id > ``after``, oldest first, at most ``limit``."""
        stmt = (
            select(run_events.c.data)
            .where(run_events.c.run_id == run_id, run_events.c.last_id > after)
            .order_by(run_events.c.batch)
        )
        out: EventList = []
        with self._read() as conn:
            for blob in conn.execute(stmt).scalars():
                for event_id, name, payload in codec.decode(blob):
                    if event_id <= after:
                        continue
                    out.append({"id": event_id, "event": name, "data": payload})
                    if limit is not None and len(out) >= limit:
                        return out
        return out


_stores: dict[str, RunStore] = {}
_stores_lock = threading.Lock()


def get_run_store(settings: Settings | None = None) -> RunStore:
    """The process-wide store for ``settings`` (default: :func:`app.config.get_settings`), one per URL."""
    settings = settings or get_settings()
    url = database_url(settings)
    with _stores_lock:
        store = _stores.get(url)
        if store is None:
            store = RunStore(url, settings.max_saved_bytes_per_run, settings.database_busy_timeout_seconds)
            _stores[url] = store
        return store


def close_run_stores() -> None:
    """Close and forget every process-wide store (the app's shutdown; a later get opens anew)."""
    with _stores_lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()
