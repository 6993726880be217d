"""The task, tokenizer and model a run names, resolved and checked before any compute."""
from __future__ import annotations

from ..assets import TINY_MODELS, load_tokenizer
from ..errors import UserError
from . import batching, models


def resolve(task_name: str, model_name: str, init: str | None = None):
    """-> (task, tokenizer, weights source). Raises UserError for an unknown task or model, or an
    --init checkpoint of another model family; reads configs only, never weights."""
    from ..tasks import get_task

    task = get_task(task_name)
    tokenizer = load_tokenizer(model_name)
    base = models.inspect(model_name)
    models.task_class(task.kind, base.config)  # the family has this task's head, or one line
    if init is None:
        return task, tokenizer, base
    source = models.inspect(init)
    if source.name in TINY_MODELS:
        raise UserError("--init must be a checkpoint folder written by `stilts-nb train --save`")
    models.check_family(source, base)
    return task, tokenizer, source


def split(task, name: str, tokenizer, config, limit: int | None = None) -> batching.Examples:
    from ..tasks.encode import tokenize_split

    ds, fingerprint, ids = tokenize_split(task, name, tokenizer, max_length=config.max_length,
                                          data_dir=config.data_dir, files=config.files)
    if len(ds) == 0:
        raise UserError(f"{task.name}: the {name} split is empty")
    examples = batching.to_examples(ds, limit)
    examples.fingerprint = fingerprint  # the data's content, for the run's identity
    examples.ids = list(ids[:len(examples)])  # eval_limit keeps the first rows: the first ids
    return examples
