"""Frozen encoder features for notebook 07: every hidden layer of the pretrained encoder and of
each intermediate checkpoint, on the same subsample of a target's training examples.

- Examples: a seeded subsample of ``examples`` training examples of the target (the same rows
  for every model, as CKA requires), tokenized exactly as training tokenizes them.
- Multiple choice: every (example, choice) sequence is a row, labelled 1 for the right choice:
  the frozen encoder scores choices one at a time, as the fine-tuned one does.
- Pooling: the mean over a sequence's tokens, and its first token (CLS / <s>: the paper's
  Appendix C guesses intermediates "summarize the semantic-level information to the [CLS] token").
- Batched (``batch_size`` sequences), on the GPU when there is one, in bf16 autocast where the
  runs computed in bf16 and this machine has native bf16; features are kept in float32, one
  target at a time.
"""
from __future__ import annotations

import numpy as np
import torch
from tqdm.auto import tqdm

from ..tasks import get_task
from ..tasks.encode import tokenize_split

SUBSAMPLE_SEED = 0  # the same rows on every rerun and for every model


def extract_all(st, target: str, models: list, values: dict, log=print) -> tuple:
    """-> ({model id: {pooling: [per-layer (rows, hidden) float32 arrays]}}, labels, the example
    each row comes from)."""
    from ..assets import load_tokenizer
    from ..training import batching

    task = get_task(target)
    tokenizer = load_tokenizer(st.spec["model"])
    files = st.spec.get("task_settings", {}).get(task.base, {}).get("files")
    data = tokenize_split(task, "train", tokenizer, data_dir=st.spec.get("data_dir"), files=files).dataset
    rows = np.random.default_rng(SUBSAMPLE_SEED).permutation(len(data))[:values["examples"]]
    examples = batching.to_examples(data.select(sorted(rows.tolist())))
    collate = batching.make_collator(tokenizer, task.kind, None)
    labels = np.asarray(examples.labels)
    choices = task.num_choices if task.kind == "multiple_choice" else None
    groups = np.arange(len(labels))
    if choices:  # one row per (example, choice): 1 where it is the right one
        labels = (np.repeat(labels, choices) == np.tile(np.arange(choices), len(labels))).astype(int)
        groups = np.repeat(groups, choices)
    from ..hardware import resolve_precision

    # bf16 where the runs were, if this machine computes it natively: emulated bf16 on an
    # AVX2-only CPU runs ~100x slower than fp32 (README, "Precision")
    recorded = "bf16" in set(st.runs["precision"]) | set(st.checkpoints["precision"])
    bf16 = recorded and resolve_precision("auto") == "bf16"
    log(f"{target}: {len(examples)} training examples ({len(labels)} sequences), "
        f"{'bf16' if bf16 else 'fp32'}{' (the runs: bf16; this machine has no native bf16)' if recorded and not bf16 else ''}, "
        f"{len(models)} encoders")
    feats = {ident: _features(_encoder(st.spec["model"], path), examples, collate, values["batch_size"],
                              bf16, f"{target} · {label}")
             for ident, label, path in models}
    return feats, labels, groups


def _encoder(model_name: str, checkpoint: str | None):
    """The encoder without any task head: the pretrained model, or a checkpoint's encoder."""
    from transformers import AutoModel

    from ..training import models

    models.quiet_transformers()
    source = models.inspect(checkpoint or model_name)
    return AutoModel.from_pretrained(source.path, dtype=torch.float32, use_safetensors=True)


def _features(encoder, examples, collate, batch_size: int, bf16: bool, desc: str) -> dict:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    encoder.to(device).eval()
    out = {p: [] for p in ("mean", "first")}
    starts = range(0, len(examples), batch_size)
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for start in tqdm(starts, desc=desc, leave=False):
            batch = collate([examples.rows[i] for i in range(start, min(start + batch_size, len(examples)))])
            batch.pop("labels", None)
            # multiple choice comes as (examples, choices, tokens): the encoder sees each sequence
            batch = {k: v.reshape(-1, v.shape[-1]).to(device) for k, v in batch.items()}
            states = encoder(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].unsqueeze(-1).float()
            out["mean"].append([((h.float() * mask).sum(1) / mask.sum(1)).cpu() for h in states])
            out["first"].append([h[:, 0].float().cpu() for h in states])
    encoder.to("cpu")
    del encoder
    return {p: [torch.cat(layer).numpy() for layer in zip(*chunks)] for p, chunks in out.items()}
