"""Sweeps end to end: failures, retries, Ctrl-C, reuse across sweep files, results and status."""
import json

import pytest

from stilts_nb.cli import main
from stilts_nb.sweeps import Store, load_sweep, parse_sweep, results, run_sweep
from test_sweeps_common import FakeTrain, sweep_dict, write_sweep


def test_a_failing_run_does_not_stop_the_sweep(tmp_path, rte_dir, monkeypatch, capsys):
    fake = FakeTrain(fail=lambda c: c["lr"] == 2e-4)
    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", fake)
    path = write_sweep(tmp_path / "s.yaml", rte_dir, grid={"lr": [1e-4, 2e-4, 3e-4], "batch_size": [8],
                                                          "warmup_ratio": [0.0], "seed": [12]})
    store = tmp_path / "st.sqlite"
    assert main(["sweep", str(path), "--store", str(store), "--no-progress"]) == 1
    assert "failed: RuntimeError: boom at lr=0.0002" in capsys.readouterr().out
    df = results(store)
    assert sorted(df.status) == ["done", "done", "failed"] and len(fake.calls) == 3
    assert "boom" in df[df.status == "failed"].error.iloc[0]
    # rerun: failed runs are reported, not retried (their cause is their own); nothing else is
    # retrained, and a sweep left with a failed run is still no success (issue 30)
    assert main(["sweep", str(path), "--store", str(store), "--no-progress"]) == 1
    assert len(fake.calls) == 3
    assert "1 skipped failed: see `stilts-nb status" in capsys.readouterr().out
    assert main(["status", "--store", str(store)]) == 0
    assert "last error: run" in capsys.readouterr().out
    # --retry-failed, with the cause fixed
    fake.fail = lambda c: False
    assert main(["sweep", str(path), "--store", str(store), "--no-progress", "--retry-failed"]) == 0
    assert len(fake.calls) == 4
    df = results(store)
    assert set(df.status) == {"done"} and df.attempts.max() == 2 and df.error.isna().all()


def test_targets_of_a_failed_intermediate_are_blocked(tmp_path, rte_dir, monkeypatch):
    fake = FakeTrain(fail=lambda c: c["save"])
    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", fake)
    sweep = parse_sweep(sweep_dict(rte_dir, intermediates=["none", "rte"]), "t.yaml")
    s = run_sweep(sweep, tmp_path / "st.sqlite", progress=False)
    assert s["failed"] == 1 and s["blocked"] == 2 and s["done"] == 2


def test_ctrl_c_gives_the_run_back(tmp_path, rte_dir, monkeypatch):
    calls = FakeTrain()

    def interrupted(cfg):
        if len(calls.calls) == 1:
            calls.calls.append(cfg)
            raise KeyboardInterrupt
        return calls(cfg)

    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", interrupted)
    sweep = parse_sweep(sweep_dict(rte_dir, grid={"lr": [1e-4], "batch_size": [8],
                                                  "warmup_ratio": [0.0], "seed": [1, 2, 3]}), "t.yaml")
    store = tmp_path / "st.sqlite"
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, store, progress=False)
    df = results(store)
    assert sorted(df.status) == ["done", "pending", "pending"]
    assert df[df.status == "pending"].error.str.contains("interrupted").sum() == 1
    assert not any(p.name.startswith(".") for p in (tmp_path).rglob("*") if p.is_dir() and "checkpoints" in str(p))
    run_sweep(sweep, store, progress=False)
    assert set(results(store).status) == {"done"}


def test_reuse_across_sweep_files_real_training(tmp_path, rte_dir, monkeypatch):
    """Two sweep files that share runs (tiny random BERT, real training): shared runs and the
    intermediate are trained once, and the store knows which sweeps asked for them."""
    import stilts_nb.sweeps.executors as ex

    trained = []
    real = ex.train_run
    monkeypatch.setattr(ex, "train_run", lambda cfg: trained.append(cfg.task) or real(cfg))
    a = write_sweep(tmp_path / "a.yaml", rte_dir, name="a", intermediates=["none", "rte"],
                    grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]})
    b = write_sweep(tmp_path / "b.yaml", rte_dir, name="b", intermediates=["rte"],
                    grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12, 42]},
                    max_device_batch=4, description="cosmetic differences only")
    store = tmp_path / "st.sqlite"
    sa = run_sweep(load_sweep(a), store, progress=False)
    assert sa["done"] == 3 and len(trained) == 3
    sb = run_sweep(load_sweep(b), store, progress=False)
    assert sb == {"already done": 2, "done": 1, "total": 3, "store": str(store)}
    assert len(trained) == 4                         # only b's seed-42 run was new
    df = results(store)
    assert len(df) == 4 and df.id.is_unique and set(df.status) == {"done"}
    inter = df[df.role == "intermediate"].iloc[0]
    assert inter.sweeps == ["a/a", "b/b"] and inter.checkpoint
    shared = df[(df.intermediate == "rte") & (df.seed == 12)].iloc[0]
    assert shared.sweeps == ["a/a", "b/b"] and shared.init_id == inter.id
    assert 0 <= shared.score <= 1 and shared.loss_curve and shared.per_epoch
    assert "classifier" in " ".join(shared.new) and shared.transferred
    with Store(store) as s:
        assert (s.path.parent / inter.checkpoint / "model.safetensors").is_file()
        assert s.integrity() == "ok"


def test_results_command(tmp_path, rte_dir, fake_train, capsys):
    path = write_sweep(tmp_path / "s.yaml", rte_dir)
    store = tmp_path / "st.sqlite"
    main(["sweep", str(path), "--store", str(store), "--no-progress"])
    capsys.readouterr()
    assert main(["results", "--store", str(store), "--format", "json", "--where", "seed=42"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 1 and rows[0]["seed"] == 42 and rows[0]["per_epoch"][0]["epoch"] == 1
    assert main(["results", "--store", str(store), "--format", "csv", "--where", "score > 0.5"]) == 0
    assert capsys.readouterr().out.count("\n") == 3
    assert main(["results", "--store", str(store)]) == 0
    assert "rte" in capsys.readouterr().out
    assert main(["results", "--store", str(store), "--where", "colour=red"]) == 2
    assert "unknown column 'colour'" in capsys.readouterr().err
    assert main(["sweep", str(path), "--store", str(store), "--dry-run"]) == 0
    assert "total                       2                     0      2" in capsys.readouterr().out


def test_the_plans_train_config_reaches_the_engine_and_pickles(tmp_path, rte_dir, monkeypatch):
    """plan.py builds each run's TrainConfig once; the executor trains that object (completed
    with init/out/progress), with no dict in between, and it survives pickling (Ray, SLURM)."""
    import pickle

    from stilts_nb.sweeps import expand
    from stilts_nb.sweeps.run import _payload
    from stilts_nb.training import TrainConfig

    seen = []
    fake = FakeTrain()
    monkeypatch.setattr("stilts_nb.sweeps.executors.train_run", lambda cfg: seen.append(cfg) or fake(cfg))
    sweep = parse_sweep(sweep_dict(rte_dir, intermediates=["none", "rte"], keep_head=True), "t.yaml")
    plan = expand(sweep)
    inter = next(r for r in plan.runs if r.role == "intermediate")
    assert isinstance(inter.train_config, TrainConfig) and inter.config == inter.train_config.to_dict()
    with Store(tmp_path / "st.sqlite") as st:
        payload = _payload(inter, st, None, progress=False, shared=tmp_path)
    assert isinstance(payload["config"], TrainConfig) and pickle.loads(pickle.dumps(payload)) == payload
    assert payload["config"].warmup_ratio == 0.1 and payload["config"].progress is False
    run_sweep(sweep, tmp_path / "st.sqlite", progress=False, plan=plan)
    assert len(seen) == len(plan.runs) == 5 and all(isinstance(c, TrainConfig) for c in seen)
    saved = [c for c in seen if c.save]  # the intermediate, trained into its private folder
    assert len(saved) == 1 and saved[0].out and saved[0].init is None
    assert sum(c.init is not None for c in seen) == 2  # the targets after it start from its checkpoint


def test_keep_head_is_off_only_for_runs_without_an_intermediate(rte_dir):
    from stilts_nb.reporting import prose
    from stilts_nb.sweeps import expand
    from stilts_nb.sweeps.plan import KEEP_HEAD_RULE

    spec = sweep_dict(rte_dir, intermediates=["none", "rte"], keep_head=True)
    plan = expand(parse_sweep(spec, "t.yaml"))
    kept = {(r.role, r.intermediate, r.train_config.keep_head) for r in plan.runs}
    assert kept == {("intermediate", None, False), ("target", "none", False), ("target", "rte", True)}
    shown = prose.parameters("smoke", "01_baselines", {"sweep": spec}, spec).data
    assert f"Not as written for every run: {KEEP_HEAD_RULE}." in shown
    assert "keep_head: on for runs after an intermediate; off for None (no head to keep)" in KEEP_HEAD_RULE
    off = {**spec, "keep_head": False}
    assert KEEP_HEAD_RULE not in prose.parameters("smoke", "01_baselines", {"sweep": off}, off).data
    assert not any(r.train_config.keep_head for r in expand(parse_sweep(off, "t.yaml")).runs)
