"""CoLA (Warstadt et al.): grammatical acceptability of one sentence; Matthews correlation.

Also an intermediate task of the paper's Table 3.
"""
from .. import readers as r
from ..base import INTERMEDIATE, Hub, Layout, Sample, Task
from ..samples import lines, splits, text

LABELS = ("unacceptable", "acceptable")  # as in the file: 0 / 1


def read_glue(path):
    # no header; columns: source, label, original annotation, sentence
    return [{"id": f"{path.stem}-{n}", "sentence": f[3], "label": r.label(f[1], {"0": 0, "1": 1}, path, n)}
            for n, f in r.tsv(path, columns=4, header=False)], [path]


def write_sample(root, size, rng):  # GLUE tsv without header: source, label, original mark, sentence
    for split, n in splits(size):
        rows = []
        for _ in range(n):
            label = rng.randint(0, 1)
            rows.append("\t".join(["gj04", str(label), "" if label else "*", text(rng)]))
        lines(root / "CoLA" / f"{split}.tsv", rows)


TASK = Task(
    name="cola", kind="classification", metric="mcc", max_length=50, epochs=5,
    folder="CoLA", labels=LABELS,
    layouts=(Layout("glue-tsv", {"train": "train.tsv", "dev": "dev.tsv"}, read_glue, ".tsv"),),
    hub=Hub("nyu-mll/glue", "cola", {"train": "train", "dev": "validation"},
            lambda row, i: {"id": str(row["idx"]), "sentence": row["sentence"], "label": int(row["label"])},
            revision="bcdcba79d07bc864c1c254ccfcedcce55bcc9a8c",
            # found pinned in public code (find_string, Dec 2026): zenml-io/zenml's HF datasets
            # materializer (hf://datasets/nyu-mll/glue@<it>/mrpc/...parquet), evaluation harnesses
            # and dataset locks (DATASET_REVISION / PUBLIC_REVISIONS["glue"], the sst2 config),
            # ~10 files; the commit is repository-wide, so it holds cola/rte too (unverified on the hub)
            test_row={"sentence": "Him went.", "label": 0, "idx": 7},
            test_inputs=("Him went.", None, 0)),
    format=lambda ex, sep: (ex["sentence"], None),
    intermediate=INTERMEDIATE,
    description="linguistic acceptability, 1 sentence (linguistics publications)",
    official_sizes=(8551, 1043),
    sample=Sample(write_sample),
)
