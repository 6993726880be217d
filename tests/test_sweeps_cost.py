"""The dry-run price: the precision's peak, evaluation passes, stated utilization, no guessing."""
import pytest

from stilts_nb.errors import UserError
from stilts_nb.sweeps import expand, parse_sweep
from stilts_nb.sweeps.cost import PEAK_TFLOPS, UTILIZATION, estimate
from test_sweeps_common import sweep_dict, write_rte


def _plan(tmp_path, **over):
    data = write_rte(tmp_path / "data")
    return expand(parse_sweep(sweep_dict(data, **{"cost": {"overhead_seconds": 0}, **over})))


def test_fp32_is_priced_at_fp32_peak_not_bf16(tmp_path):
    fp32, bf16 = estimate(_plan(tmp_path)), estimate(_plan(tmp_path, precision="bf16"))
    assert fp32["tflops"] == pytest.approx(19.5 * UTILIZATION) and PEAK_TFLOPS["bf16"] == 312
    assert fp32["hours"] / bf16["hours"] == pytest.approx(312 / 19.5)
    assert "fp32 peak 19.5 TFLOP/s" in fp32["basis"] and f"{UTILIZATION:.0%} utilization" in fp32["basis"]


def test_every_evaluation_pass_is_counted(tmp_path):
    once = estimate(_plan(tmp_path, epochs=3))["hours"]
    each = estimate(_plan(tmp_path, epochs=3, eval_each_epoch=True))["hours"]
    assert each > once


def test_a_stated_throughput_replaces_the_assumption(tmp_path):
    est = estimate(_plan(tmp_path, cost={"effective_tflops": 2.0, "overhead_seconds": 0}))
    assert est["tflops"] == 2.0 and "stated" in est["basis"]


def test_a_model_it_cannot_size_is_refused(tmp_path):
    plan = _plan(tmp_path)
    plan.sweep.model = "someone/unknown-encoder"   # not on this machine; the hub is off in tests
    with pytest.raises(UserError, match="cannot size model 'someone/unknown-encoder'"):
        estimate(plan)


def test_files_not_here_are_priced_at_the_task_files_official_sizes(tmp_path, monkeypatch):
    from dataclasses import replace

    from stilts_nb.tasks import TASKS

    (tmp_path / "empty").mkdir()

    def hours():
        sweep = sweep_dict(tmp_path / "empty", train_limit=None, eval_limit=None, cost={"overhead_seconds": 0})
        return estimate(expand(parse_sweep(sweep), strict=False))["hours"]

    declared = hours()
    monkeypatch.setitem(TASKS, "rte", replace(TASKS["rte"], official_sizes=(0, 0)))
    assert hours() == 0 < declared           # the price moves with the declaration, nothing else
