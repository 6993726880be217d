"""WinoGrande (Sakaguchi et al.): fill the blank `_` with one of two names; five training sizes.

Formatting as the official allenai code: split at the first `_`; the first segment is the text
before it, unchanged; the second is "_ " + the rest, stripped, with `_` replaced by the option.
"""
from dataclasses import replace

from ..errors import UserError, where
from . import readers as r
from .base import Hub, Layout, Task

ANSWERS = {"1": 0, "2": 1}


def read(path):
    examples, rows = [], list(r.jsonl(path))
    for n, obj in rows:
        sentence = r.need(obj, "sentence", path, n)
        if "_" not in sentence:
            raise UserError(f"{where(path, n)}: sentence has no blank '_': {sentence[:60]!r}")
        ex = {"id": obj.get("qID", str(n)), "sentence": sentence,
              "endings": [r.need(obj, "option1", path, n), r.need(obj, "option2", path, n)]}
        if "answer" in obj:
            ex["label"] = r.label(str(obj["answer"]), ANSWERS, path, n)
        examples.append(ex)
    labels = path.with_name(path.stem + "-labels.lst")
    if all("label" in ex for ex in examples):
        return examples, [path]
    if not labels.exists():
        raise UserError(f"{path}: rows without an 'answer' field and no labels file {labels.name}")
    return r.with_labels(path, examples, labels, ANSWERS), [path, labels]


def fill(ex, option, sep):
    cut = ex["sentence"].index("_")
    return ex["sentence"][:cut], ("_ " + ex["sentence"][cut + 1:].strip()).replace("_", option)


BASE = Task(
    name="winogrande", kind="multiple_choice", metric="accuracy", max_length=50, epochs=5,
    folder="WinoGrande", num_choices=2, layouts=(), format=fill,
    description="commonsense coreference, 2 options (crowdsourcing)",
)
# Epochs: XS 10, M 5, L 4 are the authors'; S and XL are not in the paper (our choice: 10 and 4).
EPOCHS = {"xs": 10, "s": 10, "m": 5, "l": 4, "xl": 4}
TASKS = [
    replace(BASE, name=f"winogrande_{size}", epochs=epochs,
            layouts=(Layout("allenai-jsonl", {"train": f"train_{size}.jsonl", "dev": "dev.jsonl"}, read, ".jsonl"),),
            hub=Hub("allenai/winogrande", f"winogrande_{size}", {"train": "train", "dev": "validation"},
                    lambda row, i: {"id": str(i), "sentence": row["sentence"],
                                    "endings": [row["option1"], row["option2"]],
                                    "label": ANSWERS[row["answer"]]},
                    # a commit two public projects pin, one reading winogrande_xl's parquet at it
                    revision="01e74176c63542e6b0bcb004dcdea22d94fb67b5"))
    for size, epochs in EPOCHS.items()
]
