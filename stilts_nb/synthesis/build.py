"""Build a Synthesis_GPT2 set: sentence pool -> seeded split -> batched fakes -> files.

Determinism: for one configuration (corpus content, generator, seed, sizes, batch size, dtype,
sampling and sentence rule, all recorded in the sidecar), the work is cut into the same batches
in the same order, and every batch draws from a torch.Generator seeded from (seed, the example
indices in it, the retry round). A build interrupted after any batch and resumed therefore
writes the same bytes as one that ran straight through, on the same machine, software versions
and thread count (float rounding in matmuls may differ across CPUs or library versions).
"""
from __future__ import annotations

import hashlib
import json
import random
import sys
from dataclasses import asdict, dataclass, field

from ..errors import UserError
from ..hardware import kernel_family
from .corpus import Pool, SentenceRule, corpus_label, sentence_pool
from .examples import accept, label_for, length_rule_accuracy, place
from .generate import Generator, Sampling, batch_seed, load_causal_lm, resolve_dtype
from .build_files import FORMAT, BuildFiles, content_hash


@dataclass(frozen=True)
class SynthesisConfig:
    corpus: str
    generator: str
    n: int
    dev: int = 2000
    seed: int = 42
    batch_size: int = 32
    num_fakes: int = 3
    max_retries: int = 3          # extra sampling rounds for empty / duplicate fake endings
    dtype: str = "auto"
    allow_fewer: bool = False
    rule: SentenceRule = field(default_factory=SentenceRule)
    sampling: Sampling = field(default_factory=Sampling)

    def check(self) -> None:
        for name in ("n", "batch_size", "num_fakes"):
            if getattr(self, name) < 1:
                raise UserError(f"--{name.replace('_', '-')} must be at least 1")
        if self.dev < 0 or self.max_retries < 0:
            raise UserError("--dev and --max-retries must not be negative")
        if not 0 < self.sampling.top_p <= 1 or self.sampling.temperature <= 0:
            raise UserError("top_p must be in (0, 1] and temperature above 0")


@dataclass
class Item:
    index: int        # position in the seeded shuffle of the pool: the example's identity
    split: str
    premise: str      # after the tokenizer round trip
    ending: str
    prompt: list[int]
    cap: int


def select(pool: Pool, cfg: SynthesisConfig) -> tuple[list, int, int]:
    """Shuffle the pool with the seed; train = first n (the authors' set), dev = the next ones.

    Dev comes after train so the train split is the authors' selection, as long as the pool is
    the authors' list (removing a duplicate sentence before the shuffle changes the shuffle).
    """
    pairs = list(pool.pairs)
    random.Random(cfg.seed).shuffle(pairs)
    want = cfg.n + cfg.dev
    if len(pairs) < want:
        if not cfg.allow_fewer:
            raise UserError(
                f"--corpus {cfg.corpus!r} yields {len(pairs)} usable sentences, fewer than "
                f"--n {cfg.n} + --dev {cfg.dev} = {want}; pass --allow-fewer to build "
                f"{max(len(pairs) - cfg.dev, 0)} train + {cfg.dev} dev, or ask for fewer")
        if len(pairs) <= cfg.dev:
            raise UserError(f"--corpus {cfg.corpus!r} yields {len(pairs)} usable sentences, "
                            f"not more than --dev {cfg.dev}: no train examples would be left")
    n_train = min(cfg.n, len(pairs) - cfg.dev)
    return pairs[: n_train + cfg.dev], n_train, cfg.dev


def build_identity(cfg: SynthesisConfig, chosen: list, n_train: int, dtype) -> dict:
    """Everything that decides the output bytes; a different identity never shares files."""
    ident = asdict(cfg)
    ident.pop("allow_fewer")  # only matters through the sizes below
    ident.update(dtype=str(dtype).replace("torch.", ""), n_train=n_train, n_dev=len(chosen) - n_train,
                 sentences_sha256=hashlib.sha256(json.dumps(chosen).encode()).hexdigest(),
                 format=FORMAT)
    return ident


def plan(gen: Generator, chosen: list, n_train: int, batch_size: int) -> list[list[Item]]:
    """Batches, bucketed by (cap, prompt length): rows of one batch stop at about the same
    step and carry little padding. A pure function of the chosen sentences."""
    items = []
    for index, (premise, ending) in enumerate(chosen):
        premise, ending = gen.roundtrip(premise), gen.roundtrip(ending)
        prompt = gen.encode(premise)
        items.append(Item(index, "train" if index < n_train else "dev", premise, ending,
                          prompt, gen.ending_cap(ending)))
    items.sort(key=lambda it: (it.cap, len(it.prompt), it.index))
    return [items[i:i + batch_size] for i in range(0, len(items), batch_size)]


def run_batch(gen: Generator, batch: list[Item], cfg: SynthesisConfig) -> dict:
    """Fakes for one batch, resampling bad ones; returns the progress-file entry."""
    want, counts = cfg.num_fakes, {}
    fakes: dict[int, list[str]] = {it.index: [] for it in batch}
    todo = batch
    for attempt in range(cfg.max_retries + 1):
        samples = gen.sample([it.prompt for it in todo], [it.cap for it in todo], want,
                             batch_seed(cfg.seed, [it.index for it in todo], attempt))
        for it, cands in zip(todo, samples):
            before = len(fakes[it.index])
            accept(cands, it.ending, fakes[it.index], want, counts)
            if attempt:
                counts["regenerated"] = counts.get("regenerated", 0) + len(fakes[it.index]) - before
        todo = [it for it in todo if len(fakes[it.index]) < want]
        if not todo:
            break
    records = []
    for it in batch:
        if len(fakes[it.index]) < want:
            counts["dropped"] = counts.get("dropped", 0) + 1
            continue
        label = label_for(cfg.seed, it.index, want + 1)
        records.append({
            "id": f"synthesis-{it.split}-{it.index:06d}", "ctx": it.premise,
            "endings": place(it.ending, fakes[it.index], label), "label": label,
            "source": corpus_label(cfg.corpus), "generator": cfg.generator, "seed": cfg.seed,
            "index": it.index})
    return {"records": records, "counts": counts}


def build(cfg: SynthesisConfig, out, *, generator: Generator | None = None, overwrite=False,
          progress=True, on_batch=None) -> dict:
    """Build (or finish, or find already built) the set at ``out``; returns the sidecar.

    ``generator``: an already loaded one (tests, notebooks); ``on_batch(done, total)`` is
    called after each batch is safely on disk.
    """
    cfg.check()
    files = BuildFiles(out)
    pool = sentence_pool(cfg.corpus, cfg.rule)
    chosen, n_train, _ = select(pool, cfg)
    dtype = resolve_dtype(cfg.dtype)
    ident = build_identity(cfg, chosen, n_train, dtype)
    done = files.check_existing(ident, overwrite)  # before the slow model load
    if done is not None:
        return done
    if generator is None:
        model, tok = load_causal_lm(cfg.generator, dtype)
        generator = Generator(model, tok, cfg.generator, cfg.sampling)
    batches = plan(generator, chosen, n_train, cfg.batch_size)
    try:
        entries = files.resume(ident)
        bar = _bar(len(chosen), sum(len(b) for b in batches[:len(entries)]), progress)
        for k in range(len(entries), len(batches)):
            entry = {"batch": k, **run_batch(generator, batches[k], cfg)}
            files.append(entry)
            entries.append(entry)
            bar.update(len(batches[k]))
            if on_batch:
                on_batch(k + 1, len(batches))
        bar.close()
    finally:
        files.close()
    return files.finish(*_splits(entries), lambda f: _meta(cfg, ident, pool, entries, f, generator))


def _splits(entries: list[dict]) -> tuple[list, list]:
    records = sorted((r for e in entries for r in e["records"]), key=lambda r: r["index"])
    return ([r for r in records if "-train-" in r["id"]], [r for r in records if "-dev-" in r["id"]])


def _meta(cfg, ident, pool: Pool, entries, files, gen: Generator) -> dict:
    import torch
    import transformers

    counts: dict = {}
    for e in entries:
        for key, value in e["counts"].items():
            counts[key] = counts.get(key, 0) + value
    train, dev = _splits(entries)
    n_tokens = lambda text: len(gen.encode(text))  # noqa: E731 - tokens of the generator
    return {
        "format": FORMAT,
        "task": "synthesis",
        "content_sha256": content_hash(files),
        "files": files,
        "config": ident,
        "counts": {
            "corpus_paragraphs": pool.paragraphs, "corpus_sentences": pool.sentences,
            "too_short": pool.too_short, "duplicate_sentences": pool.duplicates,
            "usable_sentences": len(pool.pairs), "requested_train": cfg.n,
            "requested_dev": cfg.dev, "train": len(train), "dev": len(dev),
            "dropped": counts.pop("dropped", 0), "regenerated": counts.pop("regenerated", 0),
            **dict(sorted(counts.items())),
        },
        "artifact_report": {
            "note": "accuracy of length-only rules; fake endings are capped at the true "
                    "ending's token length, so 'longest' above chance is an artifact",
            "dev": length_rule_accuracy(dev, n_tokens),
            "train": length_rule_accuracy(train, n_tokens),
        },
        "environment": {"torch": torch.__version__, "transformers": transformers.__version__,
                        "threads": torch.get_num_threads(), "kernel": kernel_family()},
    }


def _bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, unit="ex", desc="synthesize", disable=not enabled,
                file=sys.stderr, smoothing=0.1)
