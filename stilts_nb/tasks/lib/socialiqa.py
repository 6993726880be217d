"""SocialIQA (Sap et al.): commonsense QA about social situations, 3 answers.

Each choice is (context + sep + question, answer). The authors trained on an undocumented
modified file ("clip60"); we use the full official 33,410 training examples.
"""
from .. import readers as r
from ..base import Hub, Layout, Sample, Task
from ..samples import NAMES, jsonl, lines, splits, text


def read(path):
    # ids are row positions from 0, as the hub copy's, so a local and a hub run of one split
    # name their examples alike (the -sh shuffle is seeded by id)
    examples = [{"id": str(i), "context": r.need(obj, "context", path, n),
                 "question": r.need(obj, "question", path, n),
                 "endings": [r.need(obj, key, path, n) for key in ("answerA", "answerB", "answerC")]}
                for i, (n, obj) in enumerate(r.jsonl(path))]
    labels = path.with_name(path.stem + "-labels.lst")
    return r.with_labels(path, examples, labels, {"1": 0, "2": 1, "3": 2}), [path, labels]


def write_sample(root, size, rng):  # allenai jsonl + a labels file (1/2/3)
    for split, n in splits(size):
        name = "train" if split == "train" else "dev"
        jsonl(root / "SocialIQA" / f"{name}.jsonl",
              [{"context": text(rng, 10, 20), "question": f"What will {rng.choice(NAMES)} want to do next?",
                **{f"answer{c}": text(rng, 3, 6) for c in "ABC"}} for _ in range(n)])
        lines(root / "SocialIQA" / f"{name}-labels.lst", [rng.randint(1, 3) for _ in range(n)])


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
            revision="54c6a1f8cb6daf4f5abf24a601852612fb35eb25",
            # found pinned in public code (find_string, Dec 2026): a lighteval custom-task config
            # (hf_repo="lighteval/siqa", hf_revision=<it>, splits train/validation) and three
            # evaluation harnesses' revision tables (SIQA_REVISION, REVISIONS[...]); unverified on the hub
            test_row={"context": "Kai smiled.", "question": "Why?", "answerA": "happy", "answerB": "sad",
                      "answerC": "bored", "label": "1"},
            test_inputs=("Kai smiled.</s>Why?", "happy", 0)),
    format=lambda ex, ending, sep: (ex["context"] + sep + ex["question"], ending),
    description="commonsense QA, multiple choice (crowdsourcing)",
    official_sizes=(33410, 1954),
    sample=Sample(write_sample),
)
