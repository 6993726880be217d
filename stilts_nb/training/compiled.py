"""``compile: on``: the training forward under torch.compile, paid once per process.

Why once: with dynamo inlining nn.Modules (torch's default since 2.5), a model's parameters are
graph *inputs*, not constants, so a second model of the same architecture (the next run of a
sweep, a new seed, a new head) passes the same guards and reuses the compiled code. Three
choices around that:
- ``dynamic=True`` without duck sizing: the sequence length and batch size are symbols from the
  first compile, so a run's many padded lengths and its short last batch reuse one graph (with
  automatic dynamic shapes the first two lengths and the first short batch would each cost a
  compilation, minutes on a laptop CPU; with duck sizing, so would a length that happened to
  equal the batch size at the first call). Padding to a multiple of 8 bounds the shapes.
- ``fallback_random``: dropout draws from torch's own generator as in eager mode, so the seed
  fixes the same dropout stream compiled or not, and a compiled run repeats its eager twin up to
  float rounding (measured in tests/test_training_compile.py), instead of a different stream.
- inductor's on-disk caches (FX graph and AOTAutograd caches, on by default) live in the
  package's cache folder ($STILTS_CACHE, else ~/.cache/stilts_nb), which survives reboots and
  is forwarded to sweep workers, so a second sweep process starts warm.
Only the training forward is compiled; evaluation runs the same module eagerly under
``inference_mode``, which would otherwise be a second graph to compile for a few batches.
"""
from __future__ import annotations

import os

import torch

CACHE_ENV = "TORCHINDUCTOR_CACHE_DIR"


def use_persistent_cache() -> str:
    """Point inductor's caches at $STILTS_CACHE/torchinductor unless the user chose a folder.
    Importing torch._inductor writes torch's default (under /tmp, emptied by a reboot) into the
    variable, so that default counts as not chosen. -> the folder in use."""
    from torch._inductor.runtime.cache_dir_utils import default_cache_dir

    from ..assets import cache_dir

    current = os.environ.get(CACHE_ENV)
    if current is None or os.path.abspath(current) == os.path.abspath(default_cache_dir()):
        os.environ[CACHE_ENV] = str(cache_dir() / "torchinductor")
    return os.environ[CACHE_ENV]


def compile_for_training(model):
    """-> a callable with the model's signature whose forward (and backward) is compiled; the
    model itself stays the eager module, with the same parameters."""
    import torch._inductor.config as inductor_config

    import torch.fx.experimental._config as shape_config

    use_persistent_cache()
    inductor_config.fallback_random = True
    # duck sizing assumes two dimensions equal at the first call stay equal (a length of 16 and a
    # batch of 16: measured) and recompiles when they part
    shape_config.use_duck_shape = False
    return torch.compile(model, dynamic=True)


def graphs_compiled() -> int:
    """How many graphs dynamo has compiled in this process (for records and tests)."""
    from torch._dynamo.utils import counters

    return int(counters["stats"]["unique_graphs"])
