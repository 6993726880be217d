"""One file's sha256, read in 1 MiB blocks: what a Synthesis build and a saved checkpoint record of
their files, so that a damaged or edited file is seen before it is used."""
from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
