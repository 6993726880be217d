"""What the machine multiplies fast, read from what it reports: never assumed.

``precision: auto`` resolves here, once, before a run is hashed, so the store records (and
identifies runs by) the precision that was actually used, never "auto":
- a CUDA device with bf16 support (compute capability 8.0+: A100, H100, RTX 30xx...) -> bf16;
- a CUDA device without it (V100, T4) -> fp32;
- a CPU with native bf16 instructions (AVX512-BF16 or AMX) -> bf16. Measured on a 2-core
  AVX512-BF16 machine: fp32 184, bf16 396 GFLOP/s;
- any other CPU -> fp32: on AVX2-only CPUs PyTorch emulates bf16 matmuls at ~1 GFLOP/s against
  ~133 for fp32, a hundred times slower.
A run planned on one machine and executed on another (a CPU driver submitting to GPU workers)
gets the planning machine's answer: name the precision explicitly there.

Not in training/: synthesis (before training in the pipeline) records the kernels its fake
endings were sampled with, sweeps resolve precision when they plan, and reports say where
they ran, so the machine's facts sit beside the other modules every stage may import.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch

NATIVE_BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


@dataclass(frozen=True)
class Capabilities:
    cuda: bool = False
    cuda_name: str = ""
    cuda_bf16: bool = False
    cuda_tf32: bool = False          # Ampere or newer (compute capability 8.0+)
    cuda_capability: str = ""        # e.g. "80" for an A100, "90" for an H100
    cpu_flags: frozenset = frozenset()

    @property
    def cpu_bf16(self) -> bool:
        return bool(self.cpu_flags & NATIVE_BF16_FLAGS)


def probe() -> Capabilities:
    """This machine's capabilities (cheap: no kernel is launched)."""
    if torch.cuda.is_available():
        major, minor = torch.cuda.get_device_capability()
        return Capabilities(cuda=True, cuda_name=torch.cuda.get_device_name(),
                            cuda_bf16=torch.cuda.is_bf16_supported(), cuda_tf32=major >= 8,
                            cuda_capability=f"{major}{minor}")
    return Capabilities(cpu_flags=cpu_flags())


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset:
    """The CPU's instruction-set flags: /proc/cpuinfo on Linux, else what oneDNN reports."""
    try:
        for line in cpuinfo.read_text().splitlines():
            if line.startswith(("flags", "Features")):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    try:  # macOS, Windows: oneDNN knows whether it has native bf16 kernels
        return NATIVE_BF16_FLAGS if torch.ops.mkldnn._is_mkldnn_bf16_supported() else frozenset()
    except (AttributeError, RuntimeError):
        return frozenset()


def kernel_family(caps: Capabilities | None = None) -> str:
    """The family of matrix kernels a run computes with, recorded beside its precision: results
    in fp32 on CPU agree bit for bit across these, bf16 results only within a tolerance (the
    kernels round and accumulate differently; docs/training.md, "Which numbers repeat").
    "cuda <name> sm_<major><minor>" on a GPU; on a CPU the best bf16-capable instruction set
    present: "AMX", "AVX512-BF16", else "AVX512" or "AVX2" (bf16 emulated), else "other"."""
    caps = caps or probe()
    if caps.cuda:
        return f"cuda {caps.cuda_name} sm_{caps.cuda_capability}"
    flags = caps.cpu_flags
    for flag, family in (("amx_bf16", "AMX"), ("avx512_bf16", "AVX512-BF16"), ("avx512f", "AVX512"),
                         ("avx2", "AVX2"), ("asimd", "NEON")):
        if flag in flags:
            return family
    return "other"


def resolve_precision(requested: str, caps: Capabilities | None = None) -> str:
    """``auto`` -> "bf16" or "fp32" for this hardware; any other value is returned as is."""
    if requested != "auto":
        return requested
    caps = caps or probe()
    if caps.cuda:
        return "bf16" if caps.cuda_bf16 else "fp32"
    return "bf16" if caps.cpu_bf16 else "fp32"


def apply_tf32(enabled: bool, caps: Capabilities | None = None) -> bool:
    """Let fp32 matmuls and convolutions use TF32 tensor cores (10-bit mantissa products, fp32
    accumulation) when asked and the GPU has them; returns whether TF32 is in effect.

    Off by default, on in the paper profile: the authors used torch 1.7.1 on an RTX 3090, and
    from torch 1.7 to 1.11 fp32 matrix products ran in TF32 by default on Ampere GPUs, so
    their "fp32" runs were TF32 runs. It changes the numbers, so it is part of a run's identity."""
    caps = caps or probe()
    active = bool(enabled and caps.cuda and caps.cuda_tf32)
    if caps.cuda:
        torch.backends.cuda.matmul.allow_tf32 = active
        torch.backends.cudnn.allow_tf32 = active
    return active


# attention: auto -> the kernel measured faster for (device, precision); docs/performance.md has
# the numbers. CPU bf16: eager (whole training step 1.41x at 32 tokens, 1.58x at 64, 1.40x at 128,
# on a 2-core AMX / AVX512-BF16 machine: SDPA's CPU flash backward dominates short sequences).
# CPU fp32: sdpa (equal within noise, on that machine and on an AVX2-only one; sdpa keeps the
# kernel of every run stored before the setting). CUDA: sdpa (flash / memory-efficient kernels).
# A table rather than a timing probe at start: a probe on a shared machine measures the load as
# much as the kernels, costs seconds per process, and would make a sweep's kernel depend on it.
AUTO_ATTENTION = {("cpu", "fp32"): "sdpa", ("cpu", "bf16"): "eager",
                  ("cuda", "fp32"): "sdpa", ("cuda", "bf16"): "sdpa"}
# compile: auto -> on only where compiling was measured to pay for a sweep (docs/performance.md).
# CPU: 100-220 s to compile MiniLM on 2 cores against a 1.02-1.12x faster step, so 1500-5000
# updates to break even, more than a demo notebook's sweep. CUDA: not measured yet.
AUTO_COMPILE = {"cpu": "off", "cuda": "off"}


def resolve_attention(requested: str, precision: str, caps: Capabilities | None = None) -> str:
    """``auto`` -> "sdpa" or "eager" for this device and (resolved) precision."""
    if requested != "auto":
        return requested
    caps = caps or probe()
    return AUTO_ATTENTION[("cuda" if caps.cuda else "cpu", precision)]


def resolve_compile(requested: str, caps: Capabilities | None = None) -> str:
    """``auto`` -> "on" or "off" for this device (true/false, as YAML reads on/off, too)."""
    if isinstance(requested, bool):
        return "on" if requested else "off"
    if requested != "auto":
        return requested
    caps = caps or probe()
    return AUTO_COMPILE["cuda" if caps.cuda else "cpu"]
