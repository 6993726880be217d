"""The Ray executor on a real local Ray instance gives the local executor's numbers."""
import pytest

from stilts_nb.sweeps import load_sweep, results, run_sweep
from conftest import needs
from test_sweeps_common import write_sweep

ray = needs("ray", "ray")


@pytest.fixture
def local_ray(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_ray_matches_local(tmp_path, rte_dir, local_ray):
    path = write_sweep(tmp_path / "s.yaml", rte_dir, intermediates=["none", "rte"],
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [12, 42]},
                       resources={"num_cpus": 1, "torch_threads": 1})
    sweep = load_sweep(path)
    s_ray = run_sweep(sweep, tmp_path / "ray.sqlite", executor="ray", progress=False, poll=0.5)
    assert s_ray["done"] == 5
    s_local = run_sweep(sweep, tmp_path / "local.sqlite", executor="local", progress=False)
    assert s_local["done"] == 5
    a = results(tmp_path / "ray.sqlite").set_index("id")
    b = results(tmp_path / "local.sqlite").set_index("id")
    assert sorted(a.index) == sorted(b.index)          # same identities
    for rid in a.index:
        assert a.loc[rid, "score"] == b.loc[rid, "score"]
        la = [s["loss"] for s in a.loc[rid, "loss_curve"]]
        lb = [s["loss"] for s in b.loc[rid, "loss_curve"]]
        assert la == pytest.approx(lb, abs=1e-6)
    assert a.device.str.contains("1 threads").all()


@pytest.fixture
def ray_with_one_gpu(monkeypatch):
    """A local Ray instance that declares one GPU (Ray schedules it; nothing runs on it here)."""
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    ray.init(num_cpus=2, num_gpus=1, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.slow
def test_quarter_gpu_runs_are_packed_four_to_a_gpu(tmp_path, rte_dir, ray_with_one_gpu):
    from stilts_nb.sweeps.executors import RayExecutor
    from stilts_nb.sweeps.packing import with_flags

    path = write_sweep(tmp_path / "s.yaml", rte_dir, resources={"num_cpus": 2, "torch_threads": 1},
                       grid={"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1, 2, 3, 4]})
    sweep = load_sweep(path)
    sweep.resources = with_flags(sweep.resources, gpus_per_run=0.25, cpus_per_run=0.5)
    ex = RayExecutor(resources=sweep.resources)
    assert ex.capacity == 4  # 1 GPU / 0.25 and 2 CPUs / 0.5
    assert run_sweep(sweep, tmp_path / "ray.sqlite", executor="ray", progress=False, poll=0.5)["done"] == 4
    runs = results(tmp_path / "ray.sqlite", full=True)
    assert [r["ray_resources"] for r in runs["result"]] == [{"CPU": 0.5, "GPU": 0.25}] * 4


def test_packing_flags_are_checked():
    from stilts_nb.errors import UserError
    from stilts_nb.sweeps.packing import runs_at_once, with_flags

    assert with_flags({"num_gpus": 1, "num_cpus": 4}, 0.25, None) == {"num_gpus": 0.25, "num_cpus": 4}
    with pytest.raises(UserError, match="--gpus-per-run must be a fraction in \\[0, 1\\] or a whole number, got 1.5"):
        with_flags({}, 1.5, None)
    with pytest.raises(UserError, match="--cpus-per-run must be positive"):
        with_flags({}, None, 0)
    assert runs_at_once({"GPU": 8, "CPU": 64}, 0.25, 4) == 16    # CPUs bound it before GPUs do
    assert runs_at_once({"GPU": 8, "CPU": 64}, 0.25, 1) == 32
    assert runs_at_once({"CPU": 2}, 0, 0.5) == 4
