"""SocialIQA (Sap et al.): commonsense QA about social situations, 3 answers.

Each choice is (context + sep + question, answer). The authors trained on an undocumented
modified file ("clip60"); we use the full official 33,410 training examples.
"""
from . import readers as r
from .base import Hub, Layout, Task


def read(path):
    # ids are row positions from 0, as the hub copy's, so a local and a hub run of one split
    # name their examples alike (the -sh shuffle is seeded by id)
    examples = [{"id": str(i), "context": r.need(obj, "context", path, n),
                 "question": r.need(obj, "question", path, n),
                 "endings": [r.need(obj, key, path, n) for key in ("answerA", "answerB", "answerC")]}
                for i, (n, obj) in enumerate(r.jsonl(path))]
    labels = path.with_name(path.stem + "-labels.lst")
    return r.with_labels(path, examples, labels, {"1": 0, "2": 1, "3": 2}), [path, labels]


TASK = Task(
    name="socialiqa", kind="multiple_choice", metric="accuracy", max_length=70, epochs=3,
    folder="SocialIQA", num_choices=3,
    layouts=(Layout("allenai-jsonl+labels", {"train": "train.jsonl", "dev": "dev.jsonl"}, read, ".jsonl"),),
    # allenai/social_i_qa needs a loading script, which datasets>=4 refuses; lighteval/siqa is a
    # parquet copy with the same columns and rows (33,410 / 1,954)
    hub=Hub("lighteval/siqa", None, {"train": "train", "dev": "validation"},
            lambda row, i: {"id": str(i), "context": row["context"], "question": row["question"],
                            "endings": [row["answerA"], row["answerB"], row["answerC"]],
                            "label": int(row["label"]) - 1},
            revision=None),  # unpinned: no public commit found; the one read is recorded
    format=lambda ex, ending, sep: (ex["context"] + sep + ex["question"], ending),
    description="commonsense QA, multiple choice (crowdsourcing)",
)
