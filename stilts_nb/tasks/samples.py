"""Small files in every official format the paper profile reads, written by the package.

The paper rehearsal (parameters/paper-rehearsal.yaml) runs the paper's notebooks on these
instead of the real data: the readers, layouts, transforms, label mappings and the SQuAD corpus
path are the real ones, only the text is random words (seeded, so the files are the same bytes
every time). Nothing here is meant to be learnable.

    write(folder, sizes)   -> the files, e.g. folder/RTE/train.jsonl, folder/squad/train-v1.1.json
"""
from __future__ import annotations

import json
import random
from pathlib import Path

WORDS = ("the a man woman child dog city river house road school market doctor teacher farmer "
         "window door garden kitchen table letter book song game plan storm winter summer night "
         "morning old new small large quiet bright cold warm early late quickly slowly always "
         "never walks opens reads writes builds carries finds loses makes takes gives sees "
         "hears paints cleans repairs visits follows and but because while after before near "
         "under over with without from into").split()
NAMES = ("Maria", "James", "Aisha", "Kenji", "Olga", "Pedro", "Fatima", "Lars", "Chen", "Nia")

# examples per file: (train, dev); HellaSwag's train must hold the paper's largest subsample
# (hellaswag-p@10000), WinoGrande's sizes keep XS < M < L.
SIZES = {"rte": (48, 32), "wic": (48, 32), "cola": (48, 32), "mednli": (48, 32),
         "socialiqa": (48, 32), "hellaswag": (10000, 32),
         "winogrande": {"xs": 24, "m": 48, "l": 96, "dev": 32}, "squad": 60}


def write(folder, sizes: dict | None = None, seed: int = 0) -> Path:
    """Write every task's files under ``folder`` (a data dir); returns it."""
    folder = Path(folder)
    sizes = {**SIZES, **(sizes or {})}
    rng = random.Random(seed)
    for task, writer in WRITERS.items():
        writer(folder, sizes[task], rng)
    return folder


def _text(rng, lo=6, hi=14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi))).capitalize() + "."


def _jsonl(path: Path, rows) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def _lines(path: Path, values) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{v}\n" for v in values), encoding="utf-8")


def _splits(sizes):
    return zip(("train", "dev"), sizes)


def _rte(root, sizes, rng):  # SuperGLUE jsonl
    for split, n in _splits(sizes):
        _jsonl(root / "RTE" / ("train.jsonl" if split == "train" else "val.jsonl"),
               [{"premise": _text(rng, 15, 30), "hypothesis": _text(rng), "idx": i,
                 "label": rng.choice(["entailment", "not_entailment"])} for i in range(n)])


def _wic(root, sizes, rng):  # the original WiC_dataset: 5 tab-separated columns + a gold file
    for split, n in _splits(sizes):
        rows, gold = [], []
        for _ in range(n):
            word = rng.choice(WORDS[3:40])
            rows.append("\t".join([word, rng.choice("NV"), f"{rng.randint(0, 5)}-{rng.randint(0, 5)}",
                                   f"{_text(rng)[:-1]} {word}.", f"{word.capitalize()} {_text(rng)}"]))
            gold.append(rng.choice("TF"))
        _lines(root / "WiC" / split / f"{split}.data.txt", rows)
        _lines(root / "WiC" / split / f"{split}.gold.txt", gold)


def _cola(root, sizes, rng):  # GLUE tsv without header: source, label, original mark, sentence
    for split, n in _splits(sizes):
        rows = []
        for _ in range(n):
            label = rng.randint(0, 1)
            rows.append("\t".join(["gj04", str(label), "" if label else "*", _text(rng)]))
        _lines(root / "CoLA" / f"{split}.tsv", rows)


def _mednli(root, sizes, rng):  # PhysioNet jsonl
    for split, n in _splits(sizes):
        _jsonl(root / "MedNLI" / f"mli_{split}_v1.jsonl",
               [{"sentence1": _text(rng, 10, 25), "sentence2": _text(rng), "pairID": f"{split}-{i}",
                 "gold_label": rng.choice(["entailment", "contradiction", "neutral"])} for i in range(n)])


def _hellaswag(root, sizes, rng):  # rowanz jsonl
    for split, n in _splits(sizes):
        _jsonl(root / "HellaSwag" / ("hellaswag_train.jsonl" if split == "train" else "hellaswag_val.jsonl"),
               [{"ind": i, "activity_label": rng.choice(WORDS), "ctx_a": _text(rng),
                 "ctx_b": " ".join(rng.choice(WORDS) for _ in range(3)), "split": split,
                 "split_type": "indomain", "label": rng.randint(0, 3), "source_id": f"s{i}",
                 "endings": [_text(rng, 4, 10) for _ in range(4)]} for i in range(n)])


def _socialiqa(root, sizes, rng):  # allenai jsonl + a labels file (1/2/3)
    for split, n in _splits(sizes):
        name = "train" if split == "train" else "dev"
        _jsonl(root / "SocialIQA" / f"{name}.jsonl",
               [{"context": _text(rng, 10, 20), "question": f"What will {rng.choice(NAMES)} want to do next?",
                 **{f"answer{c}": _text(rng, 3, 6) for c in "ABC"}} for _ in range(n)])
        _lines(root / "SocialIQA" / f"{name}-labels.lst", [rng.randint(1, 3) for _ in range(n)])


def _winogrande(root, sizes, rng):  # allenai jsonl with the answer in each row
    def rows(n):
        out = []
        for i in range(n):
            a, b = rng.sample(NAMES, 2)
            out.append({"qID": f"q{i}", "sentence": f"{a} {_text(rng, 4, 8)[:-1].lower()} than {b} "
                                                    f"because _ {_text(rng, 3, 6).lower()}",
                        "option1": a, "option2": b, "answer": str(rng.randint(1, 2))})
        return out

    for size in ("xs", "m", "l"):
        _jsonl(root / "WinoGrande" / f"train_{size}.jsonl", rows(sizes[size]))
    _jsonl(root / "WinoGrande" / "dev.jsonl", rows(sizes["dev"]))


def _squad(root, n, rng):
    """SQuAD v1.1 train: paragraphs of long sentences, as the Synthesis builder cuts them (at
    least 20 words each, split on '. ')."""
    paragraphs = [{"context": ". ".join(_text(rng, 22, 30)[:-1] for _ in range(3)) + ".",
                   "qas": [{"id": f"q{i}", "question": "What?", "answers": [{"answer_start": 0, "text": "x"}]}]}
                  for i in range(n)]
    path = root / "squad" / "train-v1.1.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"version": "1.1", "data": [{"title": "Rehearsal", "paragraphs": paragraphs}]}),
                    encoding="utf-8")


WRITERS = {"rte": _rte, "wic": _wic, "cola": _cola, "mednli": _mednli, "hellaswag": _hellaswag,
           "socialiqa": _socialiqa, "winogrande": _winogrande, "squad": _squad}
