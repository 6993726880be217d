"""Small files in every official format the paper profile reads, written by the task files.

The paper rehearsal (parameters/paper-rehearsal.yaml) runs the paper's notebooks on these
instead of the real data, and the tests train on them: the readers, layouts, transforms, label
mappings and the SQuAD corpus path are the real ones, only the text is random words (seeded, so
the files are the same bytes every time). Nothing here is meant to be learnable.

Each task file declares its writer (``Task.sample``, base.Sample); this module holds the words
they draw from and runs them all:

    write(folder, sizes)             -> every file, e.g. folder/RTE/train.jsonl, folder/squad/train-v1.1.json
    write_task(folder, "rte", size)  -> one task file's sample alone

``sizes`` overrides a writer's size by the name of its task file ("rte", "winogrande"), or of
the SQuAD corpus ("squad").
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from ..errors import UserError

WORDS = ("the a man woman child dog city river house road school market doctor teacher farmer "
         "window door garden kitchen table letter book song game plan storm winter summer night "
         "morning old new small large quiet bright cold warm early late quickly slowly always "
         "never walks opens reads writes builds carries finds loses makes takes gives sees "
         "hears paints cleans repairs visits follows and but because while after before near "
         "under over with without from into").split()
NAMES = ("Maria", "James", "Aisha", "Kenji", "Olga", "Pedro", "Fatima", "Lars", "Chen", "Nia")

# The writers that existed before they moved into the task files draw, in this order, from one
# shared random stream, so their files (and the rehearsal's outputs made from them) keep their
# bytes. A task added since draws from a stream of its own, seeded by its file's name, so adding
# one changes no other task's files.
SHARED_STREAM = ("rte", "wic", "cola", "mednli", "hellaswag", "socialiqa", "winogrande", "squad")
SQUAD_SIZE = 60  # paragraphs: enough sentences for the rehearsal's Synthesis build


def write(folder, sizes: dict | None = None, seed: int = 0) -> Path:
    """Write every task's sample files under ``folder`` (a data dir); returns it."""
    folder = Path(folder)
    sizes = sizes or {}
    writers = _writers()
    unknown = set(sizes) - set(writers)
    if unknown:  # a misspelt name would silently write the default size
        raise UserError(f"samples.write: no sample writer named {', '.join(sorted(unknown))}; "
                         f"known: {', '.join(writers)}")
    shared = random.Random(seed)
    for name, (writer, size) in writers.items():
        rng = shared if name in SHARED_STREAM else random.Random(f"{seed}:{name}")
        writer(folder, sizes.get(name, size), rng)
    return folder


def write_task(folder, name: str, size=None, seed: int = 0) -> Path:
    """Write one writer's files alone (e.g. "rte" for a test about sweeps, not tasks), from a
    stream of its own: the same bytes for the same seed, not those of a full `write`."""
    writers = _writers()
    if name not in writers:
        raise UserError(f"samples.write_task: no sample writer named {name!r}; known: {', '.join(writers)}")
    writer, default = writers[name]
    writer(Path(folder), default if size is None else size, random.Random(seed))
    return Path(folder)


def _writers() -> dict:
    """name -> (write, default size): the shared stream's in its order, then every other task
    file's in name order. Tasks of one file (WinoGrande's sizes) share one writer."""
    from . import TASKS

    found = {"squad": (write_squad, SQUAD_SIZE)}
    for task in TASKS.values():
        if task.sample is not None:
            found.setdefault(task.sample.write.__module__.rpartition(".")[2],
                             (task.sample.write, task.sample.size))
    first = [name for name in SHARED_STREAM if name in found]
    return {name: found[name] for name in first + sorted(set(found) - set(first))}


def text(rng, lo=6, hi=14) -> str:
    """A random sentence of lo..hi words, capitalized, with a full stop."""
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi))).capitalize() + "."


def jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def lines(path: Path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{v}\n" for v in values), encoding="utf-8")


def splits(size):
    """(split, examples) for a (train, dev) size."""
    return zip(("train", "dev"), size)


def write_squad(root, n, rng):
    """SQuAD v1.1 train, the Synthesis builder's corpus (not a task): paragraphs of long sentences,
    as the builder cuts them (at least 20 words each, split on '. ')."""
    paragraphs = [{"context": ". ".join(text(rng, 22, 30)[:-1] for _ in range(3)) + ".",
                   "qas": [{"id": f"q{i}", "question": "What?", "answers": [{"answer_start": 0, "text": "x"}]}]}
                  for i in range(n)]
    path = root / "squad" / "train-v1.1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "Rehearsal", "paragraphs": paragraphs}]}),
                    encoding="utf-8")
