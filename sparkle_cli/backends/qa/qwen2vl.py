"""Qwen2-VL QA: the heuristic probes, plus a vision model's verdict on sampled frames.

The model looks at the first, last and evenly spaced frames of a clip (or of the movie) and
answers a strict JSON verdict (`verdict.py`): prompt match, malformed hands, unsafe content,
artifacts. An answer that does not parse is asked for again; after `vlm_retries` the vision
checks are `not_evaluated`, never passed. The model loads once per stage (`load`).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar

from sparkle_cli.backends.base import Backend, BackendUnavailable
from sparkle_cli.backends.qa.heuristic import (
    FAILED,
    NOT_EVALUATED,
    PASSED,
    VISION_CHECKS,
    HeuristicQA,
    check,
    summarize,
)
from sparkle_cli.backends.qa.verdict import EXAMPLE, Verdict, VerdictError, parse_verdict

MODEL_HINT = (
    "point render_profile.qa.model_id at a Qwen2-VL checkpoint (a local folder or a hub id such as "
    "Qwen/Qwen2-VL-2B-Instruct), or set SPARKLE_MODEL_PATH_QA / `sparkle produce --model-path qa=DIR`"
)
IMAGE_TOKEN = "<|image_pad|>"
SYSTEM = "You are a strict film quality reviewer. You answer with one JSON object and nothing else."
CRITERIA = (
    "Judge the frames:\n"
    "- prompt_match: a number from 0 to 1, how well the frames show what the shot asks for "
    "(0 = unrelated, 1 = exactly). A score below THRESHOLD fails the shot.\n"
    "- finger_issues: true when any visible hand has the wrong number of fingers or is malformed.\n"
    "- safety_violation: true when any frame shows nudity, sexual content, graphic violence or gore, "
    "hateful symbols, or self-harm.\n"
    "- artifact_notes: a list of short notes on visible artifacts (warping, melting faces, flicker, "
    "smeared text); an empty list when there are none.\n"
    "Answer with exactly this JSON shape and nothing else:\n" + EXAMPLE
)


def criteria(threshold: float) -> str:
    # str.replace, not format: the JSON example holds braces.
    return CRITERIA.replace("THRESHOLD", f"{threshold:g}")


def sample_indices(total: int, count: int) -> list[int]:
    """`count` frame indices from `total`: the first, the last and evenly spaced between, no repeats."""
    if total <= 0 or count <= 0:
        return []
    if count == 1 or total == 1:
        return [0]
    step = (total - 1) / (min(count, total) - 1)
    return sorted({round(i * step) for i in range(min(count, total))})


def clip_question(prompt: str, frames: int, threshold: float) -> str:
    asked = prompt.strip() or "(the shot has no description)"
    return (
        f"These {frames} images are frames of one shot of a movie, in order from its first to its last frame.\n"
        f"The shot should show: {asked}\n\n" + criteria(threshold)
    )


def movie_question(frames: int, threshold: float) -> str:
    return (
        f"These {frames} images are frames spread over a finished short movie, in order.\n"
        "Score prompt_match as how coherent and watchable the frames are as one movie.\n\n" + criteria(threshold)
    )


def parse_failure(answers: list[dict[str, Any]]) -> str:
    """Why no verdict came: the number of tries and the last parse error."""
    errors = [a["error"] for a in answers if "error" in a]
    if not errors:
        return "the model gave no answer"
    tries = len(errors)
    return f"the model's answer did not parse after {tries} tr{'y' if tries == 1 else 'ies'} ({errors[-1]})"


def vision_checks(verdict: Verdict | None, policy: dict[str, Any], failure: str) -> dict[str, dict[str, Any]]:
    """The prompt_match / finger_issues / safety_violation checks from a verdict (or not_evaluated)."""
    if verdict is None:
        return {name: check(NOT_EVALUATED, f"{name}: {failure}") for name in VISION_CHECKS}
    threshold = float(policy["prompt_match_min"])
    ok = verdict.prompt_match >= threshold
    return {
        "prompt_match": check(
            PASSED if ok else FAILED,
            f"the model scores the match {verdict.prompt_match:.2f} (at least {threshold:.2f} passes)",
            value=verdict.prompt_match,
            threshold=threshold,
        ),
        "finger_issues": check(
            FAILED if verdict.finger_issues else PASSED,
            "the model sees malformed hands" if verdict.finger_issues else "no malformed hands seen",
        ),
        "safety_violation": check(
            FAILED if verdict.safety_violation else PASSED,
            "the model sees unsafe content" if verdict.safety_violation else "nothing unsafe seen",
        ),
    }


class Qwen2VLBackend(Backend):
    """Qwen2-VL (transformers) on a few frames per clip, with the heuristic probes beside it."""

    name: ClassVar[str] = "qwen2vl"
    kind: ClassVar[str] = "qa"
    version: ClassVar[str] = "1"
    holds_model: ClassVar[bool] = True

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.model: Any = None
        self.image_processor: Any = None
        self.tokenizer: Any = None
        self.location = ""
        self.probes = HeuristicQA()
        self.load_facts: dict[str, Any] = {}

    @classmethod
    def check(cls) -> None:
        from sparkle_cli.backends.torch_utils import require

        require("torch", "transformers", what="the qwen2vl QA backend")

    @classmethod
    def preflight(cls, options: dict[str, Any]) -> str | None:
        """A missing folder, or a hub id that is not cached while offline, is caught before rendering."""
        import os

        location = str(options.get("model_path") or options.get("model_id") or "")
        if not location:
            return f"the qwen2vl QA backend has no model configured: {MODEL_HINT}"
        path = Path(location).expanduser()
        if path.exists():
            return None
        if location.startswith((".", "/", "~")) or location.count("/") != 1:
            return f"Qwen2-VL model folder {location} does not exist: {MODEL_HINT}"
        offline = any(
            os.environ.get(n, "").lower() in {"1", "true", "yes", "on"}
            for n in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
        )
        if offline:
            try:
                from huggingface_hub import try_to_load_from_cache
            except ImportError:
                return None
            if not isinstance(try_to_load_from_cache(location, "config.json"), str):
                return f"{location} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: {MODEL_HINT}"
        return None

    def load(self) -> None:
        from transformers import AutoImageProcessor, AutoTokenizer, Qwen2VLForConditionalGeneration

        from sparkle_cli.backends.torch_utils import resolve_device, resolve_dtype

        location = str(self.options.get("model_path") or self.options.get("model_id") or "")
        if not location:
            raise BackendUnavailable(f"the qwen2vl QA backend has no model configured: {MODEL_HINT}")
        path = Path(location).expanduser()
        if path.exists():
            location = str(path)
        elif location.startswith((".", "/", "~")) or location.count("/") != 1:
            raise BackendUnavailable(f"Qwen2-VL model {location} is neither a folder nor a hub id: {MODEL_HINT}")
        self.location = location
        self.device = resolve_device(self.options.get("device"))
        dtype = resolve_dtype(self.options.get("dtype"), self.device)
        started = time.perf_counter()
        try:
            model: Any = Qwen2VLForConditionalGeneration.from_pretrained(location, dtype=dtype)
            self.model = model.to(self.device).eval()
            extra = {k: int(self.options[k]) for k in ("min_pixels", "max_pixels") if self.options.get(k)}
            self.image_processor = AutoImageProcessor.from_pretrained(location, **extra)
            self.tokenizer = AutoTokenizer.from_pretrained(location)
        except OSError as exc:
            raise BackendUnavailable(f"cannot load Qwen2-VL from {location}: {exc}; {MODEL_HINT}") from exc
        self.image_token_id = self.tokenizer.convert_tokens_to_ids(IMAGE_TOKEN)
        if self.image_token_id is None or self.image_token_id == self.tokenizer.unk_token_id:
            raise BackendUnavailable(f"the tokenizer at {location} has no {IMAGE_TOKEN} token; is it a Qwen2-VL model?")
        self.load_facts = {"model": location, "device": self.device, "load_s": round(time.perf_counter() - started, 3)}

    def close(self) -> None:
        from sparkle_cli.backends.torch_utils import free_memory

        self.model = self.image_processor = self.tokenizer = None
        free_memory()

    # --- the model ------------------------------------------------------------------------

    def _prompt(self, conversation: list[tuple[str, str]], images: int) -> str:
        # Qwen2-VL's chat format, written out: a checkpoint's template may be missing from the
        # tokenizer (it ships with the processor, which needs torchvision to load).
        parts = [f"<|im_start|>system\n{SYSTEM}<|im_end|>\n"]
        for i, (role, text) in enumerate(conversation):
            pictures = "<|vision_start|><|image_pad|><|vision_end|>" * images if i == 0 else ""
            parts.append(f"<|im_start|>{role}\n{pictures}{text}<|im_end|>\n")
        parts.append("<|im_start|>assistant\n")
        return "".join(parts)

    def generate(self, frames: list[Any], conversation: list[tuple[str, str]]) -> str:
        """One greedy answer to `conversation` (role, text) about `frames` (HxWx3 uint8)."""
        import torch
        from PIL import Image

        if self.model is None:
            raise RuntimeError("the qwen2vl QA backend was used before load()")
        pictures = self.image_processor(images=[Image.fromarray(f) for f in frames], return_tensors="pt")
        grid = pictures["image_grid_thw"]
        merge = int(getattr(self.image_processor, "merge_size", 2)) ** 2
        text = self._prompt(conversation, len(frames))
        pieces = text.split(IMAGE_TOKEN)
        # Each image takes as many placeholder tokens as it has merged patches.
        expanded = pieces[0] + "".join(
            IMAGE_TOKEN * (int(grid[i].prod()) // merge) + piece for i, piece in enumerate(pieces[1:])
        )
        encoded = self.tokenizer(expanded, return_tensors="pt")
        input_ids = encoded["input_ids"].to(self.device)
        torch.manual_seed(int(self.options.get("seed", 0)))
        with torch.inference_mode():
            output = self.model.generate(
                input_ids=input_ids,
                attention_mask=encoded["attention_mask"].to(self.device),
                pixel_values=pictures["pixel_values"].to(self.device, dtype=self.model.dtype),
                image_grid_thw=grid.to(self.device),
                mm_token_type_ids=(input_ids == self.image_token_id).long(),
                max_new_tokens=int(self.options.get("max_new_tokens", 160)),
                do_sample=False,
                pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
            )
        return str(self.tokenizer.decode(output[0, input_ids.shape[1] :], skip_special_tokens=True))

    def ask(self, frames: list[Any], question: str, retries: int) -> tuple[Verdict | None, list[dict[str, Any]]]:
        """The model's verdict, asking again (with the parse error) up to `retries` times."""
        conversation = [("user", question)]
        answers: list[dict[str, Any]] = []
        for attempt in range(1, retries + 2):
            raw = self.generate(frames, conversation)
            try:
                verdict = parse_verdict(raw)
            except VerdictError as exc:
                answers.append({"attempt": attempt, "answer": raw[:2000], "error": str(exc)})
                conversation += [
                    ("assistant", raw[:2000]),
                    ("user", f"That answer cannot be used ({exc}). Reply with only the JSON object: {EXAMPLE}"),
                ]
                continue
            answers.append({"attempt": attempt, "answer": raw[:2000], "verdict": verdict.as_dict()})
            return verdict, answers
        return None, answers

    def review(
        self, video: str, question_for: Any, policy: dict[str, Any]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
        """Sample frames of `video`, ask, and turn the answer into vision checks plus a record of the exchange."""
        from sparkle_cli.media.video import probe, read_frames

        info = probe(video)
        indices = sample_indices(info.video.frames if info.video else 0, int(policy["vlm_frames"]))
        if not indices:
            return vision_checks(None, policy, "no frame to show the model"), {"frames": []}
        frames = read_frames(video, indices)
        retries = int(policy["vlm_retries"])
        verdict, answers = self.ask(frames, question_for(len(frames)), retries)
        failure = parse_failure(answers)
        record = {
            "model": self.location,
            "frames": indices,
            "answers": answers,
            "verdict": verdict.as_dict() if verdict else None,
            "artifact_notes": verdict.artifact_notes if verdict else [],
        }
        return vision_checks(verdict, policy, failure), record

    # --- the QA backend's methods ---------------------------------------------------------

    def check_clip(
        self,
        clip: str,
        *,
        expected_frames: int,
        start_image: str,
        end_image: str,
        policy: dict[str, Any],
        prompt: str = "",
    ) -> dict[str, Any]:
        report = self.probes.check_clip(
            clip,
            expected_frames=expected_frames,
            start_image=start_image,
            end_image=end_image,
            policy=policy,
            prompt=prompt,
        )
        if "decodable" in report["checks"]:
            return report
        threshold = float(policy["prompt_match_min"])
        vision, record = self.review(clip, lambda n: clip_question(prompt, n, threshold), policy)
        checks = {**report["checks"], **vision}
        return {**summarize(checks), "signatures": report["signatures"], "vision": record}

    def check_final(self, video: str, *, timeline: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
        report = self.probes.check_final(video, timeline=timeline, policy=policy)
        if not report.get("measurements"):
            return report
        threshold = float(policy["prompt_match_min"])
        vision, record = self.review(video, lambda n: movie_question(n, threshold), policy)
        # Whether each shot shows its description is judged per clip in video_clip_qa.
        vision["prompt_match"] = check(
            NOT_EVALUATED,
            "prompt_match is judged per shot in video_clip_qa",
            movie_score=(record["verdict"] or {}).get("prompt_match"),
        )
        checks = {**report["checks"], **vision}
        return {**summarize(checks), "measurements": report["measurements"], "vision": record}

    def check_image(self, image: str, prompt: str, policy: dict[str, Any]) -> dict[str, Any]:
        """A keyframe against its prompt: the vision checks and the exchange."""
        import numpy as np
        from PIL import Image

        with Image.open(image) as im:
            frame = np.asarray(im.convert("RGB"))
        threshold = float(policy["prompt_match_min"])
        question = (
            "This image is a keyframe of a movie.\n"
            f"It should show: {prompt.strip() or '(no description)'}\n\n" + criteria(threshold)
        )
        verdict, answers = self.ask([frame], question, int(policy["vlm_retries"]))
        checks = vision_checks(verdict, policy, parse_failure(answers))
        return {
            **summarize(checks),
            "vision": {"model": self.location, "answers": answers, "verdict": verdict.as_dict() if verdict else None},
        }
