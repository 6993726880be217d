"""A process in which settings.py has one more entry, label_smoothing, and TrainConfig its typed
field (test_settings.py runs it): what a developer adding a setting writes.

The tables derived from SETTINGS (the grid and sweep-wide lists, the flags, the sweep keys, the
store's columns) are built as modules load, so the entry and the field are put into the text of
settings.py and training/config.py as they are loaded, in a process of its own. This prints, as
one JSON line, what the rest of stilts_nb made of them; the test decides whether that is right.

    python tests/new_setting_process.py SWEEP_JSON STORE
"""
import contextlib
import io
import json
import sys
import types
from pathlib import Path

import stilts_nb

ENTRY = ('    "label_smoothing": Setting("ratio", 0.0, "smooth the one-hot targets by this much",\n'
         '                               "label smoothing", sweep="sweep"),\n')
FIELD = "    label_smoothing: float = 0.0\n"


def load_with(relative: str, name: str, where, text: str) -> None:
    """Load stilts_nb/`relative` with `text` inserted at `where(source)`, as the module `name`
    every later import gets: the file as a developer would have edited it. (Adding the entry to
    an imported SETTINGS would come too late for the tables settings.py derives as it loads.)"""
    path = Path(stilts_nb.__file__).parent / relative
    source = path.read_text()
    at = where(source)
    module = types.ModuleType(name)
    module.__file__, module.__package__ = str(path), name.rpartition(".")[0]
    sys.modules[name] = module
    exec(compile(source[:at] + text + source[at:], str(path), "exec"), module.__dict__)


# the entry goes last in SETTINGS; the field after TrainConfig's last field
load_with("settings.py", "stilts_nb.settings", lambda s: s.index("\n}\n", s.index("SETTINGS = {")) + 1, ENTRY)
load_with("training/config.py", "stilts_nb.training.config",
          lambda s: s.index("\n\n    def ", s.index("class TrainConfig(")) + 1, FIELD)

from stilts_nb.cli import main  # noqa: E402 -- after the entry and the field, on purpose
from stilts_nb.errors import UserError  # noqa: E402
from stilts_nb.sweeps import Store, expand, parse_sweep, results  # noqa: E402
from stilts_nb.training import TrainConfig  # noqa: E402


def facts(spec: dict, store: str) -> dict:
    """`spec`: a sweep (as a dict) without the new setting; `store`: made before the setting."""
    help_text = io.StringIO()
    with contextlib.redirect_stdout(help_text), contextlib.suppress(SystemExit):
        main(["train", "--help"])
    runs = [expand(parse_sweep({**spec, "label_smoothing": v})).runs[0] for v in (0.0, 0.1)]
    try:
        parse_sweep({**spec, "label_smoothing": 2})
        refused = None
    except UserError as err:
        refused = str(err)
    with Store(store) as s:  # the column is added on opening
        s.register(runs, "new")
    df = results(store)
    return {"help": " ".join(help_text.getvalue().split()),
            "field": TrainConfig(task="rte", model="tiny:bert").label_smoothing,
            "identity": [r.identity["label_smoothing"] for r in runs],
            "ids_differ": runs[0].id != runs[1].id, "refused": refused,
            "column": {run_id: None if value != value else value  # NaN: not recorded
                       for run_id, value in zip(df.id, df.label_smoothing)}}


if __name__ == "__main__":
    print(json.dumps(facts(json.loads(sys.argv[1]), sys.argv[2])))
