"""What the notebooks call: each step of a study is one function, so cells hold calls, not logic.

A study's runs come from the sweep store: `sweep_runs` trains only what the store lacks and
returns the tidy table of exactly the runs the study asked for, keyed by run identity, so every
number in a table or figure traces back to store rows.
"""
from __future__ import annotations

import copy
import math
from pathlib import Path

import pandas as pd

from ..analysis import deltas, summarize
from ..errors import UserError
from ..tasks import get_task, load
from . import paper

TARGET_COLUMNS = {"task": "target", "id": "run_id"}


def figures_dir(profile: str, explicit: str | None = None) -> Path:
    root = Path(__file__).resolve().parents[2]
    return Path(explicit) if explicit else root / "figures" / profile


NOTES = {
    "smoke": "**Smoke profile.** A tiny *random* model on a few dozen examples: this report checks "
             "that the pipeline runs end to end. Its numbers mean nothing.",
    "demo": "**Demo profile: what it is and is not.** It runs offline on 2 CPU cores within an hour: "
            "the encoder is all-MiniLM-L6-v2 (not RoBERTa-large), the fakes come from SmolLM2-135M (not "
            "GPT2-medium), and data and grid are scaled down (see parameters/demo/). MiniLM was itself "
            "trained for sentence embeddings on NLI, QA (SQuAD among them) and WikiHow data, so its "
            "*None* is not a vanilla pretrained model, and its training text overlaps the Wikipedia "
            "source of Synthesis. HellaSwag is not available offline. The demo exercises the method "
            "at small scale; it does not claim to reproduce the paper's conclusions.",
    "paper": "**Paper profile.** RoBERTa-large, the full 36-configuration grid, full data.",
}


def profile_note(profile: str):
    from IPython.display import Markdown, display

    display(Markdown(NOTES.get(profile, f"profile {profile}")))


def prepare(sweep: dict, synthesis_build: str | None, optional: list) -> dict:
    """The sweep a notebook runs: its spec, the Synthesis build, and the optional intermediates
    whose data is present (the others are named, with the reason, not silently dropped)."""
    spec = with_synthesis(sweep, synthesis_build)
    spec["intermediates"], absent = available(spec["intermediates"], optional, spec.get("data_dir"))
    for name, why in absent:
        print(f"not available offline: {name} ({why.split(';')[0]})")
    return spec


def notebook_spec(profile: str, notebook: str) -> dict:
    """The prepared sweep of another notebook of the same profile (to share its runs)."""
    from .runner import load_parameters

    params = load_parameters(profile, notebook)
    return prepare(params["sweep"], params.get("synthesis_build"), params.get("optional_intermediates", []))


def plan(spec: dict, name: str = "notebook"):
    from ..sweeps import expand, parse_sweep

    return expand(parse_sweep({"name": name, **spec}, where=f"{name} parameters"))


def training_sizes(spec: dict) -> dict:
    """Target task -> examples actually trained on (after limits)."""
    return {r.config["task"]: r.train_size for r in plan(spec).runs if r.role == "target"}


def intermediate_sizes(spec: dict) -> dict:
    """Intermediate task -> examples actually trained on (after @N and limits)."""
    return {r.config["task"]: r.train_size for r in plan(spec).runs if r.role == "intermediate"}


def degenerate_floors(spec: dict) -> dict:
    """Target -> what a run must beat: majority class (classification accuracy), chance
    (multiple choice), 0 (MCC) -- on the full dev set."""
    from ..tasks import majority_baseline

    settings = spec.get("task_settings", {})
    return {t: majority_baseline(get_task(t), spec.get("data_dir"), settings.get(t, {}).get("files"))
            for t in spec["targets"]}


def expected_max_table(runs: pd.DataFrame) -> pd.DataFrame:
    from ..analysis import expected_max

    frames = [expected_max(group["score"]).assign(target=t, intermediate=i)
              for (t, i), group in runs.groupby(["target", "intermediate"], sort=False)]
    return pd.concat(frames, ignore_index=True)


def available(names: list, optional: list, data_dir=None) -> tuple:
    """`names` plus those of `optional` whose files are present (HellaSwag joins when it is)."""
    present, absent = list(names), []
    for name in optional:
        try:
            load(get_task(name), "train", data_dir, hub=False)
            present.append(name)
        except UserError as err:
            absent.append((name, str(err)))
    return present, absent


def with_synthesis(spec: dict, build: str | None) -> dict:
    """Point every synthesis variant of a sweep spec at one build (train + dev files)."""
    spec = copy.deepcopy(spec)
    if build:
        from ..synthesis.store import BuildFiles  # owns the build's file naming

        paths = BuildFiles(Path(build).resolve())
        files = {"train": str(paths.train), "dev": str(paths.dev)}
        settings = spec.setdefault("task_settings", {})
        settings["synthesis"] = {**settings.get("synthesis", {}), "files": files}
    return spec


def sweep_runs(spec: dict, store: str, executor: str = "local", name: str = "notebook") -> pd.DataFrame:
    """Train what the store lacks for this spec; return its target runs (finished ones)."""
    from ..sweeps import expand, parse_sweep, results, run_sweep

    sweep = parse_sweep({"name": name, **spec}, where=f"{name} parameters")
    Path(store).parent.mkdir(parents=True, exist_ok=True)
    run_sweep(sweep, store, executor=executor, progress=False)
    wanted = [r.id for r in expand(sweep).runs if r.role == "target"]
    runs = results(store)
    runs = runs[runs["id"].isin(wanted) & runs["status"].isin(["done", "diverged"])]
    return runs.rename(columns=TARGET_COLUMNS).reset_index(drop=True)


def intermediate_runs(spec: dict, store: str, name: str = "notebook") -> pd.DataFrame:
    """The intermediate trainings of a spec (with their checkpoints), already in the store."""
    from ..sweeps import expand, parse_sweep, results

    sweep = parse_sweep({"name": name, **spec}, where=f"{name} parameters")
    wanted = [r.id for r in expand(sweep).runs if r.role == "intermediate"]
    runs = results(store)
    return runs[runs["id"].isin(wanted)].rename(columns={"id": "run_id"}).reset_index(drop=True)


def guessing_losses(targets) -> dict:
    """Target -> cross-entropy of a uniform guess, ln(number of classes or choices)."""
    tasks = {t: get_task(t) for t in targets}
    return {t: math.log(task.num_choices or task.num_labels) for t, task in tasks.items()}


def chance_levels(targets) -> dict:
    return {t: get_task(t).chance for t in targets}


def table2(runs: pd.DataFrame, targets=("rte", "wic"), counterpart: str | None = "synthesis") -> pd.DataFrame:
    """Best-of-grid None and HellaSwag beside the paper's Table 2 (quoted numbers).

    Without HellaSwag data the HellaSwag row says so, and `counterpart` (a Synthesis-based
    intermediate) is shown on its own row as the closest offline stand-in.
    """
    best = summarize(runs).set_index(["target", "intermediate"])["best"]
    rows = []
    for inter in ("none", "hellaswag", counterpart):
        if inter is None:
            continue
        row = {"intermediate": inter}
        for t in targets:
            ours = best.get((t, inter))
            full = full_task(t)  # a subset target (wic@1500) is set beside the paper's full task
            quoted = paper.TABLE2.get((inter, full))
            row[f"{t} ours"] = round(100 * ours, 1) if ours is not None else "not available offline"
            row[f"{full} paper (Pruksachatkun / Chang & Lu, quoted)"] = (
                f"{quoted[0]} / {quoted[1]}" if quoted else "—  (not in the paper)")
        rows.append(row)
    return pd.DataFrame(rows)


def table3(runs: pd.DataFrame, intermediates: list) -> pd.DataFrame:
    """Δ mean / Δ best against None per target, ours beside the paper's Table 3 (quoted)."""
    d = deltas(runs)
    d = d[d["intermediate"].isin(intermediates)].copy()
    d["ours Δ mean / Δ best"] = [f"{m:+.1f} / {b:+.1f}" for m, b in zip(d["delta_mean"], d["delta_best"])]
    d["paper Δ mean / Δ best (quoted)"] = [_quoted_delta(i, t) for i, t in zip(d["intermediate"], d["target"])]
    return d.reset_index(drop=True)


def full_task(target: str) -> str:
    """The task a subset target was drawn from: 'wic' for 'wic@1500'."""
    return target.split("@")[0]


def _quoted_delta(intermediate: str, target: str) -> str:
    full = full_task(target)
    quoted = paper.TABLE3.get((intermediate, full))
    if quoted is None:
        return "—  (not in the paper)"
    return quoted if full == target else f"{quoted} (on all of {full})"


def by_training_size(runs: pd.DataFrame, sizes: dict) -> pd.DataFrame:
    """Δ over None per target, with the target's training-set size (Section 5.2)."""
    d = deltas(runs)
    d["train_size"] = d["target"].map(sizes)
    degenerate = summarize(runs).set_index(["target", "intermediate"])["degenerate"]
    d["degenerate"] = [degenerate.get((t, i)) for t, i in zip(d["target"], d["intermediate"])]
    d["degenerate_none"] = [degenerate.get((t, "none")) for t in d["target"]]
    return d.sort_values(["train_size", "intermediate"]).reset_index(drop=True)


def loss_curves(runs: pd.DataFrame) -> pd.DataFrame:
    """Long table of training-loss curves (one line per run) from the store's loss_curve column."""
    rows = []
    for _, run in runs.iterrows():
        for point in run["loss_curve"] or []:
            step, loss = (point["step"], point["loss"]) if isinstance(point, dict) else point
            rows.append({"run_id": run["run_id"], "target": run["target"],
                         "intermediate": run["intermediate"], "lr": run["lr"], "step": step, "loss": loss})
    return pd.DataFrame(rows, columns=["run_id", "target", "intermediate", "lr", "step", "loss"])


def save_table(table: pd.DataFrame, folder, name: str) -> list:
    """Write a table as CSV and Markdown beside the figures."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    csv, md = folder / f"{name}.csv", folder / f"{name}.md"
    table.to_csv(csv, index=False)
    md.write_text(table.to_markdown(index=False) + "\n")
    return [csv, md]


def build_synthesis(corpus: str, generator: str, n: int, dev: int, seed: int, batch_size: int, out: str) -> dict:
    """Build (or resume, or read back) a Synthesis set; returns its sidecar."""
    from ..synthesis import SynthesisConfig, build

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    config = SynthesisConfig(corpus=corpus, generator=generator, n=n, dev=dev, seed=seed, batch_size=batch_size)
    return build(config, out, progress=False)


def synthesis_counts(meta: dict) -> pd.DataFrame:
    return pd.DataFrame(sorted(meta["counts"].items()), columns=["count", "value"])


def synthesis_examples(out: str, k: int) -> pd.DataFrame:
    """The first k training examples, one row each; `label` is the position of the real ending,
    which is also marked with a leading "✓"."""
    rows = load(get_task("synthesis"), "train", files={"train": Path(out).resolve()}).examples[:k]
    return pd.DataFrame([{"premise": r["ctx"], "label": r["label"],
                          **{f"ending {i}": ("✓ " if i == r["label"] else "") + e
                             for i, e in enumerate(r["endings"])}} for r in rows])


def synthesis_artifacts(meta: dict) -> pd.DataFrame:
    """Length-only rule accuracy per split (chance is 25%)."""
    report = meta["artifact_report"]
    return pd.DataFrame([{"split": split, **values} for split, values in report.items() if isinstance(values, dict)])
