"""`stilts-nb tasks` (the paper's Table 1, from the registry) and `stilts-nb preview`."""
from __future__ import annotations

import json

from ..assets import data_dir as resolve_data_dir
from ..errors import MissingData, UserError
from ..tasks import TASKS, SPLITS, examples, get_task, load
from ..tasks.content import content_id

# The paper's named variants, listed beside the registered tasks.
VARIANTS = ("hellaswag-p", "hellaswag-sh", "synthesis-p", "synthesis-sh")
ROBERTA_SEP = "</s>"


def register(sub) -> None:
    p = sub.add_parser("tasks", help="table of every task: source, format, metric, sizes, settings")
    p.add_argument("--data-dir", help="folder with one sub-folder per dataset (default $STILTS_DATA_DIR or ./data)")
    p.add_argument("--json", action="store_true", help="one JSON object per task")
    p.set_defaults(func=run_tasks)

    p = sub.add_parser("preview", help="print the exact model inputs of a task, one JSON object per line")
    p.add_argument("task", help="task[-transform][@N], e.g. wic, hellaswag-p, winogrande_xs")
    p.add_argument("--split", choices=SPLITS, default="train")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--tokenizer", help="its separator is used; default RoBERTa's </s>")
    p.add_argument("--data-dir")
    p.set_defaults(func=run_preview)


BROKEN = "BROKEN"  # in a size column: the file is there but cannot be read (see the note below)


def rows(data_dir=None) -> list:
    resolve_data_dir(data_dir)  # a --data-dir that does not exist is a mistake, not "no files"
    out = []
    for name in [*TASKS, *VARIANTS]:
        task = get_task(name)
        sizes, problems = {}, []
        for split in SPLITS:
            try:  # sizes of local files only: listing tasks must not touch the network
                sizes[split] = len(load(task, split, data_dir, hub=False).examples)
            except MissingData:
                sizes[split] = None
            except UserError as err:  # present but unreadable: the table says so
                sizes[split] = BROKEN
                problems.append(str(err))
        out.append({
            "task": task.name, "kind": task.kind, "metric": task.metric,
            "choices": task.num_choices or None, "labels": list(task.labels) or None,
            "hub": f"{task.hub.id}" + (f"/{task.hub.config}" if task.hub and task.hub.config else "") if task.hub else None,
            "hub_revision": task.hub.revision if task.hub else None,
            "content": content_id(task),  # in every run's identity (docs/sweeps.md)
            "local": f"{task.folder}/ ({', '.join(layout.name for layout in task.layouts)})",
            "train": sizes["train"], "dev": sizes["dev"],
            "max_length": task.max_length, "epochs": task.epochs,
            "intermediate": task.intermediate is not None, "description": task.description,
            "problems": problems,
        })
    return out


def run_tasks(args) -> int:
    table = rows(args.data_dir)
    if args.json:
        for row in table:
            print(json.dumps(row))
        return 1 if any(row["problems"] for row in table) else 0
    cols = ["task", "kind", "metric", "choices", "train", "dev", "max_length", "epochs", "hub", "local"]
    cells = [[("-" if row[c] is None else str(row[c])) for c in cols] for row in table]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(cols)]
    print("  ".join(c.ljust(w) for c, w in zip(cols, widths)))
    for r in cells:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    broken = {p for row in table for p in row["problems"]}  # variants repeat their base's
    for problem in sorted(broken):
        print(f"{BROKEN}: {problem}")
    return 1 if broken else 0


def run_preview(args) -> int:
    if args.limit < 0:
        raise UserError("--limit must be >= 0")
    sep = ROBERTA_SEP
    if args.tokenizer:
        from ..assets import load_tokenizer
        sep = load_tokenizer(args.tokenizer).sep_token
    for row in examples(get_task(args.task), args.split, sep, args.data_dir)[:args.limit]:
        print(json.dumps(row, ensure_ascii=False))
    return 0
