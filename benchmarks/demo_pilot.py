"""The demo's pilot, tabulated: what MiniLM learns per target, how far seeds spread, what a run
costs, and the paired spread that sizes the demo's grid (docs/demo-design.md).

    stilts-nb sweep parameters/sweeps/demo_pilot.yaml --store runs/pilot/stilts.sqlite
    python benchmarks/demo_pilot.py runs/pilot/stilts.sqlite [--effect 2.0 --comparisons 3]

Prints two Markdown tables and the grid size the power calculation asks for. The numbers are
this machine's: the precision and kernel family each run used are printed with them.
"""
from __future__ import annotations

import argparse
import math

import pandas as pd

from stilts_nb.analysis import compare, verdicts
from stilts_nb.sweeps import results


def learnability(runs: pd.DataFrame) -> pd.DataFrame:
    """Per (target, intermediate): mean and spread over seeds, against the floor, in dev SEs."""
    rows = []
    for (target, inter), g in runs.groupby(["task", "intermediate"], sort=False):
        floor, n = g["floor"].iloc[0], int(g["dev_examples"].iloc[0])
        mean = g["score"].mean()
        se = verdicts.dev_se(mean, n, g["metric"].iloc[0])
        rows.append({"target": target, "intermediate": inter, "runs": len(g),
                     "mean": round(100 * mean, 1), "seed sd": round(100 * g["score"].std(ddof=1), 1),
                     "min": round(100 * g["score"].min(), 1), "max": round(100 * g["score"].max(), 1),
                     "floor": round(100 * floor, 1), "dev n": n,
                     "above floor (dev SEs)": round((100 * (mean - floor)) / se, 1),
                     # wall clock, dev scoring included; the fastest run is the least disturbed by
                     # whatever else the machine ran (the pilot's machine is shared)
                     "s per run (fastest / median)": f"{g['wall_seconds'].min():.0f} / {g['wall_seconds'].median():.0f}"})
    return pd.DataFrame(rows)


def paired(runs: pd.DataFrame) -> pd.DataFrame:
    """Each intermediate minus None on the same target and seed: the spread the grid is sized on."""
    rows = []
    for target, per in runs.groupby("task", sort=False):
        none = per[per["intermediate"] == "none"].set_index(["lr", "seed"])["score"]
        for inter, g in per[per["intermediate"] != "none"].groupby("intermediate", sort=False):
            d = 100 * (g.set_index(["lr", "seed"])["score"] - none).dropna()
            rows.append({"target": target, "intermediate": inter, "pairs": len(d),
                         "differences": ", ".join(f"{x:+.1f}" for x in d),
                         "Δ mean": round(d.mean(), 1),
                         "paired sd": round(d.std(ddof=1), 2) if len(d) > 1 else math.nan})
    return pd.DataFrame(rows)


def intermediates(store: str) -> pd.DataFrame:
    done = results(store)
    done = done[(done["role"] == "intermediate") & (done["status"] == "done")]
    return pd.DataFrame({"intermediate": done["task"], "dev accuracy": (100 * done["score"]).round(1),
                         "s per run": done["wall_seconds"].round()})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store")
    ap.add_argument("--effect", type=float, default=2.0, help="points the demo must detect")
    ap.add_argument("--comparisons", type=int, default=3, help="comparisons Holm adjusts over")
    ap.add_argument("--sd", type=float, help="paired sd to size on (default: the largest measured)")
    args = ap.parse_args()
    runs = results(args.store, full=True)
    runs = runs[(runs["role"] == "target") & (runs["status"] == "done")]
    runs = runs.assign(floor=runs["result"].map(lambda r: r.get("baseline")),
                       dev_examples=runs["result"].map(lambda r: r.get("eval_examples")))
    print("precision / device:", ", ".join(sorted(set(runs["precision"] + " / " + runs["device"].astype(str)))))
    print("\n## Targets\n\n" + learnability(runs).to_markdown(index=False))
    print("\n## Intermediates\n\n" + intermediates(args.store).to_markdown(index=False))
    pairs = paired(runs)
    print("\n## Paired differences (intermediate − None, same lr and seed)\n\n" + pairs.to_markdown(index=False))
    sd = args.sd if args.sd is not None else float(pairs["paired sd"].max())
    need = compare.units_needed(sd, args.effect, compare.ALPHA / args.comparisons)
    print(f"\nTo detect {args.effect:g} points with 80% power by the paired t-test at 0.05 / {args.comparisons} "
          f"(Holm's first step), unit sd {sd:.2f}: {need} units (intermediate checkpoints, each the mean of its "
          f"block of target configurations; the sd of a block mean is smaller than one pair's).")


if __name__ == "__main__":
    main()
