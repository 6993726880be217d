"""HellaSwag (Zellers et al.): pick the real continuation among 4; fakes are machine-generated.

Each choice is (ctx_a, ctx_b + " " + ending). HellaSwag-p (`hellaswag-p`) drops the premise:
each choice is the ending alone; Hella-sh (`hellaswag-sh`) shuffles the words of the fake endings.
"""
from . import readers as r
from .base import INTERMEDIATE, Hub, Layout, Task


def read(path):
    examples = []
    for n, obj in r.jsonl(path):
        endings = r.need(obj, "endings", path, n, list)
        if len(endings) != 4:
            raise r.UserError(f"{r.where(path, n)}: expected 4 endings, found {len(endings)}")
        examples.append({"id": str(obj.get("ind", n)), "ctx_a": r.need(obj, "ctx_a", path, n),
                         "ctx_b": r.need(obj, "ctx_b", path, n), "endings": endings,
                         "label": r.label(r.need(obj, "label", path, n, (int, str)),
                                          {i: i for i in range(4)} | {str(i): i for i in range(4)}, path, n)})
    return examples, [path]


TASK = Task(
    name="hellaswag", kind="multiple_choice", metric="accuracy", max_length=120, epochs=3,
    folder="HellaSwag", num_choices=4,
    layouts=(Layout("rowanz-jsonl", {"train": "hellaswag_train.jsonl", "dev": "hellaswag_val.jsonl"},
                    read, ".jsonl"),),
    hub=Hub("Rowan/hellaswag", None, {"train": "train", "dev": "validation"},
            lambda row, i: {"id": str(row["ind"]), "ctx_a": row["ctx_a"], "ctx_b": row["ctx_b"],
                            "endings": list(row["endings"]), "label": int(row["label"])}),
    format=lambda ex, ending, sep: (ex["ctx_a"], ex["ctx_b"] + " " + ending),
    intermediate=INTERMEDIATE,  # the authors' script used batch 8 for HellaSwag; we keep 16
    variants={"p": {"max_length": 50}},
    description="sentence continuation (ActivityNet, WikiHow); fakes by adversarial filtering",
)
