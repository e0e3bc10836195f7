"""The saved-run store on a real SQLite file: the CONTRACTS §2 API, bounds, WAL, migrations."""

from __future__ import annotations

import itertools
import sqlite3
import threading
import zlib
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from app.config import Settings
from app.store import RunExistsError, RunNotFoundError, RunStore, codec, database_url, schema


def new_store(tmp_path: Path, max_bytes: int = 4 * 2**20) -> RunStore:
    return RunStore(f"sqlite:///{tmp_path / 'db' / 'runs.sqlite3'}", max_saved_bytes=max_bytes)


def test_default_url_is_a_file_under_the_data_dir(tmp_path: Path) -> None:
    assert database_url(Settings(data_dir=tmp_path)) == f"sqlite:///{tmp_path / 'runs.sqlite3'}"
    assert database_url(Settings(data_dir=tmp_path, database_url="sqlite:////x/y.db")) == "sqlite:////x/y.db"


def test_create_get_finish(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    run_id = store.create(kind="training", label="adam · relu", config={"epochs": 3}, run_id="j-0123456789ab")
    assert run_id == "j-0123456789ab"
    run = store.get(run_id)
    assert (run.kind, run.label, run.status, run.config, run.summary, run.finished) == (
        "training",
        "adam · relu",
        "running",
        {"epochs": 3},
        None,
        None,
    )
    store.finish(run_id, "diverged", {"diverged_at": 17, "test_loss": float("inf")})
    run = store.get(run_id)
    assert run.status == "diverged"
    assert run.summary == {"diverged_at": 17, "test_loss": None}  # never Infinity in JSON
    assert run.finished is not None and run.finished >= run.created
    with pytest.raises(RunExistsError):
        store.create(kind="training", label="again", config={}, run_id=run_id)
    with pytest.raises(RunNotFoundError):
        store.get("j-nope")
    with pytest.raises(RunNotFoundError):
        store.finish("j-nope", "done", None)
    with pytest.raises(ValueError, match="kind"):
        store.create(kind="movie", label="x", config={})


def test_events_keep_order_ids_and_payloads(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    run_id = store.create(kind="training", label="x", config={})
    store.append_events(run_id, [("metrics", {"step": 1, "loss": 2.5}), ("epoch", {"epoch": 1})])
    store.append_events(run_id, [])
    store.append_events(run_id, [("metrics", {"step": 2, "loss": float("nan")}), ("done", {"status": "done"})])
    events = store.get(run_id).events()
    assert events == [
        {"id": 1, "event": "metrics", "data": {"step": 1, "loss": 2.5}},
        {"id": 2, "event": "epoch", "data": {"epoch": 1}},
        {"id": 3, "event": "metrics", "data": {"step": 2, "loss": None}},
        {"id": 4, "event": "done", "data": {"status": "done"}},
    ]
    assert [e["id"] for e in store.events(run_id, after=2)] == [3, 4]
    assert [e["id"] for e in store.events(run_id, after=0, limit=3)] == [1, 2, 3]
    run = store.get(run_id)
    assert (run.n_events, run.last_event_id) == (4, 4)
    with pytest.raises(RunNotFoundError):
        store.append_events("r-nope", [("metrics", {})])


def test_stored_bytes_are_the_compressed_batches(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    run_id = store.create(kind="training", label="x", config={})
    batch = [("metrics", {"step": k, "hist": [0.0] * 100}) for k in range(20)]
    store.append_events(run_id, batch)
    expected = zlib.compress(
        (
            "["
            + ",".join(f'[{k + 1},"metrics",{{"step":{k},"hist":[{",".join(["0.0"] * 100)}]}}]' for k in range(20))
            + "]"
        ).encode(),
        codec.LEVEL,
    )
    assert store.get(run_id).stored_bytes == len(expected)


def test_telemetry_is_thinned_to_the_budget_keeping_epochs_and_ends(tmp_path: Path) -> None:
    budget = 2**14
    store = new_store(tmp_path, max_bytes=budget)
    run_id = store.create(kind="training", label="x", config={})
    # incompressible-ish payloads: a linear congruential sequence printed as floats
    seed = 1
    for epoch in range(1, 41):
        frames = []
        for _ in range(10):
            values = []
            for _ in range(40):
                seed = (1103515245 * seed + 12345) % 2**31
                values.append(seed / 2**31)
            frames.append(("metrics", {"v": values}))
        store.append_events(run_id, [*frames, ("epoch", {"epoch": epoch})])
    store.append_events(run_id, [("done", {"status": "done"})])
    run = store.get(run_id)
    events = run.events()
    assert run.stored_bytes <= budget
    assert run.last_event_id == 40 * 11 + 1
    assert run.n_events == len(events) < 40 * 11 + 1
    assert [e["data"]["epoch"] for e in events if e["event"] == "epoch"] == list(range(1, 41))
    assert events[-1]["event"] == "done"
    metrics_ids = [e["id"] for e in events if e["event"] == "metrics"]
    assert metrics_ids[0] == 1  # the first frame stays
    assert metrics_ids[-1] == 40 * 11 - 1  # and the newest
    ids = [e["id"] for e in events]
    assert ids == sorted(set(ids))
    # as in the in-memory log (app/jobs/events.py): older frames are coarser, the newest dense
    gaps = [b - a for a, b in itertools.pairwise(metrics_ids)]
    assert gaps[0] > gaps[-1] == 1


def test_list_search_kind_paging_rename_delete(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    ids = [store.create(kind="training", label=f"Adam run {k}", config={}) for k in range(5)]
    lab = store.create(kind="lab", label="100%_sure", config={})
    comparison = store.create(kind="comparison", label="BN scales", config={})
    child = store.create(kind="training", label="BN child", config={}, parent_id=comparison)
    assert [r.id for r in store.list()] == [child, comparison, lab, *reversed(ids)]  # newest first
    assert [r.id for r in store.list(query="adam")] == list(reversed(ids))
    assert [r.id for r in store.list(query="0%_")] == [lab]  # % and _ are literal
    assert store.list(query="%") == [] or [r.id for r in store.list(query="%")] == [lab]
    assert [r.id for r in store.list(kind="comparison")] == [comparison]
    assert [r.id for r in store.list(parent_id=comparison)] == [child]
    assert [r.id for r in store.list(query="adam", limit=2, offset=1)] == [ids[3], ids[2]]
    assert store.count(query="adam") == 5
    assert store.rename(ids[0], "renamed").label == "renamed"
    store.delete(comparison)
    with pytest.raises(RunNotFoundError):
        store.get(child)  # a comparison's runs go with it
    with pytest.raises(RunNotFoundError):
        store.delete(comparison)
    assert store.count() == 6


def test_interrupt_running_keeps_what_was_recorded(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    done = store.create(kind="training", label="done", config={})
    store.finish(done, "done", {"test_acc": 0.9})
    live = store.create(kind="training", label="live", config={})
    store.append_events(live, [("metrics", {"step": 1})])
    store.close()
    again = new_store(tmp_path)
    assert again.interrupt_running() == 1
    assert again.get(done).status == "done"
    run = again.get(live)
    assert (run.status, run.n_events, run.finished) == ("interrupted", 1, None)


def test_sqlite_file_is_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create(kind="lab", label="x", config={})
    path = tmp_path / "db" / "runs.sqlite3"
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"  # persistent in the file
        assert conn.execute("SELECT version FROM schema_version").fetchone()[0] == schema.LATEST
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000


def test_migration_from_version_1_to_2_on_a_real_file(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        assert schema.migrate(conn, target=1) == 1
    engine.dispose()
    events = [(1, "metrics", {"step": 1}), (2, "epoch", {"epoch": 1}), (3, "metrics", {"step": 2})]
    blob_a, blob_b = codec.encode(events[:2]), codec.encode(events[2:])
    with sqlite3.connect(path) as conn:  # what a version-1 server wrote
        assert {r[1] for r in conn.execute("PRAGMA table_info(runs)")} == {
            "id",
            "kind",
            "label",
            "status",
            "parent_id",
            "config",
            "summary",
            "created",
            "finished",
        }
        conn.execute(
            "INSERT INTO runs VALUES ('j-old', 'training', 'old run', 'done', NULL, '{\"epochs\": 1}',"
            " '{\"test_acc\": 0.5}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:01:00.000Z')"
        )
        conn.execute("INSERT INTO run_events VALUES ('j-old', 1, 1, 2, ?)", (blob_a,))
        conn.execute("INSERT INTO run_events VALUES ('j-old', 2, 3, 1, ?)", (blob_b,))
    store = RunStore(f"sqlite:///{path}")
    assert store.schema_version == 2
    run = store.get("j-old")
    assert (run.label, run.status, run.config, run.summary) == ("old run", "done", {"epochs": 1}, {"test_acc": 0.5})
    assert (run.n_events, run.last_event_id, run.stored_bytes) == (3, 3, len(blob_a) + len(blob_b))
    assert [(e["id"], e["event"]) for e in run.events(after=2)] == [(3, "metrics")]
    store.append_events("j-old", [("metrics", {"step": 3})])
    assert store.get("j-old").last_event_id == 4
    store.close()
    assert RunStore(f"sqlite:///{path}").schema_version == 2  # opening again changes nothing


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.close()
    with sqlite3.connect(tmp_path / "db" / "runs.sqlite3") as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(schema.SchemaTooNewError, match="99"):
        new_store(tmp_path)


def test_threads_writing_and_reading_never_fail(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer(k: int) -> None:
        try:
            for j in range(15):
                run_id = store.create(kind="training", label=f"w{k}-{j}", config={})
                store.append_events(run_id, [("metrics", {"step": s}) for s in range(5)])
                store.finish(run_id, "done", {"k": k})
        except BaseException as exc:
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop.is_set():
                for run in store.list(limit=20):
                    run.events()
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(3)]
    writers = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in readers + writers:
        t.start()
    for t in writers:
        t.join()
    stop.set()
    for t in readers:
        t.join()
    assert errors == []
    assert store.count() == 60
    assert all(r.status == "done" and r.n_events == 5 for r in store.list(limit=100))
