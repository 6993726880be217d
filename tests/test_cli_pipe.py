"""Output piped into a reader that stops early (`stilts-nb tasks --json | head -c 10`, less)
ends quietly, as Unix tools do: no BrokenPipeError traceback, exit status 141 (128 + SIGPIPE)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("stilts-nb")  # the console script pip installed


# --help: argparse itself ignores a failed write of its help text and exits 0
@pytest.mark.parametrize("argv, status", [(["tasks", "--json"], 141), (["tasks"], 141),
                                          (["--help"], 0), (["sweep", "--help"], 0)])
def test_a_reader_that_has_gone_gets_no_traceback(argv, status, tmp_path):
    # the reader closes before the first byte arrives, so every write meets a closed pipe
    # (with `| head` a short output could fit the pipe's buffer and never notice)
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run([str(SCRIPT), *argv], stdout=write_end, stderr=subprocess.PIPE,
                              text=True, cwd=tmp_path, timeout=300,
                              env={**os.environ, "STILTS_DATA_DIR": str(tmp_path)})
    finally:
        os.close(write_end)
    assert "Traceback" not in done.stderr and "BrokenPipeError" not in done.stderr, done.stderr
    assert done.returncode == status, done.stderr


def test_a_reader_that_stays_reads_everything(tmp_path):
    done = subprocess.run([str(SCRIPT), "tasks", "--json"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300, env={**os.environ, "STILTS_DATA_DIR": str(tmp_path)})
    assert done.returncode == 0 and done.stdout.lstrip().startswith(("[", "{")), done.stderr
