"""The settings of one fine-tuning run (or one zero-shot evaluation), and their validation.

A run is fully described by a TrainConfig: the sweep layer hashes its result-changing fields
into the run's identity, the command line builds one from its flags, and notebooks build one
directly. Both classes are made from the declarations in ``stilts_nb/settings.py`` (fields,
defaults, checks, what is part of the identity), so a setting is described in one place.
``validate`` rejects out-of-range values with one clear line *before* any model or data is
loaded, so a typo in a 1000-run sweep fails in milliseconds rather than after a download.
"""
from __future__ import annotations

from dataclasses import MISSING, asdict, field, fields, make_dataclass

from ..errors import UserError
from ..settings import EVAL_SETTINGS, REQUIRED, SETTINGS, problem


class _Settings:
    """What both configs do with their declared settings."""

    def validate(self):
        for f in fields(self):
            if f.metadata.get("declared"):
                why = problem(f.name, getattr(self, f.name), self._settings)
                if why:
                    raise UserError(why)
        self._extra_checks()
        return self

    def _extra_checks(self) -> None:
        pass

    def to_dict(self) -> dict:
        return asdict(self)

    def result_fields(self) -> dict:
        """The fields that change a run's result (what a sweep store hashes)."""
        return {k: v for k, v in asdict(self).items()
                if k in self._settings and self._settings[k].identity}


def config_class(name: str, names, settings: dict = SETTINGS, extra=(), base=_Settings, doc=""):
    """A dataclass with one field per declared setting in `names` (+ `extra` dataclass fields)."""
    def declared(n):
        s = settings[n]
        default = MISSING if s.default is REQUIRED else s.default
        kind = s.kind if isinstance(s.kind, tuple) else None
        return n, object, field(default=default, metadata={"declared": True, "choices": kind})
    required = [declared(n) for n in names if settings[n].default is REQUIRED]
    optional = [declared(n) for n in names if settings[n].default is not REQUIRED]
    cls = make_dataclass(name, required + optional + list(extra), bases=(base,),
                         namespace={"_settings": settings, "__doc__": doc})
    cls.__module__ = __name__
    return cls


class _Train(_Settings):
    def _extra_checks(self) -> None:
        if self.save and not self.out:
            raise UserError("--save needs --out: the checkpoint is written to that folder")


class _Eval(_Settings):
    def _extra_checks(self) -> None:
        if not self.seeds:
            raise UserError("give at least one seed")
        if not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in self.seeds):
            raise UserError(f"seeds must be non-negative integers, got {list(self.seeds)}")

    def to_dict(self) -> dict:
        return {**asdict(self), "seeds": list(self.seeds)}


TrainConfig = config_class(
    "TrainConfig", list(SETTINGS), base=_Train,
    doc="One fine-tuning run; every field is declared in stilts_nb/settings.py.")
EvalConfig = config_class(
    "EvalConfig", EVAL_SETTINGS, base=_Eval,
    extra=[("seeds", tuple, field(default=(12, 42, 87)))],  # a transferred head: all equal
    doc="Zero-shot evaluation: score a model on a task's dev set without training.")
