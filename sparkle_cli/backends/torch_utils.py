"""Shared helpers for the torch backends: import checks, device and dtype choice, memory.

Imported only by backends that need torch, so the command line never pays for it.
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import time
from collections.abc import Iterator
from typing import Any

from sparkle_cli.backends.base import BackendUnavailable

ML_EXTRA = "pip install -e '.[ml]' (on this machine's CPU: pip install torch==2.13.0 first)"

#: The oldest releases whose behaviour the backends rely on (the `ml` extra's floors):
#: diffusers 0.40 is the first to honour a pipeline's `dtype=` (older ones ignore it and load
#: everything in fp32) and has the pipeline-level `enable_group_offload` (from 0.36);
#: transformers reads `from_pretrained(dtype=)` from 4.56, and from 5.3 Qwen2-VL's forward takes
#: the `mm_token_type_ids` that its `generate` needs for the image positions (earlier releases
#: refuse the argument).
VERSION_FLOORS: dict[str, str] = {"diffusers": "0.40.0", "transformers": "5.3.0", "accelerate": "1.0.0"}
#: Compute capability from which a GPU does bfloat16 in hardware (Ampere); older ones emulate it.
BF16_MIN_CAPABILITY = 8


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for piece in version.split("+")[0].split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
        if not piece.isdigit():  # 0.40.0.dev0, 5.0.0rc1: the numeric prefix is what counts
            break
    return tuple(parts)


def version_problem(package: str, installed: str | None = None) -> str | None:
    """None when `package` meets its floor in VERSION_FLOORS, else what to upgrade."""
    from importlib import metadata

    floor = VERSION_FLOORS.get(package)
    if floor is None:
        return None
    if installed is None:
        try:
            installed = metadata.version(package)
        except metadata.PackageNotFoundError:
            return None  # `require` reports a missing package
    if _release(installed) < _release(floor):
        return f"{package} {installed} is older than {floor}: pip install -U '{package}>={floor}' (or {ML_EXTRA})"
    return None


def require(*modules: str, what: str) -> None:
    """BackendUnavailable naming the extra when any of `modules` cannot be imported or is too old."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise BackendUnavailable(f"{what} needs {', '.join(missing)}: {ML_EXTRA}")
    for module in modules:
        problem = version_problem(module)
        if problem:
            raise BackendUnavailable(f"{what}: {problem}")


def resolve_device(preference: str | None = "auto") -> str:
    import torch

    preference = (preference or "auto").lower()
    if preference == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if preference.startswith("cuda") and not torch.cuda.is_available():
        raise BackendUnavailable("device 'cuda' was asked for but torch sees no CUDA GPU; use --device auto or cpu")
    if preference not in {"cpu", "mps"} and not preference.startswith("cuda"):
        raise BackendUnavailable(f"unknown device {preference!r}: use auto, cuda, mps or cpu")
    return preference


def bf16_native(device: str = "cuda") -> bool:
    """Whether the GPU does bfloat16 in hardware. `torch.cuda.is_bf16_supported()` also counts
    emulation (a T4 says yes and then runs bf16 slowly), so the compute capability decides."""
    import torch

    index = torch.device(device).index or 0
    major, _minor = torch.cuda.get_device_capability(index)
    return major >= BF16_MIN_CAPABILITY


def resolve_dtype(preference: str | None, device: str) -> Any:
    """bf16 on GPUs that do it in hardware, fp16 on other GPUs (a T4), fp32 on the CPU, unless asked."""
    import torch

    names = {
        "bf16": torch.bfloat16,
        "bfloat16": torch.bfloat16,
        "fp16": torch.float16,
        "float16": torch.float16,
        "fp32": torch.float32,
        "float32": torch.float32,
    }
    if preference and preference != "auto":
        if preference not in names:
            raise BackendUnavailable(f"unknown dtype {preference!r}: use auto, bf16, fp16 or fp32")
        return names[preference]
    if device.startswith("cuda"):
        return torch.bfloat16 if bf16_native(device) else torch.float16
    return torch.float32


def dtype_name(dtype: Any) -> str:
    return str(dtype).replace("torch.", "")


def is_oom(exc: BaseException) -> bool:
    return type(exc).__name__ == "OutOfMemoryError" or "out of memory" in str(exc).lower()


@contextlib.contextmanager
def measure(device: str) -> Iterator[dict[str, float]]:
    """Seconds and peak GPU memory (MiB; 0 on the CPU) of the block, filled in on exit."""
    import torch

    stats: dict[str, float] = {}
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    try:
        yield stats
    finally:
        stats["seconds"] = round(time.perf_counter() - started, 4)
        stats["peak_memory_mib"] = (
            round(torch.cuda.max_memory_allocated() / 2**20, 1) if device.startswith("cuda") else 0.0
        )


def free_memory() -> None:
    gc.collect()
    with contextlib.suppress(Exception):
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
