"""What a report ran, as the first thing a reader sees after its parameters: the model, the
precision its runs used, each task's training and dev examples and epochs, the grid and the runs
behind each violin; then every name the report uses (None, @N, -p, -sh, the stand-ins, the
floor) defined in words.

The numbers come from the runs where there are any: a run read from the store carries what it
used (precision, examples, epochs; planning.recorded), so this table cannot disagree with the
runs the figures are drawn from. The plan fills in only what no finished run records. Every value
is text written as a reader writes it (1,500 examples, lr 1e-4), never a dict or a raw float.
"""
from __future__ import annotations

import math

import pandas as pd

from ..errors import UserError
from ..tasks import get_task
from ..tasks.transforms import parse
from ..wording import SETTING_NAMES_IN_FULL, STAND_INS, count, model_name, plural, setting
from .findings import title

PAPER_GENERATOR = "gpt2-medium"  # what the paper sampled Synthesis's fake endings with


def shown(section) -> list:
    """What a notebook displays: the settings table, the per-task table and the definitions
    (after `section.train()`: the runs it reads must be known)."""
    from IPython.display import Markdown

    from .planning import intermediate_runs

    if section.plan is None:
        raise UserError(f"{section.notebook}: what was run is known once the runs are: call section.train() first")
    inters = intermediate_runs(section.plan, section.store)
    return [settings_table(section.sweep, section.runs, inters, section.values),
            tasks_table(section.sweep, section.runs, inters, section.plan),
            Markdown(definitions(section.sweep, section.values, STAND_INS, generator(section.profile)))]


def settings_table(spec: dict, runs: pd.DataFrame, inters: pd.DataFrame, values: dict) -> pd.DataFrame:
    """model; precision the runs used; the grid; runs per violin (and 05's zero-shot scoring)."""
    counts = per_violin(spec, runs)
    low, high = min(counts.values(), default=0), max(counts.values(), default=0)
    grid = {k: v if isinstance(v, list) else [v] for k, v in spec["grid"].items()}
    configurations = math.prod(len(v) for v in grid.values())
    rows = [("model", model_name(spec["model"])),
            ("precision", precision_text(spec, runs, inters)),
            ("grid (each target, after each intermediate)",
             " × ".join(f"{SETTING_NAMES_IN_FULL.get(k, k)} {', '.join(setting(x) for x in v)}" for k, v in grid.items())
             + f" = {count(configurations)} {plural(configurations, 'configuration')}"),
            ("runs per violin", f"{low}: one per configuration, for every target and intermediate"
             if low == high == configurations else f"from {low} to {high} (the table below has them per target)")]
    if any(i != "none" for i in spec["intermediates"]):
        rows.insert(3, ("intermediate checkpoints", replication_text(spec)))
    if "tasks" in values:  # 05 scores the checkpoints on other tasks, without training
        limit = values.get("eval_limit")
        seeds = ", ".join(str(s) for s in values.get("none_seeds", []))
        rows.append(("zero-shot scoring", f"{', '.join(title(t) for t in values['tasks'])}: "
                     + (f"up to the first {count(limit)} dev examples of each" if limit else "every dev example")
                     + (f"; None's random head over seeds {seeds}" if seeds else "")))
    return pd.DataFrame(rows, columns=["setting", "value"]).set_index("setting")


def replication_text(spec: dict) -> str:
    """How often each intermediate task was trained (its checkpoints, one per seed) and which
    target seeds each checkpoint was fine-tuned with (sweeps.seed_blocks): the intermediate task
    is what a verdict is about, so its number of replicates is said before any verdict."""
    from ..settings import PAPER_GRID, PAPER_INTERMEDIATE
    from ..sweeps import seed_blocks

    def listed(v):
        return list(v) if isinstance(v, list) else [v]

    targets = listed(spec.get("grid", {}).get("seed", PAPER_GRID["seed"]))
    default = spec.get("intermediate_training", {}).get("seed", PAPER_INTERMEDIATE["seed"])
    groups = {}  # seeds -> the intermediates trained with them (a task_settings seed is the task's own)
    for name in [i for i in spec["intermediates"] if i != "none"]:
        own = spec.get("task_settings", {}).get(get_task(name).name, {})
        groups.setdefault(tuple(listed(own.get("seed", default))), []).append(title(name))
    parts = []
    for seeds, names in groups.items():
        which = "per task" if len(groups) == 1 else f"of {', '.join(names)}"
        if len(seeds) == 1:
            parts.append(f"one intermediate checkpoint {which} (seed {seeds[0]}), the start of "
                         "every target configuration after it")
            continue
        blocks = "; ".join(", ".join(str(s) for s in b) for b in seed_blocks(targets, list(seeds)).values())
        parts.append(f"{len(seeds)} intermediate checkpoints {which} (seeds "
                     f"{', '.join(str(s) for s in seeds)}), each fine-tuned on its own block of target "
                     f"seeds ({blocks})")
    return "; ".join(parts)


def tasks_table(spec: dict, runs: pd.DataFrame, inters: pd.DataFrame, plan) -> pd.DataFrame:
    """One row per task: its role, training examples, dev examples scored, epochs, and the
    hyperparameters (an intermediate's one configuration; a target's grid) and runs per violin."""
    planned = {(r.role, r.config["task"]): r for r in plan.runs}
    counts = per_violin(spec, runs)
    rows = []
    for name in [i for i in spec["intermediates"] if i != "none"]:
        task = get_task(name).name
        done = inters[inters["task"] == task]
        run = planned.get(("intermediate", task))
        hp = (done.iloc[0] if len(done) else pd.Series(run.config if run else {}))
        # one checkpoint per seed: every seed is named, the other values are shared
        seeds = [r.config["seed"] for r in plan.runs if r.role == "intermediate" and r.config["task"] == task]
        named = SETTING_NAMES_IN_FULL
        words = [f"{named[k]} {setting(hp[k])}" for k in named if k in hp and k != "seed"]
        words.append(f"seeds {', '.join(str(s) for s in seeds)}" if len(seeds) > 1 else
                     f"seed {setting(hp['seed'])}" if "seed" in hp else "")
        rows.append(_row(name, "intermediate", done, run, ", ".join(w for w in words if w), "—"))
    for name in spec["targets"]:
        task = get_task(name).name
        done = runs[runs["target"] == task]
        run = next((r for (role, t), r in planned.items() if role == "target" and t == task), None)
        per = {i: counts[(task, i)] for i in _intermediates(spec)}
        violins = (f"{next(iter(per.values()))} with each intermediate" if len(set(per.values())) == 1
                   else ", ".join(f"{title(i)} {n}" for i, n in per.items()))
        rows.append(_row(name, "target", done, run, "the grid (above)", violins))
    return pd.DataFrame(rows, columns=["task", "role", "training examples", "dev examples scored", "epochs",
                                       "hyperparameters", "runs per violin"]).set_index("task")


def _row(name, role, done: pd.DataFrame, run, hyperparameters: str, violins: str) -> list:
    """A task's numbers from its finished runs, else from the plan (what it will use)."""
    def value(column, planned):
        found = sorted({int(v) for v in done.get(column, pd.Series(dtype=float)).dropna()})
        return ", ".join(count(v) for v in found) if found else (
            count(planned) if planned is not None else "—")

    return [title(name), role, value("train_examples", run.train_size if run else None),
            value("dev_examples", run.dev_size if run else None),
            value("trained_epochs", run.config.get("epochs") if run else None), hyperparameters, violins]


def per_violin(spec: dict, runs: pd.DataFrame) -> dict:
    """(target, intermediate) -> finished runs: every pair the sweep asks for, 0 where none."""
    counts = runs.groupby(["target", "intermediate"]).size() if len(runs) else {}
    return {(get_task(t).name, i): int(counts.get((get_task(t).name, i), 0))
            for t in spec["targets"] for i in _intermediates(spec)}


def precision_text(spec: dict, runs: pd.DataFrame, inters: pd.DataFrame) -> str:
    """The precision the runs recorded (intermediates and targets); the setting's resolution on
    this machine where no run has finished."""
    from ..settings import SETTINGS
    from ..hardware import resolve_precision

    asked = spec.get("precision", SETTINGS["precision"].default)
    used = sorted({p for frame in (runs, inters) for p in frame.get("precision", pd.Series(dtype=str)).dropna()})
    text = ", ".join(used) if used else f"{resolve_precision(asked)} (no run has finished: this machine's)"
    return text + (" (auto: what the training machine runs fast)" if asked == "auto" and used else "")


def generator(profile: str) -> str | None:
    """The model the profile's notebook 00 samples Synthesis's fake endings with."""
    from .paths import profile_values

    try:
        return profile_values(profile, "00_synthesis").get("generator")
    except UserError:  # a profile without notebook 00 builds no Synthesis
        return None


def definitions(spec: dict, values: dict, stand_ins: dict | None = None,
                synthesis_generator: str | None = None) -> str:
    """Every name this report's sweep uses, in words: only those present."""
    # 05 also scores its checkpoints on the dev sets of `premise_check` (e.g. Synthesis-p)
    names = list(spec["intermediates"]) + list(spec["targets"]) + list(values.get("premise_check", []))
    parsed = {n: parse(n) for n in names if n != "none"}
    example = {kind: next((title(n) for n, p in parsed.items() if test(p)), None) for kind, test in
               (("@N", lambda p: p[2]), ("-p", lambda p: "p" in p[1]), ("-sh", lambda p: "sh" in p[1]))}
    lines = []
    if "none" in names:
        lines.append("**None**: the pretrained model, fine-tuned on the target with no intermediate task.")
    if example["@N"]:
        lines.append(f"**@N** (as in {example['@N']}): a seeded subsample of N training examples; a smaller N "
                     "is nested in a larger one (the same shuffle, cut shorter), and the dev set is never subsampled.")
    if example["-p"]:
        lines.append(f"**-p** (as in {example['-p']}): the premise removed; each choice is its ending alone.")
    if example["-sh"]:
        lines.append(f"**-sh** (as in {example['-sh']}): the words of every wrong ending shuffled; the right "
                     "ending is left as written.")
    if any(p[0] == "synthesis" for p in parsed.values()):
        lines.append(_synthesis_line(synthesis_generator))
    lines += _stand_in_lines(spec, stand_ins or {})
    if "equivalence_margin" in values or "margin_se" in values:  # the verdicts and 06 use the floor
        lines.append("**floor**: the majority share of the dev examples scored (what always giving the most "
                     "common answer scores); 0 for MCC. A run at or below it is *degenerate*.")
    if "margin_se" in values:
        se = values["margin_se"]
        lines.append(f"**floor + margin**: the floor plus {setting(se)} binomial standard "
                     f"{plural(se, 'error')} of a score at the floor on that target's dev set.")
    return "**Names used in this report.**\n\n" + "\n".join(f"- {line}" for line in lines)


def _synthesis_line(model: str | None) -> str:
    made = ("by GPT2-medium, as in the paper" if model == PAPER_GENERATOR else
            f"here by {model_name(model)} instead of the paper's GPT2-medium" if model else "by a language model")
    return ("**Synthesis** (notebook 00): the first half of a Wikipedia sentence as the premise, its second "
            f"half as the real ending, and three fake endings sampled from the premise, {made}.")


def _stand_in_lines(spec: dict, stand_ins: dict) -> list:
    """A stand-in plays a task of the paper that is not available offline (`stand_ins`, name ->
    the paper's task: wording.STAND_INS); @N sizes share their name's line."""
    present = {}
    for name in spec["intermediates"]:
        if name != "none":
            base, transforms, _ = parse(name)
            present.setdefault(get_task(base + "".join(f"-{t}" for t in transforms)).name, name)
    lines = []
    for name in present:
        original = next((v for k, v in stand_ins.items() if get_task(k).name == name), None)
        if original:
            also = f"; here {title(original)} was run too" if get_task(original).name in present else ""
            lines.append(f"**{title(name)}**: stand-in for {title(original)} (not available offline){also}.")
    return lines


def synthesis_table(meta: dict) -> pd.DataFrame:
    """Notebook 00's what was run, from the build's own record (the precision it sampled in,
    the examples it wrote), not from the parameters it was asked for."""
    config, counts = meta["config"], meta["counts"]
    short = {"float32": "fp32", "bfloat16": "bf16"}
    rows = [("corpus", config["corpus"]), ("generator", model_name(config["generator"])),
            ("precision", short.get(config["dtype"], config["dtype"])),
            ("training examples", f"{count(counts['train'])} (asked for {count(config['n'])})"),
            ("dev examples", f"{count(counts['dev'])} (asked for {count(config['dev'])})"),
            ("seed", str(config["seed"]))]
    return pd.DataFrame(rows, columns=["setting", "value"]).set_index("setting")


def _intermediates(spec: dict) -> list:
    return [i if i == "none" else get_task(i).name for i in spec["intermediates"]]
