"""A rough price for a plan, in device-hours, from FLOPs: before anyone books 1000 GPU runs.

Training costs about 6 x parameters FLOPs per token (forward + backward), evaluation 2 x. Tokens
are counted as every sequence at its max length (x choices for multiple choice): an upper bound,
since dynamic padding trains on fewer. The device's *effective* throughput is an assumption the
sweep file states (``cost.effective_tflops``); the default, 40 TFLOP/s, is an A100-class GPU at
about a third of its dense bf16/TF32 peak, typical for short-sequence encoder fine-tuning. A fixed
overhead per run covers loading the model and data.
"""
from __future__ import annotations

import json
from pathlib import Path

DEFAULT_TFLOPS = 40.0
DEFAULT_OVERHEAD_S = 30.0
# Official training-set sizes (the paper's Table 1 and the datasets' papers), used when the data
# is not on this machine (a dry run of the paper's design on a laptop).
# Synthesis: the paper's 30k train; the dev size is what `stilts-nb synthesis` builds (--dev 2000).
OFFICIAL = {"hellaswag": (39905, 10042), "synthesis": (30000, 2000), "mednli": (11232, 1395),
            "cola": (8551, 1043), "rte": (2490, 277), "wic": (5428, 638),
            "socialiqa": (33410, 1954), "winogrande_xs": (160, 1267), "winogrande_s": (640, 1267),
            "winogrande_m": (2558, 1267), "winogrande_l": (10234, 1267),
            "winogrande_xl": (40398, 1267)}
KNOWN_PARAMS = {"roberta-large": 355e6, "roberta-base": 125e6, "bert-base-uncased": 110e6,
                "bert-large-uncased": 335e6, "FacebookAI/roberta-large": 355e6}


def parameters(model: str) -> float:
    if model in KNOWN_PARAMS:
        return KNOWN_PARAMS[model]
    try:
        from ..assets import TINY_MODELS, resolve_model, tiny_config

        if model in TINY_MODELS:
            cfg = tiny_config(model, 30522).to_dict()
        else:
            cfg = json.loads((Path(resolve_model(model).path) / "config.json").read_text())
        h, layers = cfg["hidden_size"], cfg["num_hidden_layers"]
        inner = cfg.get("intermediate_size", 4 * h)
        return layers * (4 * h * h + 2 * h * inner) + cfg.get("vocab_size", 30522) * h
    except Exception:  # noqa: BLE001 -- unknown to us offline: assume RoBERTa-large
        return KNOWN_PARAMS["roberta-large"]


def run_seconds(run, params: float, tflops: float, overhead: float) -> float:
    from ..tasks import get_task

    c = run.config
    task = get_task(c["task"])
    official = OFFICIAL.get(task.base, (10000, 1000))
    train = run.train_size if run.train_size is not None else min(
        task.subsample or official[0], c["train_limit"] or official[0])
    dev = run.dev_size if run.dev_size is not None else min(official[1], c["eval_limit"] or official[1])
    per_example = c["max_length"] * max(task.num_choices, 1)
    flops = 6 * params * train * per_example * c["epochs"] + 2 * params * dev * per_example
    return flops / (tflops * 1e12) + overhead


def estimate(plan, runs=None) -> dict:
    """-> {'hours': device-hours for `runs` (default: all), 'tflops': the assumption used}."""
    cost = plan.sweep.cost
    tflops = float(cost.get("effective_tflops", DEFAULT_TFLOPS))
    overhead = float(cost.get("overhead_seconds", DEFAULT_OVERHEAD_S))
    params = parameters(plan.sweep.model)
    seconds = sum(run_seconds(r, params, tflops, overhead) for r in (plan.runs if runs is None else runs))
    return {"hours": seconds / 3600, "tflops": tflops, "params": params, "overhead_s": overhead}
