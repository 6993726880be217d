"""A run setting is declared once (stilts_nb/settings.py) and shows up everywhere it belongs:
the config's fields and checks, the command-line flags, the sweep file's keys, the identity."""
import json
import os
import subprocess
import sys
import typing
from dataclasses import MISSING, dataclass, fields
from pathlib import Path

import pytest

from stilts_nb.cli import main
from stilts_nb.errors import UserError
from stilts_nb.settings import EVAL_SETTINGS, GRID, PAPER_GRID, REQUIRED, SETTINGS, TYPES, Setting
from stilts_nb.sweeps import Store, expand, parse_sweep
from stilts_nb.sweeps import config as sweep_config
from stilts_nb.training import EvalConfig, TrainConfig

REPO = Path(__file__).resolve().parents[1]


def help_of(command, capsys) -> str:
    with pytest.raises(SystemExit):
        main([command, "--help"])
    return " ".join(capsys.readouterr().out.split())


def test_every_declared_setting_reaches_cli_sweep_schema_and_identity(capsys):
    train_help = help_of("train", capsys)
    identity = TrainConfig(task="wic", model="tiny:bert").result_fields()
    for name, s in SETTINGS.items():
        flag = "--" + ("no-" if s.kind == "bool" and s.default else "") + name.replace("_", "-")
        if s.cli:
            assert flag in train_help and " ".join(s.help.split()[:4]) in train_help, name
        assert (name in identity) == s.identity, name
        where = {"grid": sweep_config.GRID, "task": sweep_config.TASK_SETTINGS,
                 "sweep": sweep_config.TOP}.get(s.sweep, {})
        assert (name in where) == (s.sweep is not None) and where.get(name, s.kind) == s.kind, name
    assert list(sweep_config.GRID) == GRID == ["lr", "batch_size", "warmup_ratio", "seed"]
    assert PAPER_GRID == {"lr": [5e-6, 1e-5, 2e-5], "batch_size": [8, 16, 32],
                          "warmup_ratio": [0.0, 0.2], "seed": [12, 42]}


def test_sweep_command_overrides_a_sweep_wide_setting(tmp_path, capsys, monkeypatch):
    assert "--precision" in help_of("sweep", capsys) and "--keep-head" in help_of("sweep", capsys)
    path = tmp_path / "s.yaml"
    path.write_text("model: tiny:bert\ntargets: [rte]\nprecision: fp32\n")
    assert sweep_config.load_sweep(path, {"precision": "bf16"}).run_setting("precision") == "bf16"
    with pytest.raises(UserError, match="'max_device_batch': expected a positive integer or auto, got int 0"):
        sweep_config.load_sweep(path, {"max_device_batch": 0})


def test_checks_come_from_the_declaration():
    with pytest.raises(UserError, match=r"warmup ratio must be a number in \[0, 1\), got float 1.5"):
        TrainConfig(task="wic", model="tiny:bert", warmup_ratio=1.5).validate()
    with pytest.raises(UserError, match="precision must be one of fp32, bf16, auto, got 'fp16'"):
        TrainConfig(task="wic", model="tiny:bert", precision="fp16").validate()


def annotation(s: Setting):
    """What a config field of this setting is annotated with (a choice is a str)."""
    kind = str if isinstance(s.kind, tuple) else TYPES[s.kind]
    return kind | None if s.default is None else kind


def spelled(hint) -> str:
    return hint.__name__ if isinstance(hint, type) else str(hint)


def typed_line(name: str, s: Setting) -> str:
    """The field a setting needs in training/config.py, as it is written there."""
    return f"{name}: {spelled(annotation(s))}" + ("" if s.default is REQUIRED else f" = {s.default!r}")


def disagreements(cls, names, own=(), settings: dict = SETTINGS) -> list:
    """Where the typed fields of `cls` and the declared settings `names` part ways, one line each.
    `own`: the class's fields that are not settings (they come last)."""
    found = {f.name: f for f in fields(cls)}
    hints = typing.get_type_hints(cls)
    out = [f"{n}: declared in settings.py, but {cls.__name__} has no field for it: add "
           f"`{typed_line(n, settings[n])}` to training/config.py" for n in names if n not in found]
    out += [f"{n}: a field of {cls.__name__} that settings.py does not declare" for n in found
            if n not in names and n not in own]
    for n in (n for n in names if n in found):
        s = settings[n]
        if hints[n] != annotation(s):
            out.append(f"{n}: annotated `{spelled(hints[n])}` in {cls.__name__}; its kind {s.kind!r} "
                       f"means `{typed_line(n, s)}`")
        default = REQUIRED if found[n].default is MISSING else found[n].default
        if default != s.default or type(default) is not type(s.default):  # 0 is not False
            out.append(f"{n}: default {default!r} in {cls.__name__}, {s.default!r} in settings.py")
    if not out and list(found) != [*names, *own]:
        out.append(f"{cls.__name__}: fields in another order than settings.py's {[*names, *own]}")
    return out


@pytest.mark.parametrize("cls, names, own", [(TrainConfig, list(SETTINGS), ()),
                                             (EvalConfig, EVAL_SETTINGS, ("seeds",))])
def test_the_typed_configs_are_the_table(cls, names, own):
    """Each config field is written out with its type; the table stays the one source of what
    it means. A setting added to one and not the other fails here, naming what to add."""
    assert disagreements(cls, names, own) == []


def test_a_disagreement_is_named():
    table = {**SETTINGS, "label_smoothing": Setting("ratio", 0.0, "smooth the one-hot targets")}
    assert disagreements(TrainConfig, list(table), settings=table) == [
        "label_smoothing: declared in settings.py, but TrainConfig has no field for it: add "
        "`label_smoothing: float = 0.0` to training/config.py"]

    @dataclass
    class Drifted:
        task: str
        model: str
        lr: int | None = 1e-4
        max_device_batch: int = 32
        stray: int = 0

    assert disagreements(Drifted, ["task", "model", "lr", "max_device_batch"]) == [
        "stray: a field of Drifted that settings.py does not declare",
        "lr: annotated `int | None` in Drifted; its kind 'pos_num' means `lr: float = 1e-05`",
        "lr: default 0.0001 in Drifted, 1e-05 in settings.py",
        "max_device_batch: annotated `int` in Drifted; its kind 'pos_int_or_auto' means "
        "`max_device_batch: int | str = 32`"]

    @dataclass
    class Reordered:
        model: str
        task: str

    assert disagreements(Reordered, ["task", "model"]) == [
        "Reordered: fields in another order than settings.py's ['task', 'model']"]


def test_a_new_setting_is_one_entry(tmp_path, shared_data):
    """Add one entry to SETTINGS and its typed field to TrainConfig (in a fresh process:
    tests/new_setting_process.py): the config has the field, `train --help` the flag, a sweep
    file the key (checked), the run identity the value, and the store a column, added to a store
    made before the setting existed."""
    store = tmp_path / "s.sqlite"
    spec = {"model": "tiny:bert", "targets": ["rte"], "data_dir": str(shared_data), "train_limit": 8,
            "grid": {"lr": [1e-4], "batch_size": [8], "warmup_ratio": [0.0], "seed": [1]}}
    (before,) = expand(parse_sweep(spec)).runs
    with Store(store) as s:
        s.register([before], "old")
    out = subprocess.run([sys.executable, str(REPO / "tests" / "new_setting_process.py"),
                          json.dumps(spec), str(store)], capture_output=True, text=True, cwd=REPO,
                         timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert out.returncode == 0, out.stderr[-2000:]
    new = json.loads(out.stdout.strip().splitlines()[-1])
    assert "--label-smoothing LABEL_SMOOTHING smooth the one-hot targets by this much (default 0.0)" \
        in new["help"]
    assert new["field"] == 0.0 and new["identity"] == [0.0, 0.1] and new["ids_differ"]
    assert "'label_smoothing': expected a number in [0, 1), got int 2" in new["refused"]
    assert sorted(new["column"].values(), key=str) == [0.0, 0.1, None]
    assert new["column"][before.id] is None  # planned before the setting: not recorded
