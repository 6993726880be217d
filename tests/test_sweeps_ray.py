"""The Ray executor on a real local Ray instance gives the local executor's numbers."""
import pytest

from stilts_nb.sweeps import load_sweep, results, run_sweep
from test_sweeps_common import rte_dir, write_sweep  # noqa: F401 -- fixture

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install 'stilts-nb[ray]')")


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
