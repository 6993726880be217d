"""The files of one build, and how a build survives a crash.

    FILE.jsonl           train split          } written to *.tmp and renamed into place at
    FILE.dev.jsonl       dev split            } the very end; the sidecar goes last, so a
    FILE.meta.json       sidecar (finished)   } build without a sidecar is never finished
    FILE.jsonl.partial   append-only progress: a config header, then one line per finished
                         batch. A crash loses at most the line being written; a rerun drops
                         that torn line and goes on from the next batch.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..checksums import sha256_file  # noqa: F401 -- re-exported: a build's file hash
from ..errors import UserError

FORMAT = "stilts-synthesis/1"


class BuildFiles:
    def __init__(self, out: str | os.PathLike):
        out = Path(out)
        if out.suffix != ".jsonl":
            raise UserError(f"--out {str(out)!r}: must end with .jsonl")
        self.train = out
        self.dev = out.with_name(out.name[: -len(".jsonl")] + ".dev.jsonl")
        self.meta = out.with_name(out.name[: -len(".jsonl")] + ".meta.json")
        self.partial = out.with_name(out.name + ".partial")

    # ---- before any work: is there something here already, and is it ours? ----------------
    def check_existing(self, identity: dict, overwrite: bool) -> dict | None:
        """The finished sidecar if this exact build is already done, else None (go on).

        Anything from a different configuration is refused unless ``overwrite``, and then
        deleted now, so that a crash later cannot leave an old sidecar beside new data.
        """
        if self.meta.exists():
            meta = _read_json(self.meta)
            if meta.get("config") == identity and self._hashes_match(meta):
                self.partial.unlink(missing_ok=True)  # left if a crash hit after the renames
                return meta
            self._refuse_or_clear(f"{self.meta} records a different build",
                                  meta.get("config"), identity, overwrite)
        if self.partial.exists():
            header = self._read_partial()[0]
            if header != identity:
                self._refuse_or_clear(f"the unfinished build {self.partial} is from a different "
                                      "configuration", header, identity, overwrite)
        elif not self.meta.exists():
            for path in (self.train, self.dev):
                if path.exists():
                    self._refuse_or_clear(f"{path} exists but has no sidecar {self.meta.name} "
                                          "(not a finished synthesize output)", None, identity,
                                          overwrite)
        return None

    def _refuse_or_clear(self, why: str, old: dict | None, new: dict, overwrite: bool) -> None:
        if not overwrite:
            diff = sorted(k for k in set(old or {}) | set(new) if (old or {}).get(k) != new.get(k))
            detail = f" (differs in: {', '.join(diff)})" if old and diff else ""
            raise UserError(f"{why}{detail}; refusing to mix builds: pick another --out or "
                            "pass --overwrite")
        for path in (self.meta, self.partial, self.train, self.dev):
            path.unlink(missing_ok=True)

    def _hashes_match(self, meta: dict) -> bool:
        files = meta.get("files", {})
        return all(p.exists() and files.get(k, {}).get("sha256") == sha256_file(p)
                   for k, p in (("train", self.train), ("dev", self.dev)))

    # ---- the progress file ------------------------------------------------------------------
    def _read_partial(self) -> tuple[dict, list[dict], int]:
        """(config header, finished batches, byte length of the intact part)."""
        raw = self.partial.read_bytes()
        batches, good, header = [], 0, None
        for line in raw.splitlines(keepends=True):
            if not line.endswith(b"\n"):
                break  # torn last line: the crash hit while it was written
            try:
                entry = json.loads(line)
            except json.JSONDecodeError:
                break
            if header is None:
                header = entry.get("config")
            elif entry.get("batch") == len(batches):
                batches.append(entry)
            else:
                break
            good += len(line)
        if header is None:
            return {}, [], 0
        return header, batches, good

    def resume(self, identity: dict) -> list[dict]:
        """Finished batches of this build (none for a fresh one); opens the file for appending."""
        batches = []
        if self.partial.exists():
            header, batches, good = self._read_partial()
            if header != identity:  # also catches an empty or torn header
                batches, good = [], 0
            with open(self.partial, "r+b") as f:
                f.truncate(good)
        if not batches and (not self.partial.exists() or self.partial.stat().st_size == 0):
            self.partial.parent.mkdir(parents=True, exist_ok=True)
            with open(self.partial, "wb") as f:
                f.write(_line({"format": FORMAT, "config": identity}))
        self._fh = open(self.partial, "ab")
        return batches

    def append(self, entry: dict) -> None:
        self._fh.write(_line(entry))
        self._fh.flush()
        os.fsync(self._fh.fileno())  # on disk before the next batch starts

    # ---- the end: data first, sidecar last -----------------------------------------------------
    def finish(self, train: list[dict], dev: list[dict], make_meta) -> dict:
        self._fh.close()
        files = {}
        for key, path, records in (("train", self.train, train), ("dev", self.dev, dev)):
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "wb") as f:
                for rec in records:
                    f.write(_line(rec))
            files[key] = {"path": path.name, "examples": len(records), "sha256": sha256_file(tmp)}
        meta = make_meta(files)
        meta_tmp = self.meta.with_name(self.meta.name + ".tmp")
        meta_tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        for path in (self.train, self.dev, self.meta):
            os.replace(path.with_name(path.name + ".tmp"), path)
        self.partial.unlink()
        return meta

    def close(self) -> None:
        fh = getattr(self, "_fh", None)
        if fh and not fh.closed:
            fh.close()


def _line(obj: dict) -> bytes:
    return (json.dumps(obj, ensure_ascii=False) + "\n").encode("utf-8")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UserError(f"{path}: unreadable sidecar ({err}); remove it or pass --overwrite") from None


def content_hash(files: dict) -> str:
    """One hash naming the built set: both splits' hashes, in a fixed order."""
    return hashlib.sha256(f"{files['train']['sha256']}\n{files['dev']['sha256']}".encode()).hexdigest()
