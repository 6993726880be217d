"""The settings of one fine-tuning run (or one zero-shot evaluation), and their validation.

A run is fully described by a TrainConfig: the sweep layer hashes its result-changing fields
into the run's identity, the command line builds one from its flags, and notebooks build one
directly. Both classes are written out with real annotations, so an editor and a type checker
see each field's type; what a setting *means* (its check, message, help text and whether it is
part of the identity) stays in ``stilts_nb/settings.py``, and tests/test_settings.py holds the
fields here to that table: the same names in the same order, the same defaults, and each
annotation the one its setting's kind maps to (``settings.TYPES``). A new setting is one table
entry plus one typed line here; that test names whichever is missing.

Each declared setting is checked when the config is made (``TrainConfig(lr="1e-4")`` raises
"learning rate must be a positive number, got '1e-4'" on that line), before any model or
data is loaded, so a typo in a 1000-run sweep fails in milliseconds rather than after a
download. What depends on several fields is checked by ``validate``, which ``train`` calls: a
sweep's plan makes a config that saves before the executor has picked its ``out`` folder.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from ..errors import UserError
from ..settings import SETTINGS, problem


@dataclass
class _Checked:
    """What both configs do with their declared settings (a dataclass without fields of its own,
    so that type checkers accept fields() and asdict() of it)."""

    def __post_init__(self) -> None:
        self._check_fields()

    def validate(self):
        self._check_fields()  # again: a field may have been assigned since the config was made
        self._check_together()
        return self

    def _check_fields(self) -> None:
        for f in fields(self):
            why = problem(f.name, getattr(self, f.name)) if f.name in SETTINGS else None
            if why:
                raise UserError(why)

    def _check_together(self) -> None:
        pass

    def to_dict(self) -> dict:
        return asdict(self)

    def result_fields(self) -> dict:
        """The fields that change a run's result (what a sweep store hashes)."""
        return {k: v for k, v in asdict(self).items() if k in SETTINGS and SETTINGS[k].identity}


@dataclass
class TrainConfig(_Checked):
    """One fine-tuning run; what each field means: stilts_nb/settings.py."""

    task: str
    model: str
    init: str | None = None
    lr: float = 1e-5
    batch_size: int = 16
    warmup_ratio: float = 0.1
    seed: int = 42
    epochs: int | None = None
    max_length: int | None = None
    train_limit: int | None = None
    eval_limit: int | None = None
    precision: str = "fp32"
    tf32: bool = False
    attention: str = "auto"
    compile: str | bool = "auto"
    batching: str = "random"
    keep_head: bool = False
    pad_to_multiple_of: int = 8
    dropout: float | None = None
    max_device_batch: int | str = 32
    eval_each_epoch: bool = False
    log_every: int = 10
    data_dir: str | None = None
    files: dict[str, str] | None = None
    out: str | None = None
    save: bool = False
    progress: bool = True
    log_with: str | None = None
    tracking_dir: str | None = None
    run_name: str | None = None

    def _check_together(self) -> None:
        if self.save and not self.out:
            raise UserError("--save needs --out: the checkpoint is written to that folder")


@dataclass
class EvalConfig(_Checked):
    """Zero-shot evaluation: score a model on a task's dev set without training."""

    task: str
    model: str
    eval_limit: int | None = None
    max_length: int | None = None
    max_device_batch: int | str = 32
    precision: str = "fp32"
    pad_to_multiple_of: int = 8
    data_dir: str | None = None
    files: dict[str, str] | None = None
    out: str | None = None
    progress: bool = True
    seeds: tuple[int, ...] = (12, 42, 87)  # the new head's seeds; a transferred head: all equal

    def _check_fields(self) -> None:
        super()._check_fields()
        if not self.seeds:
            raise UserError("give at least one seed")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in self.seeds):
            raise UserError(f"seeds must be non-negative integers, got {list(self.seeds)}")

    def to_dict(self) -> dict:
        return {**asdict(self), "seeds": list(self.seeds)}
