"""Live tracking and export: TensorBoard event files written by real runs, read back with
TensorBoard's own reader, hold exactly the store's curves; a tracker that breaks never fails a
run; MLflow's file store the same way where MLflow is installed (not by `make setup`)."""
import pytest

from conftest import needs
from stilts_nb.sweeps import load_sweep, results, run_sweep
from test_sweeps_common import write_sweep



def scalars(folder) -> dict:
    """tag -> [(step, value)] from the event files directly in `folder` (TensorBoard's reader)."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(folder))
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def assert_curve_equals(tb: dict, row) -> None:
    steps = [p["step"] for p in row.loss_curve]
    assert [s for s, _ in tb["train/loss"]] == steps
    # event files store float32: equal to the store's float64 within float32 rounding
    assert [v for _, v in tb["train/loss"]] == pytest.approx([p["loss"] for p in row.loss_curve], rel=1e-6)
    assert [v for _, v in tb["train/lr"]] == pytest.approx([p["lr"] for p in row.loss_curve], rel=1e-6)
    assert tb["dev/accuracy"] == [(steps[-1], pytest.approx(row.score, rel=1e-6))]


@pytest.mark.slow
def test_tensorboard_live_and_exported_curves_equal_the_store(tmp_path, rte_dir, one_torch_thread):
    needs("tensorboard", "tracking")
    from stilts_nb.sweeps.export import export

    path = write_sweep(tmp_path / "s.yaml", rte_dir, log_with="tensorboard", log_every=1)
    store = tmp_path / "st.sqlite"
    assert run_sweep(load_sweep(path), store, progress=False)["done"] == 2
    df = results(store)
    assert len(df) == 2
    for row in df.itertuples():
        # readable: sweep / target / intermediate / settings, one folder per run beside the store
        live = tmp_path / "tracking" / "t" / "rte" / "none" / f"lr0.0001 bs8 w0 s{row.seed}"
        assert_curve_equals(scalars(live), row)

    assert export(store, "tensorboard", tmp_path / "exported", log=lambda *a: None) == 2
    for row in df.itertuples():
        replayed = tmp_path / "exported" / "st" / "rte" / "none" / f"lr0.0001 bs8 w0 s{row.seed} ({row.id[:8]})"
        assert_curve_equals(scalars(replayed), row)


@pytest.mark.slow
def test_a_broken_tracker_never_fails_a_run(tmp_path, rte_dir, one_torch_thread, capfd):
    needs("tensorboard", "tracking")
    (tmp_path / "tracking").write_text("a file where the tracker wants its folder")
    path = write_sweep(tmp_path / "s.yaml", rte_dir, log_with="tensorboard",
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]})
    s = run_sweep(load_sweep(path), tmp_path / "st.sqlite", progress=False)
    assert s["done"] == 1
    assert "warning: experiment tracking stopped for this run" in capfd.readouterr().err
    row = results(tmp_path / "st.sqlite").iloc[0]
    assert row.status == "done" and row.loss_curve


def test_tracking_never_changes_a_runs_identity(tmp_path, rte_dir):
    from stilts_nb.sweeps.plan import expand

    plain = expand(load_sweep(write_sweep(tmp_path / "a.yaml", rte_dir)))
    tracked = expand(load_sweep(write_sweep(tmp_path / "b.yaml", rte_dir, log_with="wandb")))
    assert [r.id for r in plain.runs] == [r.id for r in tracked.runs]
    assert {r.config["log_with"] for r in tracked.runs} == {"wandb"}


@pytest.mark.slow
def test_mlflow_file_store_equals_the_store(tmp_path, rte_dir, one_torch_thread, monkeypatch):
    mlflow = needs("mlflow", "mlflow")
    from stilts_nb.sweeps.export import export

    path = write_sweep(tmp_path / "s.yaml", rte_dir, log_every=1,
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]})
    store = tmp_path / "st.sqlite"
    run_sweep(load_sweep(path), store, progress=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)  # and undone after: export sets both
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    export(store, "mlflow", tmp_path / "ml", log=lambda *a: None)
    row = results(store).iloc[0]
    client = mlflow.tracking.MlflowClient()
    (run,) = client.search_runs([client.get_experiment_by_name("st").experiment_id])
    history = client.get_metric_history(run.info.run_id, "train/loss")
    assert [(m.step, m.value) for m in history] == [(p["step"], pytest.approx(p["loss"])) for p in row.loss_curve]


@pytest.mark.slow
def test_wandb_runs_offline_by_default(tmp_path, rte_dir, one_torch_thread, monkeypatch):
    needs("wandb", "wandb", "pip install wandb")
    monkeypatch.delenv("WANDB_MODE", raising=False)
    monkeypatch.setenv("WANDB_API_KEY", "")  # no account: offline must not need one
    path = write_sweep(tmp_path / "s.yaml", rte_dir, log_with="wandb",
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12]})
    assert run_sweep(load_sweep(path), tmp_path / "st.sqlite", progress=False)["done"] == 1
    (run,) = (tmp_path / "tracking" / "wandb").glob("offline-run-*")  # nothing was sent anywhere
    assert list(run.glob("*.wandb"))  # the run's history, for `wandb sync` later
