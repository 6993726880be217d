"""WinoGrande (Sakaguchi et al.): fill the blank `_` with one of two names; five training sizes.

Formatting as the official allenai code: split at the first `_`; the first segment is the text
before it, unchanged; the second is "_ " + the rest, stripped, with `_` replaced by the option.
"""
from dataclasses import replace

from ...errors import UserError, where
from .. import readers as r
from ..base import Hub, Layout, Sample, Task
from ..samples import NAMES, jsonl, text

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


def write_sample(root, size, rng):  # allenai jsonl with the answer in each row; XS < M < L only
    def rows(n):
        out = []
        for i in range(n):
            a, b = rng.sample(NAMES, 2)
            out.append({"qID": f"q{i}", "sentence": f"{a} {text(rng, 4, 8)[:-1].lower()} than {b} "
                                                    f"because _ {text(rng, 3, 6).lower()}",
                        "option1": a, "option2": b, "answer": str(rng.randint(1, 2))})
        return out

    for split in ("xs", "m", "l"):
        jsonl(root / "WinoGrande" / f"train_{split}.jsonl", rows(size[split]))
    jsonl(root / "WinoGrande" / "dev.jsonl", rows(size["dev"]))


BASE = Task(
    name="winogrande", kind="multiple_choice", metric="accuracy", max_length=50, epochs=5,
    folder="WinoGrande", num_choices=2, layouts=(), format=fill,
    description="commonsense coreference, 2 options (crowdsourcing)",
    sample=Sample(write_sample, {"xs": 24, "m": 48, "l": 96, "dev": 32}),
)
# Epochs: XS 10, M 5, L 4 are the authors'; S and XL are not in the paper (our choice: 10 and 4).
EPOCHS = {"xs": 10, "s": 10, "m": 5, "l": 4, "xl": 4}
TRAIN_SIZES = {"xs": 160, "s": 640, "m": 2558, "l": 10234, "xl": 40398}  # one dev set of 1267
TASKS = [
    replace(BASE, name=f"winogrande_{size}", epochs=epochs, official_sizes=(TRAIN_SIZES[size], 1267),
            layouts=(Layout("allenai-jsonl", {"train": f"train_{size}.jsonl", "dev": "dev.jsonl"}, read, ".jsonl"),),
            hub=Hub("allenai/winogrande", f"winogrande_{size}", {"train": "train", "dev": "validation"},
                    lambda row, i: {"id": str(i), "sentence": row["sentence"],
                                    "endings": [row["option1"], row["option2"]],
                                    "label": ANSWERS[row["answer"]]},
                    # a commit two public projects pin, one reading winogrande_xl's parquet at it
                    revision="01e74176c63542e6b0bcb004dcdea22d94fb67b5",
                    test_row={"sentence": "Ann thanked Bo because _ helped.", "option1": "Ann",
                              "option2": "Bo", "answer": "2"},
                    test_inputs=("Ann thanked Bo because ", "Bo helped.", 1)))
    for size, epochs in EPOCHS.items()
]
