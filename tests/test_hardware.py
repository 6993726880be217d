"""precision auto on fake capability reports, TF32, and the micro-batch back-off on a fake OOM."""
from __future__ import annotations

import pytest
import torch

from stilts_nb import hardware
from stilts_nb.hardware import Capabilities, resolve_precision

AVX2 = Capabilities(cpu_flags=frozenset({"sse4_2", "avx", "avx2", "fma"}))
AVX512_BF16 = Capabilities(cpu_flags=frozenset({"avx2", "avx512f", "avx512_bf16"}))
AMX = Capabilities(cpu_flags=frozenset({"avx2", "avx512f", "amx_tile", "amx_bf16"}))
A100 = Capabilities(cuda=True, cuda_name="A100", cuda_bf16=True, cuda_tf32=True)
V100 = Capabilities(cuda=True, cuda_name="V100", cuda_bf16=False, cuda_tf32=False)


@pytest.mark.parametrize("caps, expected", [(AVX2, "fp32"), (AVX512_BF16, "bf16"), (AMX, "bf16"),
                                            (A100, "bf16"), (V100, "fp32")])
def test_auto_precision_follows_the_hardware(caps, expected):
    assert resolve_precision("auto", caps) == expected
    assert resolve_precision("fp32", caps) == "fp32" and resolve_precision("bf16", caps) == "bf16"


def test_cpu_flags_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512_bf16\n\nprocessor\t: 1\n")
    flags = hardware.cpu_flags(info)
    assert {"avx2", "avx512_bf16"} <= flags
    assert resolve_precision("auto", Capabilities(cpu_flags=flags)) == "bf16"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2\n")
    assert resolve_precision("auto", Capabilities(cpu_flags=hardware.cpu_flags(info))) == "fp32"


def test_tf32_only_where_the_gpu_has_it():
    assert hardware.apply_tf32(True, AVX2) is False           # a CPU: nothing to switch
    assert hardware.apply_tf32(False, AVX2) is False


def _sweep(precision, shared_data):
    from stilts_nb.sweeps import expand, parse_sweep

    return expand(parse_sweep({"name": "p", "model": "tiny:bert", "precision": precision,
                               "intermediates": ["none"], "targets": ["rte"], "data_dir": str(shared_data),
                               "grid": {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1]}}))


def test_auto_is_resolved_before_hashing(shared_data, monkeypatch):
    monkeypatch.setattr(hardware, "probe", lambda: AVX512_BF16)
    auto = _sweep("auto", shared_data).runs
    assert [r.config["precision"] for r in auto] == ["bf16"]
    assert [r.id for r in auto] == [r.id for r in _sweep("bf16", shared_data).runs]
    monkeypatch.setattr(hardware, "probe", lambda: AVX2)
    assert [r.id for r in _sweep("auto", shared_data).runs] == [r.id for r in _sweep("fp32", shared_data).runs]


def _config(shared_data, **kw):
    from stilts_nb.training import TrainConfig

    base = dict(task="winogrande_xs", model="tiny:bert", lr=1e-3, batch_size=16, epochs=1,
                train_limit=32, eval_limit=16, data_dir=str(shared_data), progress=False, log_every=1)
    return TrainConfig(**{**base, **kw})


def test_run_records_the_resolved_precision(shared_data, monkeypatch, one_torch_thread):
    from stilts_nb.training import train

    monkeypatch.setattr(hardware, "probe", lambda: AVX2)
    m = train(_config(shared_data, precision="auto"))
    assert m.precision == "fp32" and m.config["precision"] == "fp32" and m.tf32 is False


def test_auto_micro_batch_backs_off_on_out_of_memory(shared_data, monkeypatch, one_torch_thread):
    """A device that fits 4 rows: auto finds 4, accumulates 4 micro-batches per update of 16,
    and the run is the very run of max_device_batch=4 (the probe leaves no trace)."""
    from stilts_nb.training import models, train

    real_build, tried = models.build, []

    def small_device(*args, **kw):
        model, record = real_build(*args, **kw)
        forward = model.forward

        def guarded(*a, **k):
            rows = k["input_ids"].shape[0]
            tried.append(rows)
            if rows > 4:
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            return forward(*a, **k)

        model.forward = guarded
        return model, record

    monkeypatch.setattr(models, "build", small_device)
    auto = train(_config(shared_data, max_device_batch="auto"))
    assert tried[:3] == [16, 8, 4]                       # halved twice, then fit
    assert auto.config["max_device_batch"] == 4 and auto.max_device_batch_requested == "auto"
    assert auto.micro_batches_per_update == 4
    fixed = train(_config(shared_data, max_device_batch=4))
    assert [s["loss"] for s in auto.steps] == [s["loss"] for s in fixed.steps]
    assert auto.score == fixed.score


def test_auto_micro_batch_gives_up_with_one_clear_error(shared_data, monkeypatch, one_torch_thread):
    from stilts_nb.training import models, train

    real_build = models.build

    def no_memory(*args, **kw):
        model, record = real_build(*args, **kw)

        def oom(*a, **k):
            raise torch.OutOfMemoryError("CUDA out of memory")

        model.forward = oom
        return model, record

    monkeypatch.setattr(models, "build", no_memory)
    with pytest.raises(torch.OutOfMemoryError, match="even a micro-batch of 1"):
        train(_config(shared_data, max_device_batch="auto"))


def test_auto_micro_batch_is_accepted_in_sweeps_and_rejected_when_misspelled():
    from stilts_nb.errors import UserError
    from stilts_nb.sweeps import parse_sweep

    spec = {"name": "p", "model": "tiny:bert", "intermediates": ["none"], "targets": ["rte"]}
    assert parse_sweep({**spec, "max_device_batch": "auto", "precision": "auto"}).run_setting("max_device_batch") == "auto"
    with pytest.raises(UserError, match="'max_device_batch': expected a positive integer or auto"):
        parse_sweep({**spec, "max_device_batch": "atuo"})


def test_zero_shot_records_the_resolved_precision(shared_data, monkeypatch, one_torch_thread):
    from stilts_nb.training import EvalConfig, zero_shot

    monkeypatch.setattr(hardware, "probe", lambda: AVX2)
    r = zero_shot(EvalConfig(task="winogrande_xs", model="tiny:bert", seeds=(1,), eval_limit=8,
                             precision="auto", data_dir=str(shared_data), progress=False))
    assert r["precision"] == "fp32"


@pytest.mark.parametrize("caps, precision, expected", [
    (AVX2, "fp32", "sdpa"), (AVX2, "bf16", "eager"), (AMX, "bf16", "eager"), (AMX, "fp32", "sdpa"),
    (AVX512_BF16, "bf16", "eager"), (A100, "bf16", "sdpa"), (A100, "fp32", "sdpa"), (V100, "fp32", "sdpa")])
def test_auto_attention_follows_device_and_precision(caps, precision, expected):
    assert hardware.resolve_attention("auto", precision, caps) == expected
    for kernel in ("sdpa", "eager"):  # a named kernel is never overridden
        assert hardware.resolve_attention(kernel, precision, caps) == kernel


@pytest.mark.parametrize("caps", [AVX2, AMX, A100, V100])
def test_auto_compile_stays_off_where_it_was_not_measured_to_pay(caps):
    assert hardware.resolve_compile("auto", caps) == "off"
    assert hardware.resolve_compile("on", caps) == "on" and hardware.resolve_compile("off", caps) == "off"
    # a sweep file's unquoted `compile: on` reaches us as YAML 1.1's true
    assert hardware.resolve_compile(True, caps) == "on" and hardware.resolve_compile(False, caps) == "off"


def test_run_records_the_resolved_attention_and_compile(shared_data, monkeypatch, one_torch_thread):
    """auto never reaches a record: the run says which kernel it used, and the model built has
    it; a named kernel is used as named."""
    from stilts_nb.training import models, train

    built = []
    real_build = models.build

    def spy(*args, **kw):
        model, record = real_build(*args, **kw)
        built.append(model.config._attn_implementation)
        return model, record

    monkeypatch.setattr(models, "build", spy)
    monkeypatch.setattr(hardware, "probe", lambda: AMX)
    m = train(_config(shared_data, precision="fp32"))
    assert (m.attention, m.compile, m.compiled_graphs) == ("sdpa", "off", None)
    assert m.config["attention"] == "sdpa" and m.config["compile"] == "off"
    m = train(_config(shared_data, precision="fp32", attention="eager"))
    assert m.attention == "eager" and m.config["attention"] == "eager"
    assert built == ["sdpa", "eager"]


def test_attention_and_compile_keep_stored_run_ids(shared_data):
    """Kernel choices change float rounding only (docs/performance.md): the same run id."""
    from stilts_nb.sweeps import expand, parse_sweep

    def ids(**kw):
        return [r.id for r in expand(parse_sweep({
            "name": "p", "model": "tiny:bert", "precision": "fp32", "intermediates": ["none"],
            "targets": ["rte"], "data_dir": str(shared_data), **kw,
            "grid": {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1]}})).runs]
    assert ids() == ids(attention="eager", compile="on") == ids(attention="sdpa", compile="off")
    assert ids() == ids(compile=True)  # `compile: on` in a YAML file
