"""The store: refuses what is not a stilts-nb store, migrates old ones, and honours leases."""
import sqlite3
import threading
import time

import pytest

from stilts_nb.cli import main
from stilts_nb.errors import UserError
from stilts_nb.sweeps import Store, expand, parse_sweep, run_sweep
from stilts_nb.sweeps import schema
from stilts_nb.sweeps.store import this_owner
from test_sweeps_common import sweep_dict


def test_not_sqlite(tmp_path, capsys):
    p = tmp_path / "notes.sqlite"
    p.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(UserError, match="not a stilts-nb store"):
        Store(p)
    assert main(["status", "--store", str(p)]) == 2
    assert "not a stilts-nb store" in capsys.readouterr().err
    assert p.read_text().startswith("these are my notes")  # untouched


def _sql(path, statement):
    db = sqlite3.connect(path)
    db.execute(statement)
    db.commit()
    db.close()


def test_foreign_sqlite(tmp_path):
    p = tmp_path / "other.db"
    _sql(p, "CREATE TABLE experiments (id INTEGER)")
    with pytest.raises(UserError, match="not a stilts-nb store .*experiments"):
        Store(p)


def test_newer_schema(tmp_path):
    p = tmp_path / "s.sqlite"
    Store(p).close()
    _sql(p, "UPDATE stilts_meta SET value='99' WHERE key='schema_version'")
    with pytest.raises(UserError, match="schema version 99 is newer .* upgrade stilts-nb"):
        Store(p)


def test_missing_store_for_reading(tmp_path):
    with pytest.raises(UserError, match="no store here"):
        Store(tmp_path / "nope.sqlite", create=False)


def test_migration_path(tmp_path, monkeypatch):
    p = tmp_path / "s.sqlite"
    with Store(p) as s:
        assert s.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(schema.MIGRATIONS, 2, "ALTER TABLE runs ADD COLUMN flops REAL;")
    with Store(p) as s:
        meta = dict(s.db.execute("SELECT key, value FROM stilts_meta").fetchall())
        cols = [r[1] for r in s.db.execute("PRAGMA table_info(runs)")]
    assert meta["schema_version"] == "2" and "flops" in cols
    backup = tmp_path / "s.sqlite.v1.bak"
    assert backup.exists()
    assert sqlite3.connect(backup).execute("SELECT value FROM stilts_meta WHERE key='schema_version'").fetchone()[0] == "1"


def _one_run_store(tmp_path, rte_dir):
    plan = expand(parse_sweep(sweep_dict(rte_dir, grid={"seed": [12], "lr": [1e-4], "batch_size": [8],
                                                        "warmup_ratio": [0.0]}), "t.yaml"))
    s = Store(tmp_path / "s.sqlite")
    s.register(plan.runs, "t")
    return s, plan.runs[0].id


def _hold(store, run_id, owner, expires_in):
    with store.write() as db:
        db.execute("UPDATE runs SET status='running', owner=?, heartbeat=?, lease_expires=?, attempts=1"
                   " WHERE id=?", (owner, time.time(), time.time() + expires_in, run_id))


def test_lease_rules(tmp_path, rte_dir):
    s, rid = _one_run_store(tmp_path, rte_dir)
    me = this_owner()
    _hold(s, rid, "otherhost:123:1", 60)             # another machine, fresh heartbeat
    assert s.claim(rid, me) == "busy"
    _hold(s, rid, "otherhost:123:1", -1)             # another machine, lease expired
    assert s.claim(rid, me) == "claimed"
    _hold(s, rid, f"{me.split(':')[0]}:999999:5", 60)  # this host, process gone: redo at once
    assert s.claim(rid, me) == "claimed"
    s.heartbeat([rid], me, lease=5)
    assert s.get(rid)["lease_expires"] == pytest.approx(time.time() + 5, abs=2)
    s.finish(rid, me, {"status": "done", "metrics": {"score": 0.5}})
    assert s.claim(rid, "otherhost:1:1") == "done"
    assert s.integrity() == "ok"


def test_stale_running_row_is_redone(tmp_path, rte_dir, fake_train):
    s, rid = _one_run_store(tmp_path, rte_dir)
    _hold(s, rid, "otherhost:123:1", -10)            # its process died long ago
    s.close()
    d = sweep_dict(rte_dir, grid={"seed": [12], "lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0]})
    summary = run_sweep(parse_sweep(d, "t.yaml"), tmp_path / "s.sqlite", progress=False)
    assert summary["done"] == 1 and len(fake_train.calls) == 1
    with Store(tmp_path / "s.sqlite") as s:
        row = s.get(rid)
    assert row["status"] == "done" and row["attempts"] == 2 and row["owner"] is None


def test_live_lease_is_skipped_or_waited_for(tmp_path, rte_dir, fake_train):
    s, rid = _one_run_store(tmp_path, rte_dir)
    _hold(s, rid, "otherhost:123:1", 60)             # live elsewhere
    d = sweep_dict(rte_dir, grid={"seed": [12], "lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0]})
    sweep = parse_sweep(d, "t.yaml")
    summary = run_sweep(sweep, s.path, wait=False, progress=False)
    assert summary == {"left to another process": 1, "total": 1, "store": str(s.path)}
    assert fake_train.calls == []

    def other_finishes():
        time.sleep(1.0)
        with Store(s.path) as other:
            other.finish(rid, "otherhost:123:1", {"status": "done", "metrics": {"score": 0.9}})

    t = threading.Thread(target=other_finishes)
    t.start()
    summary = run_sweep(sweep, s.path, wait=True, poll=0.2, progress=False)
    t.join()
    assert summary["already done"] == 1 and fake_train.calls == []
    assert s.get(rid)["score"] == 0.9
    s.close()
