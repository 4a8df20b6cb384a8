"""`--planner auto`: the best planner this machine can reach (configured server, Ollama, cached model,
else the template with a notice) and why. Nothing here imports torch or transformers.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

PROBE_SECONDS = 0.3  # Ollama on this machine answers in milliseconds; a closed port refuses at once
CONFIGURED_SECONDS = 2.0  # a configured server may be remote
OLLAMA_URL = "http://localhost:11434"
OPENAI_URL = "https://api.openai.com/v1"
OPENAI_MODEL = "gpt-4o-mini"
#: Instruct models the transformers planner takes from the cache, best first.
CACHED_MODELS = (
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-3B-Instruct",
    "Qwen/Qwen2.5-1.5B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
    "microsoft/Phi-3.5-mini-instruct",
    "HuggingFaceTB/SmolLM2-1.7B-Instruct",
    "Qwen/Qwen2.5-0.5B-Instruct",
)
#: Ollama models tried first when several are pulled (name prefixes).
OLLAMA_PREFERENCE = ("qwen2.5", "qwen3", "llama3.1", "llama3.2", "mistral", "gemma", "phi")
HOW_TO = (
    "for a language-model planner set SPARKLE_LLM_BASE_URL (or OPENAI_API_KEY), start Ollama, "
    "or use --planner transformers --llm-model Qwen/Qwen2.5-1.5B-Instruct"
)


@dataclass
class Choice:
    planner: str  # template | openai | transformers
    options: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    notice: str | None = None
    tried: list[str] = field(default_factory=list)


def ollama_url() -> str:
    """Ollama's address: OLLAMA_HOST (as Ollama itself reads it), else localhost:11434."""
    host = os.environ.get("OLLAMA_HOST", "").strip()
    if not host:
        return OLLAMA_URL
    if "://" not in host:
        host = "http://" + host
    if host.count(":") == 1:  # no port given
        host += ":11434"
    return host.rstrip("/")


def _refused(url: str, timeout: float) -> str | None:
    """Why nothing can answer at `url`'s host and port (refused, unknown host), else None.

    A plain connect: when nothing listens, as on most machines, urllib is never imported."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        with socket.create_connection((parts.hostname or "localhost", port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "no answer (Connection refused)"
    except socket.gaierror as exc:
        return f"no answer ({exc.strerror or exc})"
    except OSError:
        return None  # a timeout or a filtered port: let the request say what it is


def _get_json(url: str, timeout: float, key: str | None = None) -> tuple[Any, str]:
    """(answer, "") or (None, why not) for one GET; never raises for network trouble."""
    refused = _refused(url, timeout)
    if refused:
        return None, refused
    import urllib.error
    import urllib.request

    headers = {"Accept": "application/json"}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            return json.loads(response.read() or b"null"), ""
    except urllib.error.HTTPError as exc:
        # The server is there; an error status (401 without a key, 404 on /models) still says it answers.
        return {"status": exc.code}, ""
    except urllib.error.URLError as exc:
        reason = exc.reason
        text = getattr(reason, "strerror", None) or str(reason)
        return None, f"no answer ({text})"
    except (TimeoutError, OSError) as exc:
        return None, f"no answer ({exc.__class__.__name__}: {exc})" if str(exc) else "no answer (timed out)"
    except ValueError:
        return {"status": "not JSON"}, ""


def ollama_models(base: str, timeout: float = PROBE_SECONDS) -> tuple[list[str] | None, str]:
    """The models a running Ollama serves, or (None, why not)."""
    answer, why = _get_json(f"{base}/api/tags", timeout)
    if answer is None:
        return None, why
    models = answer.get("models") if isinstance(answer, dict) else None
    if not isinstance(models, list):
        return None, "answered, but not as Ollama does"
    names = [str(m.get("name") or m.get("model")) for m in models if isinstance(m, dict)]
    return [n for n in names if n and "embed" not in n.lower()], ""


def pick_ollama_model(names: list[str]) -> str:
    for prefix in OLLAMA_PREFERENCE:
        for name in names:
            if name.lower().startswith(prefix):
                return name
    return names[0]


def hub_cache() -> Path:
    """The Hugging Face hub cache as huggingface_hub finds it (HF_HUB_CACHE, else HF_HOME/hub)."""
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"]).expanduser()
    home = os.environ.get("HF_HOME") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache"), "huggingface"
    )
    return Path(home).expanduser() / "hub"


def cached_snapshot(repo_id: str, cache: Path | None = None) -> Path | None:
    """The folder of a model already downloaded into the hub cache (config and weights present)."""
    root = (cache or hub_cache()) / ("models--" + repo_id.replace("/", "--")) / "snapshots"
    if not root.is_dir():
        return None
    for snapshot in sorted(root.iterdir(), reverse=True):
        if (snapshot / "config.json").exists() and any(snapshot.glob("*.safetensors")):
            return snapshot
    return None


def _transformers_installed() -> bool:
    return find_spec("torch") is not None and find_spec("transformers") is not None


def choose(options: dict[str, Any]) -> Choice:
    """The planner `--planner auto` uses for these command-line options."""
    tried: list[str] = []
    base = options.get("base_url") or os.environ.get("SPARKLE_LLM_BASE_URL")
    key = os.environ.get("SPARKLE_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY")
    if base:
        answer, why = _get_json(f"{str(base).rstrip('/')}/models", CONFIGURED_SECONDS, key)
        source = "SPARKLE_LLM_BASE_URL" if os.environ.get("SPARKLE_LLM_BASE_URL") == base else "--llm-base-url"
        if answer is not None:
            return Choice("openai", {"base_url": base}, f"{source} is set and {base} answers", tried=tried)
        tried.append(f"{source} {base}: {why}")
    elif os.environ.get("OPENAI_API_KEY"):
        url = os.environ.get("OPENAI_BASE_URL") or OPENAI_URL  # as the openai planner defaults with this key
        answer, why = _get_json(f"{url.rstrip('/')}/models", CONFIGURED_SECONDS, key)
        if answer is not None:
            model = options.get("model") or os.environ.get("SPARKLE_LLM_MODEL") or OPENAI_MODEL
            return Choice(
                "openai", {"base_url": url, "model": model}, f"OPENAI_API_KEY is set and {url} answers", tried=tried
            )
        tried.append(f"OPENAI_API_KEY is set but {url}: {why}")
    ollama = ollama_url()
    names, why = ollama_models(ollama)
    if names:
        model = options.get("model") or pick_ollama_model(names)
        reason = f"Ollama answers at {ollama} and serves {model}"
        return Choice("openai", {"base_url": f"{ollama}/v1", "model": model}, reason, tried=tried)
    tried.append(f"Ollama at {ollama}: " + (why or "serves no model (ollama pull qwen2.5:7b)"))
    if _transformers_installed():
        from sparkle_cli import config

        configured = options.get("model_path") or config.model_path("planner", "transformers")
        if configured:
            return Choice(
                "transformers", {"model_path": configured}, f"a local model is configured: {configured}", tried=tried
            )
        for repo_id in CACHED_MODELS:
            snapshot = cached_snapshot(repo_id)
            if snapshot is not None:
                reason = f"{repo_id} is in the local model cache ({snapshot.parents[1]})"
                return Choice("transformers", {"model_path": repo_id}, reason, tried=tried)
        tried.append(f"no local model configured or cached in {hub_cache()}")
    else:
        tried.append("no transformers installed (pip install -e '.[ml]')")
    notice = f"no language model found, so the built-in template planner wrote this plan; {HOW_TO}"
    return Choice("template", {}, f"no language model is reachable ({'; '.join(tried)})", notice=notice, tried=tried)


def ollama_options(options: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """`--planner ollama`: the openai planner pointed at Ollama, with a model it serves."""
    from sparkle_cli.errors import UsageError

    base = ollama_url()
    names, why = ollama_models(base, timeout=CONFIGURED_SECONDS)
    if names is None:
        raise UsageError(f"--planner ollama: {base} {why}; start Ollama (ollama serve) or set OLLAMA_HOST")
    model = options.get("model") or (pick_ollama_model(names) if names else "")
    if not model:
        raise UsageError(f"--planner ollama: Ollama at {base} serves no model; pull one: ollama pull qwen2.5:7b")
    return {
        **options,
        "base_url": options.get("base_url") or f"{base}/v1",
        "model": model,
    }, f"Ollama at {base}, model {model}"
