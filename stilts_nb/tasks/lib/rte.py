"""RTE (Dagan et al.): 2-way entailment. GLUE tsv or SuperGLUE jsonl; hub copy from GLUE.

The authors read GLUE's tsv (train_rte.sh: glue_data/RTE), so when a folder holds both layouts
the tsv is read: the SuperGLUE jsonl has the same examples, but 70 of them differ in quoting.
"""
from .. import readers as r
from ..base import Hub, Layout, Sample, Task
from ..samples import jsonl, splits, text

LABELS = ("entailment", "not_entailment")
IDS = {name: i for i, name in enumerate(LABELS)}


def read_superglue(path):
    return [{"id": str(obj.get("idx", n)), "premise": r.need(obj, "premise", path, n),
             "hypothesis": r.need(obj, "hypothesis", path, n),
             "label": r.label(r.need(obj, "label", path, n), IDS, path, n)}
            for n, obj in r.jsonl(path)], [path]


def read_glue(path):
    # header: index, sentence1, sentence2, label
    return [{"id": f[0], "premise": f[1], "hypothesis": f[2], "label": r.label(f[3], IDS, path, n)}
            for n, f in r.tsv(path, columns=4, header=True)], [path]


def write_sample(root, size, rng):  # SuperGLUE jsonl
    for split, n in splits(size):
        jsonl(root / "RTE" / ("train.jsonl" if split == "train" else "val.jsonl"),
              [{"premise": text(rng, 15, 30), "hypothesis": text(rng), "idx": i,
                "label": rng.choice(["entailment", "not_entailment"])} for i in range(n)])


TASK = Task(
    name="rte", kind="classification", metric="accuracy", max_length=100, epochs=5,
    folder="RTE", labels=LABELS,
    layouts=(Layout("glue-tsv", {"train": "train.tsv", "dev": "dev.tsv"}, read_glue, ".tsv"),
             Layout("superglue-jsonl", {"train": "train.jsonl", "dev": "val.jsonl"}, read_superglue, ".jsonl")),
    hub=Hub("nyu-mll/glue", "rte", {"train": "train", "dev": "validation"},
            lambda row, i: {"id": str(row["idx"]), "premise": row["sentence1"],
                            "hypothesis": row["sentence2"], "label": int(row["label"])},
            revision="bcdcba79d07bc864c1c254ccfcedcce55bcc9a8c",
            # found pinned in public code (find_string, Dec 2026): zenml-io/zenml's HF datasets
            # materializer (hf://datasets/nyu-mll/glue@<it>/mrpc/...parquet), evaluation harnesses
            # and dataset locks (DATASET_REVISION / PUBLIC_REVISIONS["glue"], the sst2 config),
            # ~10 files; the commit is repository-wide, so it holds cola/rte too (unverified on the hub)
            test_row={"sentence1": "A dog runs.", "sentence2": "An animal moves.", "label": 0, "idx": 3},
            test_inputs=("A dog runs.", "An animal moves.", 0)),
    format=lambda ex, sep: (ex["premise"], ex["hypothesis"]),
    description="natural language inference, 2 sentences (Wikipedia, news)",
    official_sizes=(2490, 277),
    sample=Sample(write_sample),
)
