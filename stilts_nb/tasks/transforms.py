"""Generic, seeded task variants, so a variant is a name and not a copy of a dataset.

    -p    drop the premise: each choice is its ending alone (HellaSwag-p)
    -sh   shuffle the words of every wrong ending (Hella-sh)
    @N    keep a seeded subsample of N training examples; smaller N are nested in larger N
          (the same permutation, cut shorter), and dev is never subsampled

Names combine as task[-transform...][@N], e.g. ``hellaswag-p@2000``.
"""
from __future__ import annotations

import random
import re
from dataclasses import replace

from ..errors import UserError

TRANSFORMS = {"p": "drop the premise", "sh": "shuffle the words of the wrong endings"}
SEED = 42  # fixed: a variant name must mean the same data everywhere
NAME = re.compile(r"^(?P<base>[a-z0-9_]+)(?P<transforms>(-[a-z]+)*)(@(?P<n>\d+))?$")


def parse(name: str) -> tuple:
    """'hellaswag-p@2000' -> ('hellaswag', ('p',), 2000)."""
    match = NAME.match(name.strip().lower())
    if not match:
        raise UserError(f"task name {name!r} is not of the form task[-transform][@N], e.g. hellaswag-p@2000")
    transforms = tuple(t for t in match["transforms"].split("-") if t)
    for t in transforms:
        if t not in TRANSFORMS:
            known = ", ".join(f"-{k} ({v})" for k, v in TRANSFORMS.items())
            raise UserError(f"task name {name!r}: unknown transform -{t}; known: {known}")
    if len(set(transforms)) != len(transforms):
        raise UserError(f"task name {name!r}: a transform is repeated")
    # the transforms commute (-p changes the formatting, -sh the wrong endings), so one order is
    # the name: hellaswag-sh-p is hellaswag-p-sh, one run identity
    transforms = tuple(t for t in TRANSFORMS if t in transforms)
    n = int(match["n"]) if match["n"] else None
    if n == 0:
        raise UserError(f"task name {name!r}: @N needs N > 0")
    return match["base"], transforms, n


def derive(task, transforms: tuple, n: int | None):
    """The Task of a variant: its name, settings and formatting."""
    if transforms and task.kind != "multiple_choice":
        raise UserError(f"transforms -{' -'.join(transforms)} apply to multiple-choice tasks; "
                        f"{task.name} is {task.kind}")
    name = task.name + "".join(f"-{t}" for t in transforms) + (f"@{n}" if n else "")
    overrides = {}
    for t in transforms:
        overrides.update(task.variants.get(t, {}))
    fmt = (lambda ex, ending, sep: (ending, None)) if "p" in transforms else task.format
    return replace(task, name=name, format=fmt, transforms=transforms, subsample=n, **overrides)


def apply(task, examples: list, split: str) -> list:
    """Apply the task's data transforms to raw examples of one split."""
    if "sh" in task.transforms:
        examples = [shuffle_wrong_endings(ex) for ex in examples]
    if task.subsample and split == "train":
        if task.subsample > len(examples):
            raise UserError(f"{task.name}: asked for {task.subsample} training examples, "
                            f"the training set has {len(examples)}")
        order = list(range(len(examples)))
        random.Random(SEED).shuffle(order)
        examples = [examples[i] for i in sorted(order[:task.subsample])]
    return examples


def shuffle_wrong_endings(ex: dict) -> dict:
    # one generator per example, seeded by its id: the result does not depend on file order
    rng = random.Random(f"{SEED}:{ex['id']}")
    endings = []
    for i, ending in enumerate(ex["endings"]):
        words = ending.split()
        if i != ex["label"]:
            rng.shuffle(words)
        endings.append(" ".join(words))
    return {**ex, "endings": endings}
