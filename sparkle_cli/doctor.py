"""`sparkle doctor`: what this machine can run, and how to fix what it cannot."""

from __future__ import annotations

import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

from sparkle_cli.backends import registry

BASE_PACKAGES = ["typer", "rich", "pydantic", "numpy", "av", "pillow", "imageio-ffmpeg", "espeakng-loader", "pyyaml"]
ML_PACKAGES = ["torch", "diffusers", "transformers", "accelerate"]


def _row(name: str, status: str, detail: str, fix: str = "") -> dict[str, Any]:
    return {"name": name, "status": status, "detail": detail, "fix": fix}


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def check_ffmpeg() -> dict[str, Any]:
    try:
        from sparkle_cli.media.ffmpeg import ffmpeg_exe

        exe = ffmpeg_exe()
        out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, timeout=30).stdout
    except Exception as exc:
        return _row("ffmpeg", "fail", str(exc), "pip install imageio-ffmpeg (or put ffmpeg on PATH)")
    missing = [codec for codec in ("libx264", "aac") if codec not in out]
    if missing:
        return _row(
            "ffmpeg", "fail", f"{exe} lacks {', '.join(missing)}", "use the imageio-ffmpeg build or a full ffmpeg"
        )
    return _row("ffmpeg", "ok", exe)


def check_tts() -> dict[str, Any]:
    problem = registry.availability("tts", "espeak")
    if problem:
        return _row("espeak-ng", "fail", problem, "pip install espeakng-loader")
    try:
        import tempfile

        from sparkle_cli.backends.base import SpeechRequest
        from sparkle_cli.backends.tts.espeak import EspeakBackend

        backend = EspeakBackend()
        backend.load()
        with tempfile.TemporaryDirectory() as tmp:
            voice = backend.voice_for({"id": "probe", "name": "Probe", "description": "", "voice_profile": {}}, 0)
            result = backend.synthesize(
                SpeechRequest("probe", "Testing one two three.", voice), Path(tmp) / "probe.wav"
            )
        return _row(
            "espeak-ng", "ok", f"speaks ({result.duration_s:.2f} s for a test sentence, {result.sample_rate} Hz)"
        )
    except Exception as exc:
        return _row("espeak-ng", "fail", f"cannot speak: {exc}", "pip install --force-reinstall espeakng-loader")


def check_gpu() -> dict[str, Any]:
    if _version("torch") is None:
        smi = shutil.which("nvidia-smi")
        detail = "torch is not installed" + (" (an NVIDIA GPU driver is present)" if smi else "")
        return _row("gpu", "info", detail, "pip install -e '.[ml]' on a GPU machine for the real backends")
    import torch

    if torch.cuda.is_available():
        name = torch.cuda.get_device_name(0)
        free, total = torch.cuda.mem_get_info(0)
        return _row("gpu", "ok", f"{name}, {free / 2**30:.1f} of {total / 2**30:.1f} GiB free")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return _row("gpu", "ok", "Apple MPS")
    return _row("gpu", "info", f"torch {torch.__version__} sees no GPU; real backends would run on the CPU (slowly)")


def check_gpu_tier(machine: Any = None) -> dict[str, Any]:
    """Which GPU tier `--profile gpu` picks here: its models, size, dtype, offload and expected cost."""
    from sparkle_cli import gpu_tiers

    machine = machine or gpu_tiers.detect()
    if not machine.gpu:
        return _row(
            "gpu tier",
            "info",
            f"{gpu_tiers.describe(machine)}: --profile gpu plans for the 80gb tier (a plan made here for a GPU elsewhere)",
            "plan for a smaller card with --profile gpu-40gb, gpu-24gb or gpu-t4",
        )
    tier, why = gpu_tiers.choose(machine)
    video = tier.video_options.get("memory") or "-"
    detail = (
        f"{gpu_tiers.describe(machine)} -> {tier.name} ({tier.title}): video {tier.video_model} at "
        f"{tier.video_size[0]}x{tier.video_size[1]}, {tier.dtype if machine.bf16 else 'fp16'}, memory {video}; "
        f"images SDXL {tier.image_options.get('base_resolution')} px; QA {tier.qa_model}; "
        f"peak {tier.peak}; per clip {tier.clip_time} (estimates)"
    )
    notes = [*why, *tier.notes]
    if notes:
        detail += "; " + " ".join(notes)
    status = "ok" if machine.vram_gib >= tier.min_vram_gib else "warn"
    return _row("gpu tier", status, detail, f"sparkle plan ... --profile gpu (or gpu-{tier.name})")


def check_chatterbox() -> dict[str, Any]:
    """Where Chatterbox would run: in this process, or the interpreter named for its worker."""
    from sparkle_cli.backends.tts.chatterbox import (
        INSTALL_HINT,
        configured_python,
        in_process_available,
        python_problem,
    )

    python = configured_python()
    if python is None:
        if in_process_available():
            return _row("chatterbox", "ok", "chatterbox-tts imports in this environment (runs in-process)")
        return _row(
            "chatterbox", "info", "chatterbox-tts is not installed and no worker interpreter is named", INSTALL_HINT
        )
    problem = python_problem(python)
    if problem:
        return _row("chatterbox", "fail", problem, INSTALL_HINT)
    probe = "import importlib.util, sys; sys.exit(importlib.util.find_spec('chatterbox') is None)"
    try:
        found = subprocess.run([python, "-c", probe], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        return _row("chatterbox", "fail", f"{python} does not start: {exc}", INSTALL_HINT)
    if not found:
        return _row(
            "chatterbox", "fail", f"{python} cannot import chatterbox", f"{python} -m pip install chatterbox-tts"
        )
    return _row("chatterbox", "ok", f"worker interpreter {python} has chatterbox-tts")


def check_wav2lip() -> dict[str, Any]:
    """Whether a Wav2Lip generator checkpoint is configured and present."""
    from sparkle_cli import config
    from sparkle_cli.backends.base import BackendUnavailable
    from sparkle_cli.backends.lipsync.wav2lip import CHECKPOINT_HINT, find_checkpoint

    location = config.model_path("lipsync", "wav2lip")
    if not location:
        return _row("wav2lip checkpoint", "info", "not configured", CHECKPOINT_HINT)
    try:
        path = find_checkpoint(location)
    except BackendUnavailable as exc:
        return _row("wav2lip checkpoint", "fail", str(exc), CHECKPOINT_HINT)
    return _row("wav2lip checkpoint", "ok", f"{path} ({path.stat().st_size / 2**20:.0f} MiB)")


def check_llm_planner() -> dict[str, Any]:
    """Where the language-model planners would look (no request is sent; the key is never shown)."""
    import os

    from sparkle_cli import config
    from sparkle_cli.backends.planner.openai import DEFAULT_BASE_URL, KEY_VARIABLES

    url = os.environ.get("SPARKLE_LLM_BASE_URL") or DEFAULT_BASE_URL
    model = os.environ.get("SPARKLE_LLM_MODEL") or "the server's only model"
    key = next((v for v in KEY_VARIABLES if os.environ.get(v)), None)
    local = config.model_path("planner", "transformers")
    detail = (
        f"openai: {url}, {model}, key {'from ' + key if key else 'not set'}; transformers: {local or 'no model folder'}"
    )
    return _row("llm planners", "info", detail, "sparkle plan --planner openai|transformers (see the README)")


def check_diffusion_models() -> list[dict[str, Any]]:
    """Whether the SDXL and Wan checkpoints the configuration points at (or the defaults) are here."""
    from sparkle_cli import config
    from sparkle_cli.backends.diffusers_common import checkpoint_for, checkpoint_problem, model_hint

    rows = []
    for kind, name, fallback in (("image", "sdxl", "sdxl"), ("video", "wan", "wan-2.1")):
        location = checkpoint_for({"model_path": config.model_path(kind, name)}, fallback)
        problem = checkpoint_problem(location, kind)
        label = f"{name} checkpoint"
        rows.append(_row(label, "info", problem, model_hint(kind)) if problem else _row(label, "ok", location))
    return rows


def check_disk(root: Path) -> dict[str, Any]:
    probe = root if root.exists() else root.parent
    while not probe.exists():
        probe = probe.parent
    free = shutil.disk_usage(probe).free / 2**30
    status = "ok" if free >= 2 else "warn" if free >= 0.5 else "fail"
    return _row(
        "disk", status, f"{free:.1f} GiB free at {probe}", "" if status == "ok" else "free space or set --runs-dir"
    )


def run_checks(root: Path) -> list[dict[str, Any]]:
    rows = [_row("python", "ok" if sys.version_info >= (3, 10) else "fail", sys.version.split()[0], "use Python 3.10+")]
    for package in BASE_PACKAGES:
        version = _version(package)
        rows.append(
            _row(f"package {package}", "ok" if version else "fail", version or "missing", f"pip install {package}")
        )
    from sparkle_cli.backends.torch_utils import version_problem

    for package in ML_PACKAGES:
        version = _version(package)
        too_old = version_problem(package, version) if version else None
        rows.append(
            _row(
                f"package {package}",
                "warn" if too_old else "ok" if version else "info",
                too_old or version or "not installed (ml extra)",
                "pip install -e '.[ml]'" if too_old or not version else "",
            )
        )
    rows += [
        check_ffmpeg(),
        check_tts(),
        check_chatterbox(),
        check_wav2lip(),
        check_llm_planner(),
        check_gpu(),
        check_gpu_tier(),
        check_disk(root),
    ]
    rows += check_diffusion_models()
    for kind, names in registry.BACKENDS.items():
        for name in names:
            problem = registry.availability(kind, name)
            builtin = registry.BUILTIN.get(kind) == name or name == "template"
            if problem is None:
                rows.append(_row(f"backend {kind}.{name}", "ok", "available"))
            else:
                rows.append(_row(f"backend {kind}.{name}", "fail" if builtin else "info", problem))
    return rows
