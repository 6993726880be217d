"""Notebook 00: build a Synthesis set and show what came out."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..tasks import get_task, load
from ..wording import POINT_DECIMALS


def build_synthesis(corpus: str, generator: str, n: int, dev: int, seed: int, batch_size: int, out: str,
                    generator_precision: str = "auto") -> dict:
    """Build (or resume, or read back) a Synthesis set; returns its sidecar, after printing the
    precision and kernels its fakes were sampled in (they decide which fakes come out)."""
    from ..synthesis import SynthesisConfig, build

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    config = SynthesisConfig(corpus=corpus, generator=generator, n=n, dev=dev, seed=seed, batch_size=batch_size,
                             dtype=generator_precision)
    meta = build(config, out, progress=False)
    print(generator_precision_line(meta))
    return meta


def generator_precision_line(meta: dict) -> str:
    """'generator precision: fp32 (AVX2)', from the build's sidecar."""
    short = {"float32": "fp32", "bfloat16": "bf16"}
    dtype = meta["config"]["dtype"]
    kernel = meta.get("environment", {}).get("kernel", "kernel unrecorded")
    return f"generator precision: {short.get(dtype, dtype)} ({kernel})"


def synthesis_counts(meta: dict) -> pd.DataFrame:
    return pd.DataFrame(sorted(meta["counts"].items()), columns=["count", "value"])


def synthesis_examples(out: str, k: int) -> pd.DataFrame:
    """The first k training examples, one row each; `label` is the position of the real ending,
    which is also marked with a leading "✓"."""
    rows = load(get_task("synthesis"), "train", files={"train": Path(out).resolve()}).examples[:k]
    return pd.DataFrame([{"premise": r["ctx"], "label": r["label"],
                          **{f"ending {i}": ("✓ " if i == r["label"] else "") + e
                             for i, e in enumerate(r["endings"])}} for r in rows])


def synthesis_artifacts(meta: dict) -> pd.DataFrame:
    """Length-only rule accuracy per split, ×100 like every score in a report (chance is 25)."""
    report = meta["artifact_report"]
    table = pd.DataFrame([{"split": split, **values} for split, values in report.items() if isinstance(values, dict)])
    scores = [c for c in table.columns if c == "chance" or c.endswith("_accuracy")]
    table[scores] = (100 * table[scores]).round(POINT_DECIMALS)
    return table
