"""Build the model of a run: the task's head on an encoder, with head-aware weight transfer.

The transfer rule (see docs/training.md):
- the encoder always comes from the source (the pretrained model or an intermediate
  checkpoint), including its pooler when the source has one;
- multiple choice -> multiple choice keeps the scoring head (a single "choice score" unit,
  whatever the number of choices): this is what makes zero-shot transfer possible;
- a classification head is new by default, even where the shapes happen to match (CoLA -> WiC
  both have two labels, but the labels mean different things); ``keep_head`` keeps one whose
  shapes all match, as the authors' ``from_pretrained`` did (the paper profile sets it), and
  builds a new one where they differ (CoLA -> MedNLI: 2 labels vs 3), saying why;
- multiple choice <-> classification: always a new head.
Every new parameter is initialized right after ``set_seed(seed)``, so the seed alone fixes the
new head. Each run records the parameter-name prefixes that were transferred and that are new.
"""
from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import torch

from ..assets import TINY_MODELS, load_tokenizer, resolve_model
from ..errors import UserError
from ..families import FAMILIES
from ..tiny_models import config as tiny_config

# Architecture facts that must agree between --model and an --init checkpoint.
FAMILY_KEYS = ("model_type", "hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size")
TINY_ENCODERS = ("tiny:bert", "tiny:roberta", *FAMILIES)
# every family names its dropouts its own way (families.py): BERT/RoBERTa/ELECTRA/DeBERTa the
# first pair, DistilBERT dropout/attention_dropout/seq_classif_dropout, ALBERT
# classifier_dropout_prob, DeBERTa pooler_dropout, ELECTRA's multiple-choice summary
# summary_last_dropout, ModernBERT embedding/mlp/attention/classifier dropout
DROPOUT_KEYS = ("hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout",
                "dropout", "attention_dropout", "seq_classif_dropout", "classifier_dropout_prob",
                "pooler_dropout", "summary_last_dropout", "embedding_dropout", "mlp_dropout")


@dataclass
class Source:
    """Where a run's weights come from: a folder or hub id, with its loaded config."""

    name: str
    path: str
    config: object
    kind: str          # "multiple_choice" | "classification" | "encoder" (no task head)


def quiet_transformers() -> None:
    """Loading reports and weight-loading bars are noise when hundreds of runs load models."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()


def inspect(name: str) -> Source:
    """Resolve a model name or checkpoint folder and read its config (cheap: no weights)."""
    from transformers import AutoConfig

    quiet_transformers()
    if name in TINY_MODELS:
        if name not in TINY_ENCODERS:
            raise UserError(f"model {name!r} is a causal LM; fine-tuning needs an encoder, one of "
                            f"{', '.join(TINY_ENCODERS)}")
        return _tiny_source(name)
    src = resolve_model(name)
    if src.gguf_file:
        raise UserError(f"model {name!r} is a GGUF causal LM, not an encoder to fine-tune")
    local = Path(src.path)
    if (name.startswith((".", "/")) or local.exists()) and not (local / "config.json").exists():
        raise UserError(f"model {name!r}: {local} is not a model folder (no config.json)")
    if local.is_dir() and not any(local.glob("*.safetensors")):
        raise UserError(f"model {name!r}: {local} has no .safetensors weights (pickle files are not loaded)")
    try:
        config = AutoConfig.from_pretrained(src.path, trust_remote_code=False)
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"unknown model {name!r}: not a local folder, package model or cached hub id ({first[:160]})") from None
    return Source(name, src.path, config, _kind(config))


def check_family(init: Source, base: Source) -> None:
    """An --init checkpoint must be the same architecture as --model (one clear line, no compute)."""
    diff = [k for k in FAMILY_KEYS if getattr(init.config, k, None) != getattr(base.config, k, None)]
    if diff:
        def describe(s):
            return ", ".join(f"{k}={getattr(s.config, k, None)}" for k in diff)
        raise UserError(f"--init {init.name} does not fit the model family of --model {base.name}: "
                        f"checkpoint has {describe(init)}, model has {describe(base)}")


def task_class(kind: str, config):
    """The transformers class of the task model for this config's family, or one line saying
    the family has no such head (checked before any compute)."""
    import transformers
    from transformers.models.auto import modeling_auto as auto

    names = (auto.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES if kind == "classification"
             else auto.MODEL_FOR_MULTIPLE_CHOICE_MAPPING_NAMES)
    name = names.get(config.model_type)
    if name is None or not hasattr(transformers, name):
        what = "classification" if kind == "classification" else "multiple-choice"
        raise UserError(f"model family {config.model_type!r} has no {what} head in transformers "
                        f"{transformers.__version__}: it cannot train this task")
    return getattr(transformers, name)


def attention_for(task, source: Source, asked: str, resolved: str) -> str:
    """The attention kernel a run uses: `resolved` (auto already resolved for the device), but
    eager where the family has no sdpa path (DeBERTa) and auto was asked; sdpa asked explicitly
    of such a family is refused in one line, before any compute."""
    cls = task_class(task.kind, source.config)
    if resolved != "sdpa" or cls._supports_sdpa:
        return resolved
    if asked == "auto":
        return "eager"
    raise UserError(f"attention sdpa: model family {source.config.model_type!r} ({cls.__name__}) has "
                    "no sdpa attention in transformers; use attention eager or auto")


def build(task, source: Source, seed: int, keep_head: bool = False, dropout: float | None = None,
          attention: str | None = None):
    """The task model with source weights per the transfer rule -> (model, transfer record).
    `attention`: transformers' attn_implementation ("sdpa" or "eager"; resolved, never auto);
    None (zero-shot scoring) is sdpa where the family has it, else eager."""
    from accelerate.utils import set_seed

    quiet_transformers()
    config = source.config.__class__.from_dict(source.config.to_dict())  # never mutate the source
    cls = task_class(task.kind, config)
    attention = attention or ("sdpa" if cls._supports_sdpa else "eager")
    if task.kind == "classification":
        config.num_labels = task.num_labels
        config.id2label = {i: str(label) for i, label in enumerate(task.labels)}
        config.label2id = {v: k for k, v in config.id2label.items()}
    if dropout is not None:
        for key in DROPOUT_KEYS:
            if hasattr(config, key):
                setattr(config, key, dropout)
    set_seed(seed)
    model, info = cls.from_pretrained(source.path, config=config, output_loading_info=True,
                                      ignore_mismatched_sizes=True, dtype=torch.float32,
                                      use_safetensors=True, trust_remote_code=False,
                                      attn_implementation=attention)
    names = [n for n, _ in model.named_parameters()]
    mismatched = {m[0] if isinstance(m, tuple) else m for m in info.get("mismatched_keys", ())}
    loaded = set(names) - set(info["missing_keys"]) - mismatched
    prefix = model.base_model_prefix + "."
    head = {n for n in names if not n.startswith(prefix)}
    keep, reason = head_rule(task, source, keep_head, fits=not (head - loaded))
    new = (set(names) - loaded) | (set() if keep else head)  # a head is kept whole or not at all
    _reinit(model, new, seed)
    record = {"transferred": prefixes(names, set(names) - new), "new": prefixes(names, new),
              "head_transferred": bool(head) and not (head & new), "head_reason": reason,
              "source": source.name, "source_kind": source.kind, "family": config.model_type}
    return model, record


def head_rule(task, source: Source, keep_head: bool, fits: bool) -> tuple:
    """-> (keep the source's head?, why), per the transfer rule in the module docstring.

    `fits`: every head parameter of the task model was loaded from the source with its shape.
    RoBERTa's classification head is a dense layer plus an output layer: with 2 labels in the
    checkpoint and 3 in the task only the output layer misfits, and the head is still new as a
    whole (the authors' transformers refused a checkpoint whose shapes did not match).
    """
    if source.kind == "encoder":
        return False, "new head: the source has no task head"
    if source.kind != task.kind:
        return False, f"new head: the source's head is {source.kind}, the task is {task.kind}"
    if task.kind == "multiple_choice":
        return True, "kept: multiple choice -> multiple choice (one choice-score unit)"
    if not keep_head:
        return False, "new head: keep_head is off (a classification head is new by default)"
    if not fits:
        had = getattr(source.config, "num_labels", "?")
        return False, (f"new head: keep_head is on but the shapes differ (the checkpoint's head "
                       f"has {had} labels, {task.name} has {task.num_labels})")
    return True, "kept: keep_head is on and the classification head's shapes match"


def _reinit(model, new: set, seed: int) -> None:
    """Initialize every new parameter with the model's own init, after set_seed(seed)."""
    from accelerate.utils import set_seed

    owners = sorted({n.rsplit(".", 1)[0] for n in new})
    set_seed(seed)
    with torch.no_grad():
        for owner in owners:
            module = model.get_submodule(owner)
            for p in module.parameters(recurse=False):
                p._is_hf_initialized = False  # the init helpers skip tensors flagged as loaded
            model._init_weights(module)


def prefixes(names: list, chosen: set) -> list:
    """The shortest parameter-name prefixes covering exactly `chosen` (e.g. ["bert", "classifier"])."""
    out = []

    def walk(prefix: str, members: list):
        inside = [n for n in members if n in chosen]
        if not inside:
            return
        if len(inside) == len(members):
            out.append(prefix)
            return
        children = {}
        for n in members:
            rest = n[len(prefix) + 1:] if prefix else n
            children.setdefault(rest.split(".", 1)[0], []).append(n)
        for child, group in children.items():
            walk(f"{prefix}.{child}" if prefix else child, group)

    walk("", list(names))
    return sorted(out) if out != [""] else sorted({n.split(".", 1)[0] for n in names})


def _kind(config) -> str:
    arch = " ".join(getattr(config, "architectures", None) or [])
    if "ForMultipleChoice" in arch:
        return "multiple_choice"
    if "ForSequenceClassification" in arch:
        return "classification"
    return "encoder"


@functools.lru_cache(maxsize=16)  # every tiny encoder (tiny:bert, tiny:roberta, families.py)
def _tiny_source(name: str) -> Source:
    """A tiny encoder as a 'pretrained' folder: random weights fixed by seed 0, saved once per
    process, so it goes through exactly the same loading and transfer path as a real model."""
    from accelerate.utils import set_seed
    from transformers import AutoModel

    config = tiny_config(name, load_tokenizer(name))
    set_seed(0)
    folder = tempfile.mkdtemp(prefix=f"stilts-{name.replace(':', '-')}-")
    atexit.register(shutil.rmtree, folder, True)
    AutoModel.from_config(config).save_pretrained(folder)
    config = config.__class__.from_pretrained(folder)
    return Source(name, folder, config, "encoder")
