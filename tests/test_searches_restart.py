"""A search is a saved run: a server killed (SIGKILL) mid-search keeps every finished trial in the database."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from app.config import Settings
from app.searches.manager import SearchManager
from app.store import RunStore

SCRIPT = textwrap.dedent(
    """
    import json, os, signal, sys, time
    from app.config import Settings
    from app.core.nn import search as core
    from app.searches.executors import process_pool
    from app.searches.manager import SearchManager, SearchRequest
    from app.store import RunStore

    if __name__ == "__main__":
        store = RunStore(sys.argv[1])
        pool = process_pool(1)
        manager = SearchManager(Settings(), executor=lambda _: pool, store=lambda _: store)
        search = manager.submit(SearchRequest(space=core.default_space(), trials=40, epochs=30, subset=200, seed=4))
        while len(search.trials) < 3:
            time.sleep(0.01)
        seen = [{"index": t["index"], "values": t["values"], "val_acc": t["val_acc"]} for t in search.trials]
        with open(sys.argv[2], "w") as out:
            json.dump({"id": search.id, "trials": seen}, out)
        os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_killed_search_keeps_its_finished_trials(tmp_path: Path) -> None:
    db = tmp_path / "runs.sqlite3"
    script = tmp_path / "kill_mid_search.py"
    script.write_text(SCRIPT, encoding="utf-8")
    report = tmp_path / "seen.json"
    # output to files, not pipes: the killed process's pool workers would hold a pipe open
    with (tmp_path / "stderr.txt").open("w") as err:
        proc = subprocess.run(
            [sys.executable, str(script), f"sqlite:///{db}", str(report)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            timeout=300,
            check=False,
        )
    assert proc.returncode == -signal.SIGKILL, (tmp_path / "stderr.txt").read_text()[-2000:]
    seen = json.loads(report.read_text())
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = RunStore(f"sqlite:///{db}")
    try:
        assert store.interrupt_running() == 1  # what the restarted server does first
        manager = SearchManager(Settings(), executor=lambda _: None, store=lambda _: store)  # type: ignore[arg-type,return-value]
        snap = manager.snapshot(seen["id"])
        assert snap["status"] == "interrupted" and snap["total"] == 40
        kept = {t["index"]: t for t in snap["trials"]}
        for t in seen["trials"]:  # every trial the killed server had reported is there, unchanged
            assert kept[t["index"]]["values"] == t["values"] and kept[t["index"]]["val_acc"] == t["val_acc"]
        assert snap["config"]["trials"] == 40 and snap["config"]["seed"] == 4
    finally:
        store.close()
