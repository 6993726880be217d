"""WiC (Pilehvar & Camacho-Collados): does a word mean the same in two sentences?

Input as the authors: (word + sep + sentence1, sentence2), no spaces around the separator.
"""
from .. import readers as r
from ..base import Hub, Layout, Sample, Task
from ..samples import WORDS, lines, splits, text

LABELS = ("F", "T")


def read_original(path):
    # train.data.txt: word, POS, indices, sentence1, sentence2; train.gold.txt: T/F per line
    gold = path.with_name(path.name.replace(".data.txt", ".gold.txt"))
    examples = [{"id": f"{path.stem}-{n}", "word": f[0], "sentence1": f[3], "sentence2": f[4]}
                for n, f in r.tsv(path, columns=5, header=False)]
    return r.with_labels(path, examples, gold, {"F": 0, "T": 1}), [path, gold]


def read_superglue(path):
    return [{"id": str(obj.get("idx", n)), "word": r.need(obj, "word", path, n),
             "sentence1": r.need(obj, "sentence1", path, n), "sentence2": r.need(obj, "sentence2", path, n),
             "label": r.label(r.need(obj, "label", path, n, bool), {False: 0, True: 1}, path, n)}
            for n, obj in r.jsonl(path)], [path]


def write_sample(root, size, rng):  # the original layout: 5 tab-separated columns + a gold file
    for split, n in splits(size):
        rows, gold = [], []
        for _ in range(n):
            word = rng.choice(WORDS[3:40])
            rows.append("\t".join([word, rng.choice("NV"), f"{rng.randint(0, 5)}-{rng.randint(0, 5)}",
                                   f"{text(rng)[:-1]} {word}.", f"{word.capitalize()} {text(rng)}"]))
            gold.append(rng.choice("TF"))
        lines(root / "WiC" / split / f"{split}.data.txt", rows)
        lines(root / "WiC" / split / f"{split}.gold.txt", gold)


TASK = Task(
    name="wic", kind="classification", metric="accuracy", max_length=70, epochs=5,
    folder="WiC", labels=LABELS,
    layouts=(Layout("original", {"train": "train/train.data.txt", "dev": "dev/dev.data.txt"},
                    read_original, ".data.txt"),
             Layout("superglue-jsonl", {"train": "train.jsonl", "dev": "val.jsonl"}, read_superglue, ".jsonl")),
    hub=Hub("aps/super_glue", "wic", {"train": "train", "dev": "validation"},
            lambda row, i: {"id": str(row["idx"]), "word": row["word"], "sentence1": row["sentence1"],
                            "sentence2": row["sentence2"], "label": int(row["label"])},
            # a parquet-era commit that public code pins (for MultiRC); WiC's files there unverified
            revision="3de24cf8022e94f4ee4b9d55a6f539891524d646",
            test_row={"word": "bank", "sentence1": "River bank.", "sentence2": "Bank loan.", "label": 0, "idx": 1,
                      "start1": 6, "start2": 0, "end1": 10, "end2": 4},
            test_inputs=("bank</s>River bank.", "Bank loan.", 0)),
    format=lambda ex, sep: (ex["word"] + sep + ex["sentence1"], ex["sentence2"]),
    description="word sense disambiguation, 1 word + 2 sentences (WordNet, VerbNet, Wiktionary)",
    official_sizes=(5428, 638),
    sample=Sample(write_sample),
)
