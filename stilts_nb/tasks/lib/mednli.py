"""MedNLI (Romanov & Shivade): clinical NLI, 3 labels. Credentialed (PhysioNet): local files only."""
from .. import readers as r
from ..base import Layout, Sample, Task
from ..samples import jsonl, splits, text

LABELS = ("entailment", "contradiction", "neutral")
IDS = {name: i for i, name in enumerate(LABELS)}


def read(path):
    return [{"id": obj.get("pairID", str(n)), "premise": r.need(obj, "sentence1", path, n),
             "hypothesis": r.need(obj, "sentence2", path, n),
             "label": r.label(r.need(obj, "gold_label", path, n), IDS, path, n)}
            for n, obj in r.jsonl(path)], [path]


def write_sample(root, size, rng):  # PhysioNet jsonl
    for split, n in splits(size):
        jsonl(root / "MedNLI" / f"mli_{split}_v1.jsonl",
              [{"sentence1": text(rng, 10, 25), "sentence2": text(rng), "pairID": f"{split}-{i}",
                "gold_label": rng.choice(["entailment", "contradiction", "neutral"])} for i in range(n)])


TASK = Task(
    name="mednli", kind="classification", metric="accuracy", max_length=80, epochs=5,
    folder="MedNLI", labels=LABELS,
    layouts=(Layout("physionet-jsonl", {"train": "mli_train_v1.jsonl", "dev": "mli_dev_v1.jsonl"},
                    read, ".jsonl"),),
    obtain="MedNLI is credentialed: download it from physionet.org/content/mednli (files "
           "mli_train_v1.jsonl, mli_dev_v1.jsonl) into <data folder>/MedNLI/",
    format=lambda ex, sep: (ex["premise"], ex["hypothesis"]),
    description="natural language inference, 2 sentences (MIMIC-III clinical notes)",
    official_sizes=(11232, 1395),
    sample=Sample(write_sample),
)
