"""One example from one premise: validate the fake endings, place the true one, score artifacts.

Kept free of files and models so the rules can be tested on their own.
"""
from __future__ import annotations

import random


def fake_problem(fake: str, true_ending: str, accepted: list[str]) -> str | None:
    """Why a sampled ending cannot be a fake choice, or None if it can.

    A copy of the true ending (or of another fake) makes the example unanswerable or gives two
    identical choices; an empty one is a free hint. Compared case-insensitively because the
    classifier's tokenizer may well be uncased.
    """
    if not fake.strip():
        return "empty"
    key = fake.casefold()
    if key == true_ending.casefold():
        return "copy_of_true"
    if any(key == other.casefold() for other in accepted):
        return "duplicate_fake"
    return None


def accept(candidates: list[str], true_ending: str, accepted: list[str], want: int,
           counts: dict) -> list[str]:
    """Append valid candidates to ``accepted`` until it holds ``want``; count every rejection."""
    for fake in candidates:
        if len(accepted) == want:
            break
        problem = fake_problem(fake, true_ending, accepted)
        if problem:
            counts[f"rejected_{problem}"] = counts.get(f"rejected_{problem}", 0) + 1
        else:
            accepted.append(fake)
    return accepted


def label_for(seed: int, index: int, n_choices: int) -> int:
    """Position of the true ending: uniform, a pure function of (seed, index).

    The authors always put it first (label 0), so a model that scores all choices alike
    would get 100%; a string seed makes Python's Random hash it with SHA-512, which does not
    depend on PYTHONHASHSEED.
    """
    return random.Random(f"{seed}:label:{index}").randrange(n_choices)


def place(true_ending: str, fakes: list[str], label: int) -> list[str]:
    return fakes[:label] + [true_ending] + fakes[label:]


def length_rule_accuracy(records: list[dict], n_tokens) -> dict:
    """How well 'pick the longest / the shortest ending (in tokens)' solves the task.

    Fake endings are capped at the true ending's length, so 'longest' may do far better than
    chance. Ties are credited 1/k (the expected accuracy of breaking them at random), so a set
    where all endings have equal length scores chance, not 100%.
    """
    if not records:
        return {"examples": 0}
    longest = shortest = 0.0
    true_len = fake_len = 0
    for rec in records:
        lengths = [n_tokens(e) for e in rec["endings"]]
        for pick, score in ((max(lengths), "longest"), (min(lengths), "shortest")):
            tied = [i for i, n in enumerate(lengths) if n == pick]
            credit = (rec["label"] in tied) / len(tied)
            if score == "longest":
                longest += credit
            else:
                shortest += credit
        true_len += lengths[rec["label"]]
        fake_len += sum(lengths) - lengths[rec["label"]]
    n = len(records)
    n_choices = len(records[0]["endings"])
    return {
        "examples": n,
        "chance": round(1 / n_choices, 4),
        "longest_ending_accuracy": round(longest / n, 4),
        "shortest_ending_accuracy": round(shortest / n, 4),
        "mean_tokens_true_ending": round(true_len / n, 2),
        "mean_tokens_fake_ending": round(fake_len / (n * (n_choices - 1)), 2),
    }
