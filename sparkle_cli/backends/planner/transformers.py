"""The `transformers` planner: a causal language model from a folder or a hub id (downloaded into the Hugging
Face cache on first use, cache only when offline), its chat template, a seed.
"""

from __future__ import annotations

import os
import re
import sys
import time
from pathlib import Path
from typing import Any, ClassVar

from sparkle_cli.backends.base import BackendUnavailable
from sparkle_cli.backends.planner.llm import LLMPlanner

MODEL_HINT = (
    "give a model folder or a hub id: --llm-model Qwen/Qwen2.5-1.5B-Instruct, --llm-model-path DIR, "
    "SPARKLE_MODEL_PATH_PLANNER, or `models: {planner: DIR_OR_HUB_ID}` in the config"
)
DEFAULT_MAX_NEW_TOKENS = 4096
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
#: What a download fetches: weights as safetensors, the config, the tokenizer and its chat template.
HUB_FILES = ["*.json", "*.safetensors", "*.model", "*.txt", "*.tiktoken", "*.jinja", "tokenizer*"]
OFFLINE_VALUES = {"1", "true", "yes", "on"}


def offline() -> bool:
    return any(
        os.environ.get(v, "").strip().lower() in OFFLINE_VALUES for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def hub_snapshot(repo_id: str) -> Path:
    """The local folder of hub model `repo_id`: from the cache, downloading it first when allowed."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import GatedRepoError, HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError

    from sparkle_cli.planning.auto import hub_cache

    cache = hub_cache()
    try:
        return Path(snapshot_download(repo_id, cache_dir=cache, allow_patterns=HUB_FILES, local_files_only=True))
    except LocalEntryNotFoundError:
        if offline():
            raise BackendUnavailable(
                f"{repo_id} is not in the model cache ({cache}) and offline mode is on (HF_HUB_OFFLINE=1); "
                "download it once with the network on, or give a model folder with --llm-model-path"
            ) from None
    print(f"downloading {repo_id} into {cache} (first use; later plans read it from there)", file=sys.stderr)
    try:
        return Path(snapshot_download(repo_id, cache_dir=cache, allow_patterns=HUB_FILES))
    except (RepositoryNotFoundError, GatedRepoError) as exc:
        raise BackendUnavailable(
            f"cannot download {repo_id}: {exc.__class__.__name__}; check the id, or log in (hf auth login) for a gated model"
        ) from None
    except (HfHubHTTPError, LocalEntryNotFoundError, OSError) as exc:
        raise BackendUnavailable(f"cannot download {repo_id}: {exc}") from None


class TransformersPlanner(LLMPlanner):
    """A local causal LM through transformers' AutoModelForCausalLM, loaded once in `load()`."""

    name: ClassVar[str] = "transformers"
    version: ClassVar[str] = "1"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        from sparkle_cli import config

        self.location = str(
            self.options.get("model_path")
            or self.options.get("model")
            or config.model_path("planner", "transformers")
            or ""
        )
        self.model_label = self.location or "?"
        self.model: Any = None
        self.tokenizer: Any = None

    @classmethod
    def check(cls) -> None:
        from sparkle_cli.backends.torch_utils import require

        require("torch", "transformers", what="the transformers planner")

    def _temperature(self) -> float:
        return float(self.options.get("temperature") or 0.0)

    def request_settings(self) -> dict[str, Any]:
        return {
            "model_path": self.location,
            "temperature": self._temperature(),
            "seed": self.options.get("seed"),
            "max_new_tokens": self._max_new_tokens(),
        }

    def _max_new_tokens(self) -> int:
        return int(self.options.get("max_new_tokens") or self.options.get("max_tokens") or DEFAULT_MAX_NEW_TOKENS)

    def load(self) -> None:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        from sparkle_cli.backends.torch_utils import resolve_device, resolve_dtype

        if not self.location:
            raise BackendUnavailable(f"the transformers planner has no model: {MODEL_HINT}")
        path = Path(self.location).expanduser()
        if not path.is_dir():
            if not HUB_ID.match(self.location) or self.location.startswith((".", "/", "~")):
                raise BackendUnavailable(f"planner model folder {path} does not exist: {MODEL_HINT}")
            path = hub_snapshot(self.location)
        self.device = resolve_device(self.options.get("device"))
        dtype = resolve_dtype(self.options.get("dtype"), self.device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path))
            model: Any = AutoModelForCausalLM.from_pretrained(str(path), dtype=dtype)
            self.model = model.to(self.device).eval()
        except (OSError, ValueError) as exc:
            raise BackendUnavailable(f"cannot load a causal language model from {path}: {exc}") from exc
        self.model_label = (
            self.location
            if HUB_ID.match(self.location) and not Path(self.location).exists()
            else path.name or str(path)
        )

    def close(self) -> None:
        from sparkle_cli.backends.torch_utils import free_memory

        self.model = self.tokenizer = None
        free_memory()

    def _prompt(self, messages: list[dict[str, str]]) -> str:
        if getattr(self.tokenizer, "chat_template", None):
            return str(self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True))
        # A base model without a template still reads a plain transcript.
        return "".join(f"{m['role'].capitalize()}: {m['content']}\n\n" for m in messages) + "Assistant: "

    def complete(self, messages: list[dict[str, str]], record: dict[str, Any]) -> str:
        import torch

        if self.model is None:
            self.load()
        encoded = self.tokenizer(self._prompt(messages), return_tensors="pt", add_special_tokens=False)
        input_ids = encoded["input_ids"].to(self.device)
        temperature = self._temperature()
        sampling: dict[str, Any] = {"do_sample": temperature > 0}
        if temperature > 0:
            sampling["temperature"] = temperature
        torch.manual_seed(int(self.options.get("seed") or 0))
        started = time.perf_counter()
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=encoded["attention_mask"].to(self.device),
                max_new_tokens=self._max_new_tokens(),
                pad_token_id=self.tokenizer.pad_token_id
                if self.tokenizer.pad_token_id is not None
                else self.tokenizer.eos_token_id,
                **sampling,
            )
        new = output[0, input_ids.shape[1] :]
        record.update(
            prompt_tokens=int(input_ids.shape[1]),
            answer_tokens=int(new.shape[0]),
            generate_s=round(time.perf_counter() - started, 3),
        )
        return str(self.tokenizer.decode(new, skip_special_tokens=True))
