"""A rough price for a plan, in device-hours, from FLOPs: before anyone books 1000 GPU runs.

Training costs about 6 x parameters FLOPs per token (forward + backward), evaluation 2 x (forward
only), once at the end of a run and once per epoch with ``eval_each_epoch``. Tokens are counted as
every sequence at its max length (x choices for multiple choice): an upper bound, since dynamic
padding trains on fewer. Examples are those counted in the data folder, or, where the files are
not on this machine (a dry run of the paper's design on a laptop), the official sizes the task
file declares (``Task.official_sizes``); a task that declares none is refused, not guessed.

Throughput = the reference GPU's *peak* for the precision the runs use x an assumed utilization.
The reference is an NVIDIA A100: 19.5 TFLOP/s in fp32 (TF32 off, as PyTorch's default for matmuls)
and 312 TFLOP/s dense bf16 on the tensor cores (NVIDIA's A100 datasheet). Short-sequence encoder
fine-tuning keeps a GPU far from its peak; we assume 40%. A sweep file may state its own measured
number instead (``cost.effective_tflops``, e.g. from ``train_tokens / train_seconds`` of one real
run), which replaces peak x utilization. A fixed overhead per run covers loading model and data.
"""
from __future__ import annotations

import json
from pathlib import Path

from ..errors import UserError

PEAK_TFLOPS = {"fp32": 19.5, "bf16": 312.0}   # A100 (SXM), dense
PEAK_TFLOPS["auto"] = PEAK_TFLOPS["bf16"]      # `auto` picks bf16 on an A100
UTILIZATION = 0.4                              # assumed share of peak actually reached
DEFAULT_OVERHEAD_S = 30.0
KNOWN_PARAMS = {"roberta-large": 355e6, "roberta-base": 125e6, "bert-base-uncased": 110e6,
                "bert-large-uncased": 335e6, "FacebookAI/roberta-large": 355e6,
                "FacebookAI/roberta-base": 125e6,
                # the encoder families of docs/encoders.md, as their model cards count them
                "microsoft/deberta-v3-large": 435e6, "microsoft/deberta-v3-base": 184e6,
                "answerdotai/ModernBERT-large": 395e6, "answerdotai/ModernBERT-base": 149e6,
                "google/electra-large-discriminator": 335e6, "FacebookAI/xlm-roberta-large": 560e6,
                "albert/albert-xxlarge-v2": 223e6, "distilbert/distilbert-base-uncased": 66e6}


def parameters(model: str) -> float:
    """Parameter count from the model's config (known table, tiny:, pkg:, folder, hub cache)."""
    if model in KNOWN_PARAMS:
        return KNOWN_PARAMS[model]
    from ..assets import TINY_MODELS, load_tokenizer, resolve_model

    if model in TINY_MODELS:
        from ..tiny_models import config as tiny_config

        config = tiny_config(model, load_tokenizer(model))
        # read as attributes: transformers maps e.g. DistilBERT's `dim` to hidden_size there
        cfg = {k: getattr(config, k) for k in ("hidden_size", "num_hidden_layers", "vocab_size",
                                               "intermediate_size") if hasattr(config, k)}
    else:
        src = resolve_model(model)
        local = Path(src.path) / "config.json"
        if local.is_file():
            cfg = json.loads(local.read_text())
        else:
            try:
                from transformers import AutoConfig

                cfg = AutoConfig.from_pretrained(src.path, **src.kwargs()).to_dict()
            except (OSError, ValueError):
                cfg = {}
    if "hidden_size" not in cfg or "num_hidden_layers" not in cfg:
        raise UserError(f"cost estimate: cannot size model {model!r} (no config with hidden_size and "
                        "num_hidden_layers here); download it once, or use a model this machine has")
    h, layers = cfg["hidden_size"], cfg["num_hidden_layers"]
    inner = cfg.get("intermediate_size", 4 * h)
    return layers * (4 * h * h + 2 * h * inner) + cfg.get("vocab_size", 30522) * h


def run_seconds(run, params: float, tflops: float, overhead: float) -> float:
    from ..tasks import get_task

    c = run.config
    task = get_task(c["task"])
    if run.train_size is not None and run.dev_size is not None:  # the files are here: counted
        train, dev = run.train_size, run.dev_size
    else:  # not on this machine (a dry run of the paper's design on a laptop): the official sizes
        official = official_sizes(task)
        train = run.train_size if run.train_size is not None else min(
            task.subsample or official[0], c["train_limit"] or official[0])
        dev = run.dev_size if run.dev_size is not None else min(official[1], c["eval_limit"] or official[1])
    per_example = c["max_length"] * max(task.num_choices, 1)
    eval_passes = 1 + (c["epochs"] if c.get("eval_each_epoch") else 0)
    flops = 6 * params * train * per_example * c["epochs"] + 2 * params * dev * per_example * eval_passes
    return flops / (tflops * 1e12) + overhead


def official_sizes(task) -> tuple:
    """(train, dev) examples as the task file declares them (``Task.official_sizes``)."""
    if task.official_sizes is None:
        raise UserError(f"cost estimate: task {task.base!r} declares no official_sizes and its files are "
                        "not on this machine; add official_sizes=(train, dev) to its Task declaration, "
                        "or put its files in the data folder so they are counted")
    return task.official_sizes


def throughput(sweep) -> tuple:
    """(effective TFLOP/s, how it was obtained) for the sweep's precision."""
    stated = sweep.cost.get("effective_tflops")
    if stated is not None:
        return float(stated), "as stated in the sweep file"
    from ..hardware import resolve_precision

    precision = resolve_precision(sweep.run_setting("precision"))  # a sweep-wide run setting
    peak = PEAK_TFLOPS.get(precision)
    if peak is None:
        raise UserError(f"cost estimate: no peak throughput known for precision {precision!r}")
    return peak * UTILIZATION, (f"A100 {precision} peak {peak:g} TFLOP/s at an assumed "
                                f"{UTILIZATION:.0%} utilization")


def estimate(plan, runs=None) -> dict:
    """-> {'hours': device-hours for `runs` (default: all), 'tflops' and 'basis': the assumption}."""
    tflops, basis = throughput(plan.sweep)
    overhead = float(plan.sweep.cost.get("overhead_seconds", DEFAULT_OVERHEAD_S))
    params = parameters(plan.sweep.model)
    seconds = sum(run_seconds(r, params, tflops, overhead) for r in (plan.runs if runs is None else runs))
    return {"hours": seconds / 3600, "tflops": tflops, "basis": basis, "params": params,
            "overhead_s": overhead}
