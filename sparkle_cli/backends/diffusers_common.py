"""What the diffusers backends share: where a checkpoint is, loading it once, memory options, OOM retry.

Nothing here imports torch or diffusers at module level: `checkpoint_problem` (the preflight
check) needs only the standard library and, for hub ids, huggingface_hub.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sparkle_cli.backends.base import BackendUnavailable

T = TypeVar("T")

#: `render_profile` model ids -> the checkpoint used when no --model-path names one.
DEFAULT_CHECKPOINTS: dict[str, str] = {
    "sdxl": "stabilityai/stable-diffusion-xl-base-1.0",
    "sdxl-base": "stabilityai/stable-diffusion-xl-base-1.0",
    "sdxl-turbo": "stabilityai/sdxl-turbo",
    "wan": "Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers",
    "wan-2.1": "Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers",
    "wan-2.1-flf2v-14b": "Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers",
    "wan-2.1-i2v-14b": "Wan-AI/Wan2.1-I2V-14B-480P-diffusers",
    # No official 1.3B image-to-video release exists; this is a diffusers conversion of Wan2.1-Fun-1.3B-InP,
    # which was trained with first and last frames.
    "wan-2.1-i2v-1.3b": "weizhou03/Wan2.1-Fun-1.3B-InP-Diffusers",
}

#: Step count and guidance that suit a checkpoint family; options override them.
SAMPLING_DEFAULTS: dict[str, tuple[int, float]] = {
    "sdxl-turbo": (4, 0.0),
    "sdxl-lightning": (4, 0.0),
    "sdxl": (30, 5.0),
    "wan": (30, 5.0),
}

MEMORY_OPTIONS = ("none", "model_cpu_offload", "group_offload", "vae_tiling")
#: Room kept free for activations, the VAE decode and the CUDA context when `memory: auto` decides.
ACTIVATION_HEADROOM = 6 * 2**30


def model_hint(kind: str) -> str:
    return (
        f"point `sparkle produce --model-path {kind}=DIR` (or SPARKLE_MODEL_PATH_{kind.upper()}, or "
        f"render_profile options.model_path) at a local diffusers folder or a hub id"
    )


def checkpoint_for(options: dict[str, Any], fallback: str) -> str:
    """The model location: options.model_path, else the default checkpoint of options.model_id (or `fallback`)."""
    location = str(options.get("model_path") or "").strip()
    if location:
        return location
    model_id = str(options.get("model_id") or fallback)
    if model_id in DEFAULT_CHECKPOINTS:
        return DEFAULT_CHECKPOINTS[model_id]
    # A model_id that is itself a hub id or a folder names the checkpoint directly.
    return model_id if "/" in model_id else DEFAULT_CHECKPOINTS[fallback]


def sampling_defaults(location: str, family: str) -> tuple[int, float]:
    """Steps and guidance for a checkpoint: distilled SDXL-Turbo/Lightning need few steps and no CFG."""
    lowered = location.lower()
    for key in ("turbo", "lightning"):
        if key in lowered and family == "sdxl":
            return SAMPLING_DEFAULTS[f"sdxl-{key}"]
    return SAMPLING_DEFAULTS[family]


def _looks_local(location: str) -> bool:
    return location.startswith((".", "/", "~")) or location.count("/") != 1 or Path(location).expanduser().exists()


def _offline() -> bool:
    return any(
        os.environ.get(name, "").lower() in {"1", "true", "yes", "on"}
        for name in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _hub_cached(repo_id: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache
    except ImportError:
        return False
    found = try_to_load_from_cache(repo_id, "model_index.json")
    return isinstance(found, str)


def checkpoint_problem(location: str, kind: str, *, allow_download: bool = False) -> str | None:
    """None when the pipeline at `location` can be loaded without surprises, else what to do."""
    if _looks_local(location):
        path = Path(location).expanduser()
        if not path.is_dir():
            return f"model folder {location} does not exist; {model_hint(kind)}"
        if not (path / "model_index.json").is_file():
            return f"{location} is not a diffusers pipeline folder (no model_index.json); {model_hint(kind)}"
        return None
    if _hub_cached(location):
        return None
    if _offline():
        return f"{location} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set; {model_hint(kind)}"
    if allow_download:
        return None
    # Checkpoints are tens of GB: fetching one must be a choice, never a side effect of `produce`.
    return (
        f"{location} is not downloaded: run `huggingface-cli download {location}`, or set options.download: true "
        f"to fetch it during the run, or {model_hint(kind)}"
    )


def memory_set(value: Any) -> list[str]:
    """Memory options from a string ("vae_tiling,model_cpu_offload"), a list, or None ("auto" is decided at load)."""
    if value is None or value == "" or value == "auto":
        return []
    items = value if isinstance(value, (list, tuple)) else str(value).replace("+", ",").split(",")
    chosen = [str(i).strip() for i in items if str(i).strip() and str(i).strip() != "none"]
    unknown = [i for i in chosen if i not in MEMORY_OPTIONS]
    if unknown:
        raise BackendUnavailable(f"unknown memory option {unknown[0]!r}: use {', '.join(MEMORY_OPTIONS)}")
    if "model_cpu_offload" in chosen and "group_offload" in chosen:
        raise BackendUnavailable("memory: choose model_cpu_offload or group_offload, not both")
    return sorted(set(chosen))


def next_memory_step(current: list[str], device: str) -> list[str] | None:
    """The memory options to retry with after an out-of-memory error, or None when none are left."""
    on_gpu = not device.startswith("cpu")
    if on_gpu and "model_cpu_offload" not in current and "group_offload" not in current:
        return sorted(set(current) | {"model_cpu_offload", "vae_tiling"})
    if on_gpu and "model_cpu_offload" in current:
        return sorted((set(current) - {"model_cpu_offload"}) | {"group_offload", "vae_tiling"})
    if "vae_tiling" not in current:
        return sorted(set(current) | {"vae_tiling"})
    return None


def component_bytes(pipe: Any) -> dict[str, int]:
    """Bytes of weights per torch component of a pipeline."""
    import torch

    sizes = {}
    for name, component in pipe.components.items():
        if isinstance(component, torch.nn.Module):
            sizes[name] = sum(p.numel() * p.element_size() for p in component.parameters())
    return sizes


def auto_memory(sizes: dict[str, int], free: int) -> list[str]:
    """The memory options a pipeline of component sizes `sizes` needs on a GPU with `free` bytes.

    Everything on the GPU when it all fits with room for activations; else one model at a time
    (model_cpu_offload) when the largest fits; else layers streamed from the CPU (group_offload).
    """
    total, largest = sum(sizes.values()), max(sizes.values(), default=0)
    if total + ACTIVATION_HEADROOM <= free:
        return []
    if largest + ACTIVATION_HEADROOM <= free:
        return ["model_cpu_offload", "vae_tiling"]
    return ["group_offload", "vae_tiling"]


def gpu_free_bytes(device: str) -> int:
    import torch

    free, _total = torch.cuda.mem_get_info(torch.device(device))
    return int(free)


def execution_device(module: Any) -> Any:
    """The device a module's inputs must be on: under offload hooks that is the hook's onload
    device, not where the weights sit between calls (the CPU)."""
    import torch

    try:
        from diffusers.utils.torch_utils import get_module_execution_device
    except ImportError:  # older diffusers: read accelerate's hook ourselves
        for submodule in module.modules():
            found = getattr(getattr(submodule, "_hf_hook", None), "execution_device", None)
            if found is not None:
                return torch.device(found)
        return next(module.parameters()).device
    return get_module_execution_device(module)


def apply_memory(pipe: Any, memory: list[str], device: str) -> list[str]:
    """Move the pipeline to `device` under the memory options; returns what took effect."""
    applied = []
    on_gpu = not device.startswith("cpu")
    if hasattr(pipe, "remove_all_hooks"):
        pipe.remove_all_hooks()
    if "model_cpu_offload" in memory and on_gpu:
        pipe.to("cpu")
        pipe.enable_model_cpu_offload(device=device)
        applied.append("model_cpu_offload")
    elif "group_offload" in memory and on_gpu:
        import torch

        pipe.to("cpu")
        pipe.enable_group_offload(
            onload_device=torch.device(device),
            offload_device=torch.device("cpu"),
            offload_type="leaf_level",
            use_stream=device.startswith("cuda"),
        )
        applied.append("group_offload")
    else:
        # On the CPU the weights already live in host memory: offloading has nothing to move.
        pipe.to(device)
    if "vae_tiling" in memory and getattr(pipe, "vae", None) is not None and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()
        applied.append("vae_tiling")
    elif getattr(pipe, "vae", None) is not None and hasattr(pipe.vae, "disable_tiling"):
        pipe.vae.disable_tiling()
    return applied


def apply_attention(pipe: Any, attention: str | None) -> str:
    """SDPA (PyTorch's fused attention, diffusers' default) unless another diffusers backend is named."""
    name = (attention or "sdpa").lower()
    if name in {"sdpa", "native", "default"}:
        return "sdpa"
    for component in ("transformer", "unet"):
        model = getattr(pipe, component, None)
        if model is not None and hasattr(model, "set_attention_backend"):
            try:
                model.set_attention_backend(name)
            except Exception as exc:
                raise BackendUnavailable(f"attention backend {name!r} cannot be used here: {exc}") from exc
    return name


def load_pipeline(
    cls: Any,
    location: str,
    kind: str,
    dtype: Any,
    *,
    allow_download: bool,
    component_dtypes: dict[str, Any] | None = None,
    variant: str | None = None,
) -> Any:
    """`cls.from_pretrained(location)` with errors that say what to set.

    `component_dtypes` keeps named components in another dtype than `dtype` (Wan's VAE and
    image encoder in fp32, as its reference code has them); `variant` picks weight files such
    as `fp16` (half the download for half-precision tiers).
    """
    problem = checkpoint_problem(location, kind, allow_download=allow_download)
    if problem:
        raise BackendUnavailable(problem)
    path = Path(location).expanduser()
    source = str(path) if path.exists() else location
    dtypes = {"default": dtype, **(component_dtypes or {})} if component_dtypes else dtype
    extra = {"variant": variant} if variant else {}
    try:
        pipe = cls.from_pretrained(source, dtype=dtypes, **extra)
    except (OSError, ValueError) as exc:
        raise BackendUnavailable(f"cannot load {cls.__name__} from {location}: {exc}; {model_hint(kind)}") from exc
    check_dtypes(pipe, dtype, component_dtypes or {})
    return pipe


def check_dtypes(pipe: Any, dtype: Any, component_dtypes: dict[str, Any]) -> None:
    """Fail when a component did not load in the dtype asked for (a diffusers that ignores `dtype=`
    loads everything in fp32: twice the memory, and the run would only find out by running out)."""
    import torch

    from sparkle_cli.backends.torch_utils import VERSION_FLOORS, dtype_name

    for name, component in pipe.components.items():
        if not isinstance(component, torch.nn.Module) or not any(True for _ in component.parameters()):
            continue
        wanted = component_dtypes.get(name, dtype)
        # Most of the weights decide: a model may keep a few small layers in fp32 on purpose.
        counts: dict[Any, int] = {}
        for param in component.parameters():
            counts[param.dtype] = counts.get(param.dtype, 0) + param.numel()
        got = max(counts, key=lambda key: counts[key])
        if got != wanted:
            import diffusers

            raise BackendUnavailable(
                f"{name} loaded as {dtype_name(got)}, not {dtype_name(wanted)}: diffusers {diffusers.__version__} "
                f"did not apply dtype=; pip install -U 'diffusers>={VERSION_FLOORS['diffusers']}'"
            )


class PipelineHolder:
    """A pipeline loaded once per stage, its device facts, and the memory options in force."""

    def __init__(self, kind: str, section: str, options: dict[str, Any]) -> None:
        self.kind = kind
        self.section = section
        self.options = options
        self.pipe: Any = None
        self.location = ""
        self.device = "cpu"
        self.dtype: Any = None
        self.memory: list[str] = []
        self.attention = "sdpa"
        self.load_s = 0.0
        self.oom_retries = 0

    def load(
        self,
        cls: Any,
        fallback: str,
        component_dtypes: dict[str, Any] | None = None,
        prepare: Callable[[Any], None] | None = None,
    ) -> None:
        """Load the pipeline, let `prepare` add to it (an IP-Adapter), then place it on the device.

        Placing it is covered by the out-of-memory retry like every call: a checkpoint that does
        not fit turns on the next memory option instead of failing the stage.
        """
        from sparkle_cli.backends.torch_utils import resolve_device, resolve_dtype

        self.location = checkpoint_for(self.options, fallback)
        self.device = resolve_device(self.options.get("device"))
        self.dtype = resolve_dtype(self.options.get("dtype"), self.device)
        started = time.perf_counter()
        self.pipe = load_pipeline(
            cls,
            self.location,
            self.kind,
            self.dtype,
            allow_download=bool(self.options.get("download")),
            component_dtypes=component_dtypes,
            # A variant names hub files (fp16); a local folder holds what it holds.
            variant=str(self.options["variant"])
            if self.options.get("variant") and not _looks_local(self.location)
            else None,
        )
        self.pipe.set_progress_bar_config(disable=True)
        if prepare is not None:
            prepare(self.pipe)
        self.memory = memory_set(self.options.get("memory"))
        if str(self.options.get("memory") or "auto") == "auto" and not self.device.startswith(("cpu", "mps")):
            self.memory = auto_memory(component_bytes(self.pipe), gpu_free_bytes(self.device))
        self.memory = self._place(self.memory)
        self.attention = apply_attention(self.pipe, self.options.get("attention"))
        self.load_s = round(time.perf_counter() - started, 3)

    def _place(self, memory: list[str]) -> list[str]:
        """Move the pipeline onto the device; on out-of-memory, with the next memory option, once."""
        from sparkle_cli.backends.torch_utils import free_memory, is_oom

        try:
            return apply_memory(self.pipe, memory, self.device)
        except Exception as exc:
            if not is_oom(exc):
                raise
            first = exc
        free_memory()
        step = next_memory_step(memory, self.device)
        self.memory = memory
        if step is None:
            raise RuntimeError(self._oom_message("loading the model", None)) from first
        self.oom_retries += 1
        self.memory = step
        try:
            return apply_memory(self.pipe, step, self.device)
        except Exception as exc:
            if not is_oom(exc):
                raise
            free_memory()
            raise RuntimeError(self._oom_message("loading the model", next_memory_step(step, self.device))) from exc

    def close(self) -> None:
        from sparkle_cli.backends.torch_utils import free_memory

        if self.pipe is not None and hasattr(self.pipe, "remove_all_hooks"):
            self.pipe.remove_all_hooks()
        self.pipe = None
        free_memory()

    def facts(self) -> dict[str, Any]:
        from sparkle_cli.backends.torch_utils import dtype_name

        return {
            "checkpoint": self.location,
            "device": self.device,
            "dtype": dtype_name(self.dtype),
            "memory": list(self.memory) or ["none"],
            "attention": self.attention,
            "load_s": self.load_s,
            "oom_retries": self.oom_retries,
        }

    def run(self, call: Callable[[], T], what: str) -> T:
        """Run `call`; on out-of-memory turn one memory option on and try once more."""
        from sparkle_cli.backends.torch_utils import free_memory, is_oom

        try:
            return call()
        except Exception as exc:
            if not is_oom(exc):
                raise
            first = exc
        free_memory()
        step = next_memory_step(self.memory, self.device)
        if step is None:
            raise RuntimeError(self._oom_message(what, None)) from first
        self.memory = step
        self.oom_retries += 1
        try:
            self.memory = apply_memory(self.pipe, step, self.device)
            return call()
        except Exception as exc:
            if not is_oom(exc):
                raise
            free_memory()
            raise RuntimeError(self._oom_message(what, next_memory_step(self.memory, self.device))) from exc

    def _oom_message(self, what: str, suggestion: list[str] | None) -> str:
        tried = ",".join(self.memory) or "none"
        fix = (
            f"set render_profile.{self.section}.options.memory to {','.join(suggestion)!r}"
            if suggestion
            else "lower the resolution or frame count, or use a GPU with more memory"
        )
        return f"{what}: out of memory on {self.device} with memory={tried}; {fix}"
