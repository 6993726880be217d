"""Findings written from the numbers: each sentence is built from the same statistics a notebook
tabulates, so the text cannot disagree with the table. A finding says plainly when a difference
is inside the noise, or when the run is too small to answer the paper's question; the paper's
own result stays beside it, labelled as quoted.

Scores are ×100 with one decimal ("points"), MCC included.
"""
from __future__ import annotations

import pandas as pd

from ..wording import SETTING_NAMES, count, p_text, plural, points, settings_label, stand_in_for

HEAD = "**Finding (computed from the tables above).**"


def _markdown(lines: list, quoted: str | None):
    from IPython.display import Markdown

    lines = [s[:1].upper() + s[1:] for s in lines]
    text = HEAD + " " + " ".join(lines) if len(lines) == 1 else HEAD + "\n\n" + "\n".join(f"- {s}" for s in lines)
    if quoted:
        text += f"\n\n*The paper (quoted):* {quoted}"
    return Markdown(text)


def title(name: str) -> str:
    """A task or intermediate as the paper writes it ('cola' -> 'CoLA', 'none' -> 'None')."""
    from ..errors import UserError
    from ..tasks import get_task

    if name == "none":
        return "None"
    try:
        return get_task(name).title
    except UserError:  # not a registered task name: show it as stored
        return name


def as_intermediate(name: str) -> str:
    """An intermediate's title, with what it stands in for: 'SocialIQA-p@2000 (stand-in for
    HellaSwag-p)', so a stand-in is never read as the paper's task."""
    instead = stand_in_for(name)
    return f"{title(name)} (stand-in for {title(instead)})" if instead else title(name)


def versus_none(found: list, quoted: str | None = None, sizes: dict | None = None):
    """Each intermediate against None on each target, as the rule-computed verdicts of
    analysis.verdicts.judge (one Holm family). The first line is the headline by
    verdicts.HEADLINE_RULE, never simply the first row; the last says what the test applied could
    have detected."""
    from ..analysis import verdicts

    if not found:
        return _markdown(["no intermediate has runs paired with None here: nothing to compare."], quoted)
    name = _namer(found, sizes)
    top = verdicts.headline(found)
    lines = [f"**Headline** ({verdicts.HEADLINE_RULE}): {top.sentence(name)}"]
    lines += [v.sentence(name) for v in found if v is not top]
    lines.append(verdicts.power_line(found))
    return _markdown(lines, quoted)


def versus_reference(found: list, quoted: str | None = None):
    """The paper's own claim: each simple baseline against the reasoning task (HellaSwag or its
    stand-in), on each target, as judged with ``baseline=reference`` (an equivalence question with
    the declared margin, its own Holm family). It is the notebook's headline whatever it shows:
    every sentence is listed under it, in the order judged (first arm first)."""
    from ..analysis import verdicts

    if not found:
        return _markdown(["no simple baseline has runs paired with the reference task here."], quoted)
    name = _namer(found, None)
    # a target that neither model learned says nothing about the claim: the first arm on a
    # learned target leads, and the not-learned ones follow (stable: arms and targets in order)
    found = sorted(found, key=lambda v: v.kind == "not learned")
    lines = [f"**Headline** (the paper's claim, {name(found[0].intermediate)} against {name(found[0].baseline)}, "
             f"on a target both learned): " + found[0].sentence(name)]
    lines += [v.sentence(name) for v in found[1:]]
    lines.append(verdicts.power_line(found))
    return _markdown(lines, quoted)


def simple_baselines(spec: dict, reference: str) -> list:
    """The arms the paper's claim is about: every intermediate but None and the reference,
    Synthesis first (the paper's own construction, so the headline's arm)."""
    arms = [a for a in spec["intermediates"] if a not in ("none", reference)]
    return sorted(arms, key=lambda a: not a.startswith("synthesis"))


def _namer(found: list, sizes: dict | None):
    arms = {v.intermediate for v in found} | {v.baseline for v in found}

    def name(task):
        shown = as_intermediate(task) if task in arms else title(task)
        return f"{shown} ({count(sizes[task])} examples)" if sizes and task in sizes else shown
    return name


def _count(n: int, word: str) -> str:
    return f"{n} {plural(n, word)}"


def family(spec: dict, reference: str | None = None) -> str:
    """The notebook's primary family and its correction, stated from the sweep before any run:
    what is compared, how many comparisons Holm corrects over, the test and its unit."""
    from ..analysis.verdicts import ALPHA

    arms = [i for i in spec["intermediates"] if i != "none"]
    targets = spec["targets"]
    seeds = (spec.get("intermediate_training") or {}).get("seed")
    k = len(seeds) if isinstance(seeds, list) else 1
    unit = (f"the intermediate checkpoint ({k} per task, each the mean of its block of target configurations)"
            if k > 1 else "the target configuration (one checkpoint per task: the task is not replicated)")
    text = (f"**Declared before any run.** Primary family: each of {len(arms)} intermediate(s) against None on "
            f"each of {len(targets)} target(s), {_count(len(arms) * len(targets), 'comparison')}, Holm-corrected at α = "
            f"{ALPHA:g}. Test: the paired t-test over the units of replication, {unit}; equivalence by two "
            f"one-sided t-tests with the margin below, Holm-corrected over the same family; collapsed runs by "
            f"Fisher's exact test, Holm-corrected.")
    if reference:
        others = [a for a in arms if a != reference]
        text += (f" The paper's claim forms a second family: {len(others)} simple baseline(s) against "
                 f"{title(reference)} on each target, {_count(len(others) * len(targets), 'comparison')}, Holm-corrected.")
    from IPython.display import Markdown
    return Markdown(text)


def near_floor_runs(runs: pd.DataFrame, limits: dict, quoted: str | None = None,
                    margin_se: float | None = None):
    """Runs that ended at or below the floor + margin (`limits`: target -> score, 0-1;
    planning.degenerate_floors + floor_margins), each intermediate against None: the counts,
    Fisher's exact p, and the settings of every such run. The headline, by a stated rule, is
    the comparison with the smallest Fisher p, then the most such runs; never simply a row."""
    from ..analysis import near_floor_rate
    from ..analysis.verdicts import collapse_test

    margin = "the margin" if margin_se is None else f"{margin_se:g} standard {plural(margin_se, 'error')}"
    counts = near_floor_rate(runs, limits).set_index(["target", "intermediate"])  # the table 06 shows
    found = []
    for target, per in runs.groupby("target", sort=False):
        low = per[per["score"] <= limits[target]]
        k0, n0 = counts.loc[(target, "none"), ["near_floor", "n"]] if (target, "none") in counts.index else (0, 0)
        varying = [c for c in SETTING_NAMES if per[c].nunique() > 1] or ["seed"]
        for inter in [i for i in per["intermediate"].unique() if i != "none"]:
            k, n = counts.loc[(target, inter), ["near_floor", "n"]]
            p = collapse_test(int(k), int(n), int(k0), int(n0)) if n0 else 1.0
            where = "; ".join(settings_label(r, varying) for r in low[low["intermediate"] == inter].itertuples())
            word = near_floor_verdict(int(k), int(n), int(k0), int(n0), p)
            text = (f"{as_intermediate(inter)} → {title(target)}: {word} — {k} of {n} runs at or below the floor + {margin}, "
                    f"None {k0} of {n0} (Fisher's exact p = {p_text(p)})" + (f"; at {where}." if where else "."))
            found.append((p, -k - k0, text))
    if not found:
        return _markdown(["no intermediate has runs beside None's here: nothing to compare."], quoted)
    if all(f[1] == 0 for f in found):  # nothing collapsed: that is the finding, not a row of zeros
        return _markdown([f"no run, of None or of any intermediate, ended at or below the floor + {margin} "
                          f"({len(runs)} runs)."], quoted)
    found.sort(key=lambda f: (f[0], f[1]))
    lines = [f"**Headline** ({NEAR_FLOOR_RULE}): {found[0][2]}"] + [f[2] for f in found[1:]]
    if all(f[0] >= 0.05 for f in found):
        lines.append("no intermediate's count differs from None's beyond what chance gives at these run counts "
                     "(Fisher's exact p ≥ 0.05 everywhere).")
    return _markdown(lines, quoted)


NEAR_FLOOR_RULE = ("verdict: more or fewer runs at the floor than None where Fisher's exact p < 0.05, else "
                   "inconclusive; headline: the smallest Fisher p against None, then the most runs at the floor")


def near_floor_verdict(k: int, n: int, k_none: int, n_none: int, p: float) -> str:
    """The verdict word of one near-floor comparison, by NEAR_FLOOR_RULE: a count is called
    different from None's only where Fisher's exact test says so (unadjusted, at 0.05)."""
    from ..analysis.verdicts import ALPHA

    if p < ALPHA and n and n_none and k / n != k_none / n_none:
        return "more runs at the floor than None" if k / n > k_none / n_none else "fewer runs at the floor than None"
    return "inconclusive"


def zero_shot(compared: pd.DataFrame, quoted: str | None = None):
    """Sentences from zero_shot_table.versus_none: each intermediate against None on each task,
    paired example by example. Beyond the noise when the 95% interval excludes 0.

    A checkpoint scored on the task it was trained on is the rule's positive control: it must
    come out beyond the noise, and a line says whether it did; if it did not, the rule cannot
    see a real effect, and every "inside the noise" here says nothing. The headline, by
    ZERO_SHOT_RULE, is a true transfer: an in-domain row never leads."""
    if compared.empty:
        return _markdown(["no checkpoint could be scored against None here."], quoted)
    found = []  # (in domain, inside the noise, -|Δ|, sentence)
    for r in compared.itertuples():
        word = "inside the noise" if r.inside_noise else f"{'above' if r.delta > 0 else 'below'} None beyond the noise"
        if r.in_domain:
            word += ", but this checkpoint was trained on this task: not a zero-shot transfer"
        found.append((r.in_domain, r.inside_noise, -abs(r.delta),
                      f"{as_intermediate(r.intermediate)} on {title(r.task)}: {r.score:.1f} ({_count(r.checkpoints, 'checkpoint')}) "
                      f"against None's {r.none_score:.1f} ({r.heads} random heads); Δ {r.delta:+.1f} points, 95% interval "
                      f"{r.low:+.1f} to {r.high:+.1f} on {r.examples} examples: {word}."))
    top = min(found, key=lambda f: f[:3])
    lines = [f"**Headline** ({ZERO_SHOT_RULE}): {top[3]}" if not top[0] else top[3]]
    lines += [f[3] for f in found if f is not top]
    lines.append(NOISE_NAMED)
    for r in compared[compared["in_domain"]].itertuples():
        seen = not r.inside_noise
        lines.append(f"positive control: {as_intermediate(r.intermediate)} scored on {title(r.task)}, the task it was "
                     f"trained on, is {'beyond the noise, as it must be: the rule can see a real effect' if seen else 'inside the noise: the rule cannot see even a trained-on effect here, so no inside-the-noise line above says an effect is absent'}.")
    return _markdown(lines, quoted)


ZERO_SHOT_RULE = "zero-shot transfers only, beyond the noise first, then the largest |Δ|"
NOISE_NAMED = ("the interval is a percentile bootstrap over the dev examples and the replicate models of each side "
               "together (each intermediate's checkpoints, None's random heads), the models scored on the same "
               "examples, so the comparison is paired example by example.")


IN_DOMAIN = " (trained on this task: not zero-shot)"


def in_domain(intermediate: str, task: str) -> bool:
    """Was the checkpoint trained on the scored task itself (the demo's SocialIQA stand-ins,
    scored on SocialIQA)? Then its score is not a zero-shot transfer, and the table says so."""
    from ..tasks import get_task

    return intermediate != "none" and get_task(intermediate).base == get_task(task).base


def premise_check(drop: pd.DataFrame, chance: float, quoted: str | None = None):
    """What removing the premises leaves: the drop, and how far above chance the endings alone are."""
    ours = drop[pd.to_numeric(drop["ours"], errors="coerce").notna()]
    if len(ours) < 2:
        return _markdown(["the premise check could not run here (its checkpoint is missing)."], quoted)
    # the table shows one decimal: every number below is computed from those shown values
    full, stripped = (points(float(ours.iloc[i]["ours"])) for i in (0, 1))
    chance = points(100 * chance)
    change = points(full - stripped)
    effect = (f"removing the premises costs {change:.1f} points" if change > 0 else
              f"removing the premises raises the score by {-change:.1f} points" if change < 0 else
              "removing the premises leaves the score unchanged")
    return _markdown([f"the model trained on {title(ours.iloc[0]['scored on (dev)'])} scores {full:.1f} on its "
                      f"dev set and {stripped:.1f} with the premises removed (chance {chance:.1f}): {effect}, "
                      f"and the endings alone score {_from_chance(points(stripped - chance))}."], quoted)


def _from_chance(gap: float) -> str:
    return (f"{gap:.1f} points above chance" if gap > 0 else f"{-gap:.1f} points below chance" if gap < 0
            else "exactly chance")


def length_artifacts(artifacts: pd.DataFrame):
    """Is the Synthesis dev set solvable by ending length alone? (×100 table of synthesis_views)"""
    dev = artifacts.set_index("split").loc["dev"]
    gap = max(dev["longest_ending_accuracy"], dev["shortest_ending_accuracy"]) - dev["chance"]
    word = ("so length gives part of the answer away" if gap > 5 else
            "so length alone barely helps" if gap > 0 else "so length alone does not help")
    return _markdown([f"on the dev split, picking the longest ending scores {dev['longest_ending_accuracy']:.1f} "
                      f"and the shortest {dev['shortest_ending_accuracy']:.1f}, against chance {dev['chance']:.1f} "
                      f"on {int(dev['examples'])} examples, {word}."],
                     "not measured in the paper (this check is ours).")


def flat_losses(curves: pd.DataFrame, guessing: dict, tolerance: float = 0.05, quoted: str | None = None):
    """Runs whose training loss ended where a uniform guess sits (within `tolerance` nats over
    the last quarter of its logged steps): fine-tuning did not move them (the paper's
    WinoGrande-XS observation)."""
    lines = []
    for (target, inter), group in curves.groupby(["target", "intermediate"], sort=False):
        ends = [run.sort_values("step")["loss"].iloc[-max(1, len(run) // 4):].mean()
                for _, run in group.groupby("run_id")]
        flat = sum(abs(e - guessing[target]) <= tolerance for e in ends)
        lines.append(f"{as_intermediate(inter)} → {title(target)}: {flat} of {len(ends)} runs end within {tolerance} of the "
                     f"uniform-guess loss {guessing[target]:.3f}.")
    if lines:  # the definition once, after the counts: a count of 0 must not read as "learned nothing"
        lines.append("a run counted here learned nothing from its training signal: its loss ended where "
                     "guessing uniformly sits.")
    return _markdown(lines or ["no loss curves were logged."], quoted)
