"""Synthesis_GPT2 (the paper's second baseline): real Wikipedia half-sentence + 4 endings.

Built by `stilts-nb synthesize --out FILE.jsonl`, which writes FILE.jsonl (train) and
FILE.dev.jsonl (dev). The default build lives at <data dir>/Synthesis/synthesis.jsonl; any other
build is named by its path (files={"train": FILE.jsonl, "dev": FILE.dev.jsonl}), so two builds
are never confused -- their content fingerprints differ too.
"""
from .. import readers as r
from ..base import INTERMEDIATE, Layout, Task


def read(path):
    return [{"id": str(obj.get("id", n)), "ctx": r.need(obj, "ctx", path, n),
             "endings": r.endings(obj, path, n, 4), "label": r.choice(obj, path, n, 4)}
            for n, obj in r.jsonl(path)], [path]


TASK = Task(
    name="synthesis", kind="multiple_choice", metric="accuracy", max_length=60, epochs=2,
    folder="Synthesis", num_choices=4,
    layouts=(Layout("stilts-jsonl", {"train": "synthesis.jsonl", "dev": "synthesis.dev.jsonl"}, read, ".jsonl"),),
    format=lambda ex, ending, sep: (ex["ctx"], ending),
    intermediate=INTERMEDIATE,
    obtain="build it with `stilts-nb synthesize --corpus ... --generator ... --n ... "
           "--out <data folder>/Synthesis/synthesis.jsonl`",
    description="real-fake continuation (Wikipedia; fakes by a causal LM)",
    # the paper's 30k train; dev is what `stilts-nb synthesize` builds by default (--dev 2000)
    official_sizes=(30000, 2000),
    # no sample writer: the rehearsal builds its Synthesis with `stilts-nb synthesize`, from the
    # sample SQuAD corpus (tasks/samples.py: write_squad), as the real run does
)
