"""Every setting of a run, declared once: kind (type and range), default, whether it is part of
the run's identity, where a sweep file takes it, and its help text.

From this table come the checks of ``TrainConfig``/``EvalConfig`` (training/config.py, whose typed
fields tests/test_settings.py holds to this table: names, order, defaults, and each annotation
``TYPES`` of its kind), the flags of ``stilts-nb train`` / ``evaluate``, the keys a sweep file
accepts and their checks, the grid axes and the paper's grid and intermediate setting, which
fields a run's identity hashes, and the sweep store's columns (one per identity setting:
sweeps/schema.py). Adding a setting is one entry here and its typed field in training/config.py
(see docs/training.md, "Adding a setting"); the training loop then reads ``config.<name>``.

A small table of frozen dataclasses rather than pydantic models: the checks are a handful of
kinds, and the messages (``'grid.batch_size': expected a positive integer, got float 8.5``, with
the file name and a "did you mean") are ours to word, in one place (``expected``/``show``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

# kind -> what a message says is expected. A choice is the tuple of its options.
EXPECTED = {"str": "a non-empty string", "bool": "true or false",
            "pos_int": "a positive integer", "nonneg_int": "a non-negative integer",
            "pos_num": "a positive number", "nonneg_num": "a non-negative number",
            "ratio": "a number in [0, 1)", "files": "a mapping of train/dev to file paths",
            "pos_int_or_auto": "a positive integer or auto",
            "on_off_auto": "one of auto, on, off"}
# kind -> the annotation of a config field of that kind (training/config.py; `| None` where the
# default is None). A choice is a str. pos_num is float, which an int also satisfies (PEP 484).
TYPES = {"str": str, "bool": bool, "pos_int": int, "nonneg_int": int, "pos_num": float,
         "nonneg_num": float, "ratio": float, "files": dict[str, str], "pos_int_or_auto": int | str,
         "on_off_auto": str | bool}
REQUIRED = object()  # the default of a setting every run must give (task, model)


@dataclass(frozen=True)
class Setting:
    kind: str | tuple           # a key of EXPECTED, or a tuple of allowed values
    default: object = None      # None: unset (e.g. the task registry's epochs); REQUIRED: must be given
    help: str = ""
    label: str = ""             # how messages name it ("learning rate"); default: the name
    identity: bool = True       # part of a run's identity: changes the numbers a run produces
    sweep: str | None = None    # where a sweep file takes it: "grid" (an axis, one value or a list,
    #                             also intermediate_training), "task" (top level for targets,
    #                             intermediate_training and task_settings), "sweep" (top level only)
    cli: str = "flag"           # "flag", "required" (train must give it), "" (not a flag)
    paper: object = None        # grid axes: the paper's values; with `intermediate`, its setting
    intermediate: object = None  # the authors' intermediate-task value (grid axes)
    metavar: str | None = None


SETTINGS = {
    "task": Setting("str", REQUIRED, "task name, e.g. wic, winogrande_xs, hellaswag-p@2000",
                    "a task name (see `stilts-nb tasks`)", cli="required"),
    "model": Setting("str", REQUIRED, "pkg:NAME, tiny:bert, hub id or folder: family + tokenizer",
                     "a model name or folder", cli="required"),
    "init": Setting("str", None, "start from this checkpoint (a `train --save` folder)",
                    metavar="CHECKPOINT"),
    # the grid of the paper (section 4.1) and the authors' intermediate setting (appendix)
    "lr": Setting("pos_num", 1e-5, "peak learning rate", "learning rate", sweep="grid",
                  cli="required", paper=[5e-6, 1e-5, 2e-5], intermediate=1e-5),
    "batch_size": Setting("pos_int", 16, "the effective batch (per optimizer update, all processes)",
                          "batch size", sweep="grid", cli="required", paper=[8, 16, 32],
                          intermediate=16),
    "warmup_ratio": Setting("ratio", 0.1, "warmup fraction of all optimizer updates, in [0, 1)",
                            "warmup ratio", sweep="grid", cli="required", paper=[0.0, 0.2],
                            intermediate=0.1),
    "seed": Setting("nonneg_int", 42, "fixes the new head's initialization and the data order",
                    sweep="grid", cli="required", paper=[12, 42], intermediate=42),
    "epochs": Setting("pos_int", None, "default: the task's (authors' scripts)", sweep="task"),
    "max_length": Setting("pos_int", None, "default: the task's", "max length", sweep="task"),
    "train_limit": Setting("pos_int", None, "train on the first N examples", "train limit",
                           sweep="task", metavar="N"),
    "eval_limit": Setting("pos_int", None, "score on the first N dev examples", "eval limit",
                          sweep="task", metavar="N"),
    # auto: bf16 where the GPU or CPU computes it natively, else fp32; resolved (hardware.py)
    # before a run is hashed, so identities and records never say "auto"
    "precision": Setting(("fp32", "bf16", "auto"), "fp32",
                         "fp32, or bf16 autocast (master weights stay fp32), or auto: bf16 where "
                         "the GPU or CPU computes it natively", sweep="sweep"),
    # off: absent from the identity, so runs stored before this setting keep their ids
    "tf32": Setting("bool", False, "fp32 matmuls on TF32 tensor cores (GPUs that have them)",
                    sweep="sweep"),
    # how the same mathematics is computed: resolved per device and precision
    # (hardware.py) before a run starts and recorded with it; not in the identity, because the
    # kernels differ by float rounding only (measured: docs/performance.md)
    "attention": Setting(("auto", "sdpa", "eager"), "auto",
                         "attention kernel: sdpa (fused), eager (plain matmuls), or auto: the "
                         "one measured faster for this device and precision", identity=False,
                         sweep="sweep"),
    "compile": Setting("on_off_auto", "auto",
                       "torch.compile the training step, once per process (a sweep's later runs "
                       "reuse it); auto: only where measured to pay", identity=False,
                       sweep="sweep", metavar="{auto,on,off}"),
    "batching": Setting(("random", "length"), "random",
                        "random: the authors' sampler; length: seeded length-grouped batches",
                        sweep="sweep"),
    "keep_head": Setting("bool", False, "classification -> classification: keep the checkpoint's "
                         "head when its shapes match (the authors); else a new head", "keep head",
                         sweep="sweep"),
    "pad_to_multiple_of": Setting("pos_int", 8, "pad each batch to a multiple of K tokens",
                                  "pad-to-multiple-of", metavar="K"),
    "dropout": Setting("ratio", None, "override every dropout probability"),
    # how a run is carried out or reported, never its numbers: not in the identity.
    # max_device_batch: accumulation computes the same effective-batch gradient (loop.py).
    "max_device_batch": Setting("pos_int_or_auto", 32, "largest micro-batch per device; above it "
                                "gradients are accumulated (train: auto = the largest that fits)",
                                "max device batch", identity=False,
                                sweep="sweep", metavar="M"),
    "eval_each_epoch": Setting("bool", False, "also score dev after each epoch", identity=False,
                               sweep="sweep"),
    "log_every": Setting("pos_int", 10, "record the training loss every N optimizer updates",
                         "log-every", identity=False, sweep="sweep", metavar="N"),
    # where the data lies, not what it is: a run's identity hashes the data's content instead
    "data_dir": Setting("str", None, "folder with one sub-folder per dataset (default "
                        "$STILTS_DATA_DIR)", identity=False, sweep="sweep"),
    "files": Setting("files", None, "split -> file, e.g. the CoLA re-split train file",
                     identity=False, cli=""),  # flags: --train-file / --dev-file
    "out": Setting("str", None, "folder for metrics.json (and the checkpoint with --save)",
                   identity=False, cli="required", metavar="DIR"),
    "save": Setting("bool", False, "save the final model to --out (safetensors)", identity=False),
    "progress": Setting("bool", True, "progress bars", identity=False),
    # live tracking (training/tracking.py): a view of the run, never part of what it computes
    "log_with": Setting(("tensorboard", "wandb", "mlflow"), None, "also send loss, learning rate, "
                        "dev score and settings to this tracker (offline; see docs/training.md)",
                        "log-with", identity=False, sweep="sweep"),
    "tracking_dir": Setting("str", None, "where trackers write (default: OUT/tracking; a sweep: "
                            "tracking/ beside its store)", identity=False, cli=""),
    "run_name": Setting("str", None, "the run's name in trackers", identity=False, cli=""),
}

# the settings of a zero-shot evaluation (no training); its head seeds are EvalConfig's own
EVAL_SETTINGS = ("task", "model", "eval_limit", "max_length", "max_device_batch", "precision",
                 "pad_to_multiple_of", "data_dir", "files", "out", "progress")
GRID = [n for n, s in SETTINGS.items() if s.sweep == "grid"]  # one configuration of a sweep
SWEEP_WIDE = [n for n, s in SETTINGS.items() if s.sweep == "sweep"]  # one value for all of a sweep's runs
PAPER_GRID = {n: list(SETTINGS[n].paper) for n in GRID}
PAPER_INTERMEDIATE = {n: SETTINGS[n].intermediate for n in GRID}


def ok(kind, v) -> bool:
    """Does value `v` fit `kind`? (None is handled by the caller: unset or required.)"""
    if isinstance(kind, tuple):
        return v in kind
    number = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    integer = isinstance(v, int) and not isinstance(v, bool)
    return {"str": isinstance(v, str) and v.strip() != "", "bool": isinstance(v, bool),
            "pos_int": integer and v > 0, "nonneg_int": integer and v >= 0,
            "pos_num": number and v > 0, "nonneg_num": number and v >= 0,
            "ratio": number and 0 <= v < 1, "pos_int_or_auto": (integer and v > 0) or v == "auto",
            # YAML 1.1 reads an unquoted on/off as true/false: both spellings mean the same
            "on_off_auto": isinstance(v, bool) or v in ("auto", "on", "off"),
            "files": isinstance(v, dict) and all(k in ("train", "dev") and ok("str", p)
                                                 for k, p in v.items())}[kind]


def int_or_auto(text: str):
    return text if text == "auto" else int(text)


def expected(kind) -> str:
    return f"one of {', '.join(kind)}" if isinstance(kind, tuple) else EXPECTED[kind]


def show(v) -> str:
    return f"{type(v).__name__} {v!r}" if not isinstance(v, str) else repr(v)


def problem(name: str, value, settings: dict = SETTINGS) -> str | None:
    """One line saying what is wrong with `value` for setting `name`, or None."""
    s = settings[name]
    label = s.label or name
    if value is None or (value is REQUIRED):
        return f"{label} is required" if s.default is REQUIRED else None
    if not ok(s.kind, value):
        return f"{label} must be {expected(s.kind)}, got {show(value)}"
    return None


def is_float(name: str, settings: dict = SETTINGS) -> bool:
    """Numbers that hash as floats (0 and 0.0, 1e-5 and 0.00001 are one identity)."""
    return settings[name].kind in ("pos_num", "nonneg_num", "ratio")


def add_flags(parser, names, settings: dict = SETTINGS, override: bool = False) -> list:
    """One command-line flag per declared setting in `names` (--max-device-batch for
    max_device_batch); -> the names added, to build the config from the parsed arguments.
    override: every flag is optional and absent unless given (it overrides a sweep file)."""
    import argparse

    added = []
    for n in names:
        s = settings[n]
        if not s.cli:
            continue
        flag, keep = "--" + n.replace("_", "-"), {"default": argparse.SUPPRESS} if override else {}
        if s.kind == "bool":
            if s.default and not override:  # on unless switched off: --no-progress
                parser.add_argument(f"--no-{n.replace('_', '-')}", dest=n, action="store_false",
                                    help=f"no {s.help}")
            else:
                note = " (default: the sweep file's)" if override else ""
                parser.add_argument(flag, dest=n, action="store_true", help=s.help + note, **keep)
        else:
            kw = {"choices": s.kind} if isinstance(s.kind, tuple) else {
                "type": {"pos_int": int, "nonneg_int": int, "pos_num": float, "nonneg_num": float,
                         "ratio": float, "pos_int_or_auto": int_or_auto}.get(s.kind, str)}
            shown = s.default not in (None, REQUIRED) and s.cli != "required" and not override \
                and not isinstance(s.kind, tuple)
            required = s.cli == "required"
            kw.update(keep or {"default": None if required or s.default is REQUIRED else s.default,
                               "required": required})
            note = " (default: the sweep file's)" if override else f" (default {s.default})" if shown else ""
            parser.add_argument(flag, dest=n, metavar=s.metavar, help=s.help + note, **kw)
        added.append(n)
    return added
