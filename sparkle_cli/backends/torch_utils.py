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


def require(*modules: str, what: str) -> None:
    """BackendUnavailable naming the extra when any of `modules` cannot be imported."""
    missing = [m for m in modules if importlib.util.find_spec(m) is None]
    if missing:
        raise BackendUnavailable(f"{what} needs {', '.join(missing)}: {ML_EXTRA}")


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


def resolve_dtype(preference: str | None, device: str) -> Any:
    """bf16 on GPUs that have it, fp16 on other GPUs, fp32 on the CPU, unless asked otherwise."""
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
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
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
