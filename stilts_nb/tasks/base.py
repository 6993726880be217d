"""What a task is, and how its raw examples are read from local files or the hub.

A task file (rte.py, wic.py, ...) declares one `Task`: where the data lives, how a raw example
becomes the text the tokenizer sees, labels, metric, and the authors' per-task settings. Reading,
transforms and tokenization are generic and live here and beside.

Raw examples are plain dicts with an ``id`` and an int ``label``; multiple-choice examples also
carry ``endings`` (one string per choice), which is what the generic transforms act on.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from ..assets import data_dir as default_data_dir
from ..checks import text_file
from ..errors import MissingData, UserError
from ..settings import PAPER_INTERMEDIATE
from .transforms import apply as apply_transforms

SPLITS = ("train", "dev")
# The authors' intermediate-task setting (lr 1e-5, batch 16, seed 42, warmup ratio 0.1).
INTERMEDIATE = PAPER_INTERMEDIATE

# main file -> (raw examples, every file read); a reader finds companion label files itself
Reader = Callable[[Path], tuple]
Pair = tuple  # (text_a, text_b or None)


@dataclass(frozen=True)
class Layout:
    """One official file layout of a dataset: the main file of each split, inside its folder."""

    name: str                             # e.g. "superglue-jsonl"
    files: dict                           # split -> path relative to the dataset folder
    read: Reader
    suffix: str                           # how an explicitly given main file of it ends

    def paths(self, folder: Path) -> dict:
        return {split: folder / rel for split, rel in self.files.items()}


@dataclass(frozen=True)
class Hub:
    """A Hugging Face hub copy: dataset id, config, split names, a row -> raw example map, and
    the commit it is pinned to. Hub repositories change in place (aps/super_glue became parquet
    in 2025), so a pinned commit is what makes "the WiC dev set" the same rows for every user;
    None reads the main branch of the day, and the commit `datasets` resolved is recorded in
    the data's fingerprint either way (README, Data: which pins are verified)."""

    id: str
    config: str | None
    splits: dict                          # our split -> hub split
    convert: Callable[[dict, int], dict]  # (row, index) -> raw example
    revision: str | None = None           # a commit sha of the dataset repository
    # One row as the hub serves it and the inputs it must become with RoBERTa's separator "</s>":
    # (text_a, text_b, label), for multiple choice the right choice's texts. tests/
    # test_hub_and_assets.py converts every hub copy's row, so no converter goes untested.
    test_row: dict = field(default_factory=dict)
    test_inputs: tuple = ()


@dataclass(frozen=True)
class Sample:
    """A writer of a small copy of a task's files in one of its official layouts, in random words
    from a seeded stream (tasks/samples.py): the rehearsal and the tests read it exactly as they
    would read the real files. ``size`` is what ``write`` gets, usually (train, dev) examples."""

    write: Callable                       # (data folder, size, random.Random) -> None
    size: object = (48, 32)


@dataclass(frozen=True)
class Task:
    name: str
    kind: str                             # "classification" | "multiple_choice"
    metric: str                           # "accuracy" | "mcc"
    max_length: int
    epochs: int
    folder: str                           # sub-folder of the data dir, as in ../shared/data
    layouts: tuple
    # classification: (example, sep) -> (text_a, text_b); multiple choice: (example, ending, sep)
    format: Callable
    hub: Hub | None = None
    labels: tuple = ()                    # classification label names; index = label id
    num_choices: int = 0
    intermediate: dict | None = None      # settings when used as an intermediate task
    variants: dict = field(default_factory=dict)  # transform -> overrides, e.g. {"p": {...}}
    description: str = ""
    obtain: str = ""                      # how to get the files when there is no hub copy
    transforms: tuple = ()                # applied transform names, e.g. ("p",)
    subsample: int | None = None          # the @N of the name: train examples kept
    # (train, dev) examples of the official files: what the cost model prices a run at when the
    # files are not on this machine (a dry run of the paper's design on a laptop)
    official_sizes: tuple | None = None
    sample: Sample | None = None          # None: no sample files (e.g. Synthesis, which is built)

    @property
    def base(self) -> str:
        """The registered task a variant derives from: 'hellaswag' for 'hellaswag-p@2000'."""
        return self.name.split("-")[0].split("@")[0]

    @property
    def title(self) -> str:
        """The name as the paper writes it: 'WiC', 'HellaSwag-p@2000', 'WinoGrande-XS'."""
        size = self.base.partition("_")[2].upper()
        return (self.folder + (f"-{size}" if size else "") + "".join(f"-{t}" for t in self.transforms)
                + (f"@{self.subsample}" if self.subsample else ""))

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    @property
    def chance(self) -> float:
        if self.metric == "mcc":
            return 0.0
        return 1.0 / (self.num_choices or self.num_labels)


@dataclass
class Split:
    """Raw examples of one split, with where they came from and a content fingerprint."""

    task: Task
    split: str
    examples: list
    source: str                           # a file path or "hub:<id>/<config>:<split>"
    fingerprint: str                      # changes whenever the content changes


def load(task: Task, split: str, data_dir=None, files: dict | None = None, hub: bool = True) -> Split:
    """Read one split: explicit files first, then the local folder, then the hub.

    `files` maps a split to its main file, for layouts that differ from the folder's (e.g. the
    CoLA re-split train file); the reader is the layout whose main file name matches. A relative
    path is taken relative to the data folder.
    """
    if split not in SPLITS:
        raise UserError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if files and split in files:
        path = Path(files[split])
        if not path.is_absolute():  # relative to the data folder, so a YAML file travels
            path = default_data_dir(data_dir) / path
        if path.exists():
            text_file(path, f"a {task.name} {split} file")
        raw = _read_file(task, path, _layout_for(task, path).read)
    else:
        raw = _read_default(task, split, default_data_dir(data_dir), hub)
    raw.split = split
    raw.examples = apply_transforms(task, raw.examples, split)
    return raw


def _read_default(task: Task, split: str, root: Path, hub: bool) -> Split:
    folder = root / task.folder
    tried = []
    for layout in task.layouts:
        path = layout.paths(folder).get(split)
        if path is not None and path.exists():
            return _read_file(task, path, layout.read)
        tried.append(f"{path} ({layout.name})")
    if task.hub is None or not hub:
        how = task.obtain or f"put the official files under {folder}/ or set STILTS_DATA_DIR"
        raise MissingData(f"{task.name}: no {split} file found; expected one of: {'; '.join(tried)}. "
                          f"{how[0].upper()}{how[1:]}.")
    return _read_hub(task, split, folder)


def _layout_for(task: Task, path: Path) -> Layout:
    for layout in task.layouts:
        if path.name.endswith(layout.suffix):
            return layout
    known = ", ".join(f"{layout.name} ({', '.join(layout.files.values())})" for layout in task.layouts)
    raise UserError(f"{path}: not a file layout known for {task.name}; known: {known}")


def _read_file(task: Task, path: Path, read: Reader) -> Split:
    if not path.exists():
        raise MissingData(f"{path}: no such file (needed for task {task.name})")
    text_file(path, f"a {task.name} data file")
    try:
        examples, used = read(path)
    except UnicodeDecodeError as err:
        bad = err.object[err.start:err.start + 1].hex()
        raise UserError(f"{path}: not UTF-8 text (byte 0x{bad} cannot be decoded); the {task.name} "
                        "files must be UTF-8") from None
    if not examples:
        raise UserError(f"{path}: no examples in this file ({task.name})")
    digest = hashlib.sha256()
    for p in used:
        digest.update(Path(p).read_bytes())
    return Split(task, "", examples, " + ".join(map(str, used)), "sha256:" + digest.hexdigest())


def _read_hub(task: Task, split: str, folder: Path) -> Split:
    import datasets

    hub = task.hub
    try:
        rows = datasets.load_dataset(hub.id, hub.config, split=hub.splits[split], revision=hub.revision)
    except Exception as err:  # noqa: BLE001 -- offline, gated, renamed: all mean "not reachable"
        files = "; ".join(f"{layout.name}: {', '.join(layout.files.values())}" for layout in task.layouts)
        raise UserError(
            f"{task.name}: could not load {hub.id}{f' ({hub.config})' if hub.config else ''}"
            f"{f' at commit {hub.revision}' if hub.revision else ''} from the Hugging Face hub "
            f"({type(err).__name__}: {str(err).splitlines()[0][:200]}). Offline, use local files "
            f"instead: put them under {folder}/ ({files}) or point STILTS_DATA_DIR at their parent."
        ) from None
    return hub_split(task, split, rows)


def hub_split(task: Task, split: str, rows) -> Split:
    """Convert a loaded hub dataset (or any datasets.Dataset with the hub's columns)."""
    hub = task.hub
    examples = [hub.convert(row, i) for i, row in enumerate(rows)]
    revision = resolved_revision(rows) or hub.revision or "unresolved"
    source = f"hub:{hub.id}@{revision}/{hub.config}:{hub.splits[split]}"
    return Split(task, split, examples, source,
                 f"hub:{hub.id}@{revision}:{getattr(rows, '_fingerprint', source)}")


def resolved_revision(rows) -> str | None:
    """The commit `datasets` actually read, so a run says what it trained on even where no pin
    was asked for: a hub dataset's cache folder is named after it
    (.../aps___super_glue/wic/0.0.0/<commit>/...)."""
    for entry in getattr(rows, "cache_files", None) or []:
        for part in Path(entry.get("filename", "")).parts:
            if len(part) == 40 and all(c in "0123456789abcdef" for c in part):
                return part
    return None


def inputs(task: Task, example: dict, sep: str) -> dict:
    """The exact strings fed to the tokenizer, in the shape `stilts-nb preview` prints."""
    if task.kind == "classification":
        text_a, text_b = task.format(example, sep)
        return {"id": example["id"], "label": example["label"], "text_a": text_a, "text_b": text_b}
    choices = [task.format(example, ending, sep) for ending in example["endings"]]
    return {"id": example["id"], "label": example["label"],
            "choices": [{"text_a": a, "text_b": b} for a, b in choices]}


def majority_share(task: Task, labels: list) -> float:
    """The floor a run must beat: the share of the most common answer among the examples scored,
    for classification and multiple choice alike (on WinoGrande dev option 2 is right 50.4% of
    the time, on SocialIQA dev answer C 33.6%: a run that always picks it scores that, not
    chance); 0 for MCC, where any constant prediction scores 0."""
    if task.metric == "mcc":
        return 0.0
    if not labels:
        return task.chance
    return max(labels.count(c) for c in set(labels)) / len(labels)


def floor_standard_error(task: Task, floor: float, n: int) -> float:
    """The sampling error of a score at the floor on n dev examples: the binomial standard error
    sqrt(p(1-p)/n) of an accuracy p, and 1/sqrt(n) for MCC (its spread around 0 under no
    association). A score within a standard error or two of the floor cannot be told from it."""
    if n <= 0:
        return 0.0
    if task.metric == "mcc":
        return 1.0 / n ** 0.5
    return (floor * (1.0 - floor) / n) ** 0.5
