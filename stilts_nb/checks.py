"""Early checks: what a command can refuse in milliseconds is refused before any compute.

Each check raises one UserError naming the flag or file, and writes nothing: a typo in an output
path or a model name must not cost an hour of training (or a store full of `failed` rows).
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from importlib.util import find_spec
from pathlib import Path

from .errors import UserError

GZIP_MAGIC = b"\x1f\x8b"
# a hub id: `name` or `owner/name`, letters, digits, - _ .
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def writable_dir(path, flag: str) -> Path:
    """A folder the command will create or fill: it, or its nearest existing parent, must be a
    folder we may write into. Nothing is created here."""
    path = Path(path)
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise UserError(f"{flag} {path}: {probe} is a file, not a folder")
    try:  # a real probe: permissions, read-only mounts and /proc-like folders all answer here
        fd, name = tempfile.mkstemp(prefix=".stilts-probe-", dir=probe)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        raise UserError(f"{flag} {path}: cannot write into {probe} ({err.strerror})") from None
    return path


def writable_file(path, flag: str) -> Path:
    """A file the command will write (a store, a Synthesis build): not a folder, and its folder
    writable (see writable_dir)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{flag} {path}: is a folder; give a file name")
    writable_dir(path.parent, flag)
    return path


def text_file(path, what: str) -> Path:
    """An input file we read as UTF-8 text: present, a file, not compressed."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder, expected {what}")
    if not path.exists():
        raise UserError(f"{path}: no such file ({what})")
    with open(path, "rb") as fh:
        head = fh.read(2)
    if head == GZIP_MAGIC:
        raise UserError(f"{path}: is gzip-compressed; decompress it first (gunzip -k {path})")
    return path


def small_text_file(path, what: str) -> Path:
    """A small text file read whole (a sweep or parameters YAML): also valid UTF-8."""
    path = text_file(path, what)
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        line = err.object[:err.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 text ({what} must be UTF-8)") from None
    return path


def yaml_file(path, what: str):
    """The content of a small YAML file (a parameters or overlay file), checked as text first."""
    import yaml

    path = small_text_file(path, what)
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise UserError(f"{path}: not valid YAML ({str(err).splitlines()[0]})") from None


def store_file(path) -> Path:
    """An existing results store (for results/status): a file in a folder that exists (whether
    it is a store, the store's schema check says)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise UserError(f"{path}: no store here, the folder {path.parent} does not exist "
                        "(a sweep or `stilts-nb run` creates the store)")
    if path.is_dir():
        raise UserError(f"{path}: is a folder; give the store file (e.g. runs/stilts.sqlite)")
    return path


def executor(name: str) -> None:
    """Ray and submitit are optional extras: say so before the store is touched."""
    if name == "ray" and find_spec("ray") is None:
        raise UserError("--executor ray: Ray is not installed; `pip install 'stilts-nb[ray]'` "
                        "or use --executor local")
    if name == "slurm":
        if find_spec("submitit") is None:
            raise UserError("--executor slurm: submitit is not installed; `pip install "
                            "'stilts-nb[slurm]'` or use --executor local")
        why = slurm_available()
        if why:
            raise UserError(f"--executor slurm: {why}")


# tracker -> (the module accelerate imports for it, what to install); mirrors pyproject's extras
TRACKERS = {"tensorboard": ("tensorboard", "pip install 'stilts-nb[tracking]'"),
            "mlflow": ("mlflow", "pip install 'stilts-nb[mlflow]'"),
            "wandb": ("wandb", "pip install wandb")}


def tracker(kind, where: str = "--log-with") -> None:
    """A tracker asked for must be importable now: a run whose tracker fails goes on untracked
    (tracking.py), so a missing package found mid-sweep means hours of runs with nothing tracked.
    Imported, not just looked up, so a broken install is refused too; only when asked for."""
    if not kind:
        return
    if kind not in TRACKERS:
        raise UserError(f"{where} {kind}: unknown tracker; use one of {', '.join(TRACKERS)}")
    module, install = TRACKERS[kind]
    try:
        __import__(module)
    except ImportError as err:
        raise UserError(f"{where} {kind}: the {module} package cannot be imported here "
                        f"({type(err).__name__}); `{install}`, or leave {where.split()[-1]} unset") from None


def slurm_available() -> str | None:
    """None when a SLURM controller answers here, else why not (one line)."""
    try:
        out = subprocess.run(["sinfo", "-h", "-o", "%T"], capture_output=True, text=True, timeout=30)
    except FileNotFoundError:
        return "no SLURM client here (sinfo not found)"
    except subprocess.TimeoutExpired:
        return "the SLURM controller did not answer within 30 s"
    if out.returncode != 0:
        return f"the SLURM controller did not answer: {(out.stderr.strip().splitlines() or ['?'])[0]}"
    return None


# SQLite's locks and WAL's shared memory do not work across the hosts of these file systems
NETWORK_FS = ("nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "ceph",
              "glusterfs", "fuse.glusterfs", "fuse.sshfs", "9p", "afs", "panfs", "fuse.beegfs")


def local_store(path, mounts: str | None = None) -> None:
    """Refuse a store on a network file system (``mounts``: /proc/self/mounts' text)."""
    if mounts is None:
        try:
            mounts = Path("/proc/self/mounts").read_text()
        except OSError:
            return  # not Linux: nothing we can tell
    probe = Path(os.path.abspath(path))
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    probe = probe.resolve()
    best, fstype = "", ""
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1].replace("\\040", " ")
        inside = str(probe) == point or str(probe).startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, fstype = point, fields[2]
    if fstype in NETWORK_FS:
        raise UserError(f"--store {path}: on a network file system ({fstype} at {best}); SQLite must "
                        "not be shared over it: put the store on the driver's local disk")


def model(name: str) -> None:
    """A model name resolves (pkg:, tiny:, a folder, a hub id whose config is reachable)."""
    from .assets import TINY_MODELS, resolve_model

    if name in TINY_MODELS:
        return
    src = resolve_model(name)  # refuses unknown tiny: names and missing pkg: packages
    if name.startswith("pkg:"):
        return
    if name.startswith((".", "/", "~")) or name.count("/") > 1 or Path(name).exists():
        folder = Path(name).expanduser()
        if not (folder / "config.json").is_file():
            raise UserError(f"model {name!r}: no such model folder (a folder with config.json)")
        return
    if not HUB_ID.match(name):
        raise UserError(f"model {name!r}: not a hub id, folder, pkg:<package> or tiny: name")
    from transformers import AutoConfig

    try:
        AutoConfig.from_pretrained(src.path, **src.kwargs())  # a few kB; cached afterwards
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0][:200] if str(err).strip() else type(err).__name__
        raise UserError(f"model {name!r}: cannot load its config from the Hugging Face hub or "
                        f"cache ({first})") from None


def sweep(model_name: str, store, executor_name: str) -> None:
    """Everything a sweep can be refused for before its store is touched."""
    executor(executor_name)
    writable_file(store, "--store")
    local_store(store)
    model(model_name)


def train_args(args) -> None:
    """`stilts-nb train` / `evaluate`: output folder, data folder, model and checkpoint."""
    from .assets import data_dir

    writable_dir(args.out, "--out")
    tracker(getattr(args, "log_with", None))
    data_dir(args.data_dir)
    init = getattr(args, "init", None)
    if init and not (Path(init) / "config.json").is_file():
        raise UserError(f"--init {init}: not a checkpoint folder (no config.json); "
                        "train with --save to write one")
    model(args.model)
