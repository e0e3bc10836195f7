"""The saved-runs schema and its ordered migrations (SQLAlchemy Core, any dialect).

The database records its own version in the one-row table ``schema_version``. At start-up
:func:`migrate` applies, in order and inside one write transaction, every migration newer than
that version, so a file written by an older release is brought forward in place and a file that
is already current is left alone. A database *newer* than this code is refused (an older server
must not write into a schema it does not know).

Version 1: ``runs`` (one row per saved run: kind, label, status, config and summary as JSON text,
timestamps) and ``run_events`` (the run's telemetry as zlib-compressed JSON batches, see
``app/store/codec.py``).

Version 2: the listing counters on ``runs`` — ``n_events`` (events kept), ``last_event_id``
(id of the newest event appended; ids are never reused, so thinning leaves gaps) and
``stored_bytes`` (compressed bytes of the run's batches, what ``max_saved_bytes_per_run``
bounds) — back-filled from the batches already stored; ``run_events.last_id`` (the id of a
batch's newest event, so a page of events after some id reads only the batches it needs); and an
index for the newest-first list.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    text,
)

metadata = MetaData()

runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("label", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("parent_id", String(64), nullable=True, index=True),
    Column("config", Text, nullable=False),
    Column("summary", Text, nullable=True),
    Column("created", String(32), nullable=False),
    Column("finished", String(32), nullable=True),
    # version 2
    Column("n_events", Integer, nullable=False, server_default="0"),
    Column("last_event_id", Integer, nullable=False, server_default="0"),
    Column("stored_bytes", Integer, nullable=False, server_default="0"),
)

run_events = Table(
    "run_events",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("batch", Integer, primary_key=True),
    Column("first_id", Integer, nullable=False),
    Column("n", Integer, nullable=False),
    Column("data", LargeBinary, nullable=False),
    # version 2
    Column("last_id", Integer, nullable=False, server_default="0"),
)

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))


def _v1(conn: Connection) -> None:
    """The first schema: the v1 shape of both tables, frozen here (later columns come by migration)."""
    v1 = MetaData()
    Table(
        "runs",
        v1,
        Column("id", String(64), primary_key=True),
        Column("kind", String(16), nullable=False),
        Column("label", String(200), nullable=False),
        Column("status", String(16), nullable=False),
        Column("parent_id", String(64), nullable=True, index=True),
        Column("config", Text, nullable=False),
        Column("summary", Text, nullable=True),
        Column("created", String(32), nullable=False),
        Column("finished", String(32), nullable=True),
    )
    Table(
        "run_events",
        v1,
        Column("run_id", String(64), primary_key=True),
        Column("batch", Integer, primary_key=True),
        Column("first_id", Integer, nullable=False),
        Column("n", Integer, nullable=False),
        Column("data", LargeBinary, nullable=False),
    )
    v1.create_all(conn)


def _v2(conn: Connection) -> None:
    """Listing counters on ``runs``, back-filled from the stored batches; newest-first index."""
    for column in ("n_events", "last_event_id", "stored_bytes"):
        conn.execute(text(f"ALTER TABLE runs ADD COLUMN {column} INTEGER NOT NULL DEFAULT 0"))
    ev = run_events
    mine = ev.c.run_id == runs.c.id
    conn.execute(
        runs.update().values(
            n_events=select(func.coalesce(func.sum(ev.c.n), 0)).where(mine).scalar_subquery(),
            last_event_id=select(func.coalesce(func.max(ev.c.first_id + ev.c.n - 1), 0)).where(mine).scalar_subquery(),
            stored_bytes=select(func.coalesce(func.sum(func.length(ev.c.data)), 0)).where(mine).scalar_subquery(),
        )
    )
    conn.execute(text("ALTER TABLE run_events ADD COLUMN last_id INTEGER NOT NULL DEFAULT 0"))
    conn.execute(run_events.update().values(last_id=run_events.c.first_id + run_events.c.n - 1))
    Index("ix_runs_created", runs.c.created).create(conn)


MIGRATIONS: tuple[Callable[[Connection], None], ...] = (_v1, _v2)
"""Migration ``k`` (1-based) brings a database from version ``k - 1`` to ``k``."""

LATEST = len(MIGRATIONS)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer release than this code."""


def current_version(conn: Connection) -> int:
    """The database's schema version (0: empty database, no tables yet)."""
    if not conn.dialect.has_table(conn, "schema_version"):
        return 0
    value = conn.execute(select(schema_version.c.version)).scalar()
    return int(value or 0)


def migrate(conn: Connection, target: int = LATEST) -> int:
    """Apply the migrations after the current version up to ``target``; returns the new version.

    The caller runs this inside one write transaction, so a crash mid-way leaves the old version.
    """
    version = current_version(conn)
    if version > LATEST:
        raise SchemaTooNewError(
            f"the saved-runs database has schema version {version}; this server knows up to {LATEST}"
        )
    if version == 0:
        schema_version.create(conn)
        conn.execute(schema_version.insert().values(version=0))
    for step in range(version + 1, target + 1):
        MIGRATIONS[step - 1](conn)
        conn.execute(schema_version.update().values(version=step))
    return max(version, target)
