"""What the language-model planners share: the prompt, the transcript and the validate-and-repair loop.

A planner asks for a MoviePlan (everything but `render_profile`, which comes from `--profile`),
sends the answer through the post-processing every planner's plan takes (safe repairs, then the
validator `sparkle validate` uses), and sends the validator's lines back for a repair, up to
`repair_rounds` times. Every round's raw answer goes into the transcript.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sparkle_cli.backends.base import Backend
from sparkle_cli.errors import SparkleError
from sparkle_cli.planning.options import PlanOptions
from sparkle_cli.rundir import now_iso

DEFAULT_REPAIR_ROUNDS = 3
_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)

SYSTEM_PROMPT = """\
You write short movies as JSON plans. Answer with one JSON object and nothing else: no prose, no markdown.

The object has these keys:
- "title": the movie's title.
- "characters": a list of {"id", "name", "description", "voice_profile"}. The description starts
  with the role or species ("a detective", "a talking cat") and gives gender and age. voice_profile is
  {"style": a tone such as calm or excited, "language": "en-US", "gender": "female" or "male",
  "pitch": 0 to 100, "rate": words per minute from 120 to 200}.
- "base_images": the keyframes, exactly one more than there are shots: a list of
  {"id", "prompt", "metadata": {"seed": an integer}}. The prompt describes the picture for an
  image model: place, light, who is in frame and what they do. Start a wide view with "Wide view
  of", a close-up with "Close-up of NAME, ROLE" (one character only), and write "NAME and NAME
  together" whenever two or more characters are in frame.
- "shots": a list of {"id", "duration_sec" (more than 0, at most 120), "setting" (the place, the
  time of day: dawn, morning, day, sunset, dusk or night, and the weather: clear, rain, storm,
  snow, fog or wind, in plain words, e.g. "In a small bakery, at dawn, clear weather outside"),
  "visual_description", "start_base_image_id", "end_base_image_id", "motion_prompt" (the camera
  move), "is_talking_closeup" (true when one character speaks to camera)}. Shot i starts at
  base_images[i] and ends at base_images[i+1].
- "dialogue_timeline": a list of lines {"type": "dialogue", "character_id", "text",
  "start_time_sec", "duration_sec"} and pauses {"type": "silence", "start_time_sec", "duration_sec"},
  in time order. Lines never overlap, every character_id is a character's id, and nothing runs
  past the sum of the shot durations. Allow about 2.5 words per second of speech.
- "metadata": {} (optional).
Every id uses only letters, digits, _ and -, starts with a letter or digit, and has at most
64 characters (for example "shot_001", "frame_000", "ava"). Do not write "render_profile".
"""

REPAIR_PROMPT = """\
That plan cannot be used. The validator found these problems (JSON path: problem):
{problems}
Send the whole corrected plan as one JSON object, nothing else."""


class PlannerFailed(SparkleError):
    """A language-model planner gave up; `lines` hold the last round's problems."""

    def __init__(
        self,
        message: str,
        *,
        lines: list[str] | None = None,
        hint: str | None = None,
        transcript: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message, lines=lines, hint=hint)
        self.transcript = transcript


def user_prompt(options: PlanOptions) -> str:
    shots = max(1, int(options.shots))
    lines = [f"Story: {options.prompt.strip()}"]
    lines.append(f"Title: {options.title}" if options.title else "Title: choose a short one.")
    lines.append(f"Shots: exactly {shots}, so exactly {shots + 1} base_images.")
    if options.seconds:
        lines.append(f"Length: about {options.seconds:g} seconds in all.")
    lines.append("Give every character at least one line; talking close-ups show the speaker's face.")
    return "\n".join(lines)


def first_messages(options: PlanOptions) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user_prompt(options)}]


def plan_schema() -> dict[str, Any]:
    """The MoviePlan JSON Schema without `render_profile` (the profile is not the model's to choose)."""
    from sparkle_cli.schemas.plan import MoviePlan

    schema = MoviePlan.model_json_schema()
    schema["properties"].pop("render_profile", None)
    schema["required"] = [name for name in schema.get("required", []) if name != "render_profile"]
    defs = schema.get("$defs", {})
    used: set[str] = set()
    pending = [schema["properties"]]
    while pending:  # keep only the definitions the remaining properties reach
        text = json.dumps(pending.pop())
        for name in re.findall(r'"#/\$defs/([^"]+)"', text):
            if name not in used and name in defs:
                used.add(name)
                pending.append(defs[name])
    schema["$defs"] = {name: value for name, value in defs.items() if name in used}
    return schema


def extract_json(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a fenced block, or the outermost {...}."""
    body = text.strip()
    candidates = [body, *_FENCE.findall(body)]
    start, end = body.find("{"), body.rfind("}")
    if 0 <= start < end:
        candidates.append(body[start : end + 1])
    error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = error or exc
    if error is None:
        raise ValueError("the answer is empty")
    raise ValueError(f"{error.msg} at character {error.pos}")


def finish_plan(
    answer: str, options: PlanOptions, render_profile: dict[str, Any]
) -> tuple[dict[str, Any] | None, list[str], list[str]]:
    """The plan in `answer` through the planners' shared post-processing: (plan, problems, repairs)."""
    from sparkle_cli.planning.postprocess import finish

    try:
        data = extract_json(answer)
    except ValueError as exc:
        return None, [f"(answer): not a JSON object: {exc}"], []
    finished = finish(data, options, render_profile)
    return finished.plan, finished.errors, finished.repairs


@dataclass
class Transcript:
    """The request and every round's raw answer, kept in the run for whoever debugs a plan."""

    planner: str
    model: str
    request: dict[str, Any]
    started_at: str = field(default_factory=now_iso)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    outcome: str = "running"
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "planner": self.planner,
            "model": self.model,
            "started_at": self.started_at,
            "finished_at": now_iso(),
            "outcome": self.outcome,
            "error": self.error,
            "request": self.request,
            "rounds": self.rounds,
        }


class LLMPlanner(Backend):
    """Base of the language-model planners: subclasses implement `complete(messages)`."""

    kind: ClassVar[str] = "planner"
    model_label: str = ""

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        super().__init__(options)
        self.transcript: Transcript | None = None

    @property
    def repair_rounds(self) -> int:
        value = self.options.get("repair_rounds")
        return max(0, int(DEFAULT_REPAIR_ROUNDS if value is None else value))

    def request_settings(self) -> dict[str, Any]:
        """What besides the messages is sent (endpoint, sampling); goes into the transcript."""
        return {}

    def complete(self, messages: list[dict[str, str]], record: dict[str, Any]) -> str:
        """One answer to `messages`; may add facts about the call to `record`."""
        raise NotImplementedError

    def plan(self, options: PlanOptions) -> dict[str, Any]:
        from sparkle_cli.profiles import DEFAULT_PROFILE, load_profile

        profile = self.options.get("render_profile") or load_profile(DEFAULT_PROFILE)
        messages = first_messages(options)
        self.transcript = transcript = Transcript(
            planner=self.name,
            model=self.model_label,
            request={
                "options": {k: v for k, v in vars(options).items() if v is not None},
                "repair_rounds": self.repair_rounds,
                "settings": self.request_settings(),
                "messages": [dict(m) for m in messages],
            },
        )
        errors: list[str] = []
        rounds = self.repair_rounds + 1
        for number in range(1, rounds + 1):
            record: dict[str, Any] = {"round": number, "started_at": now_iso()}
            transcript.rounds.append(record)
            started = time.perf_counter()
            try:
                answer = self.complete(messages, record)
            except PlannerFailed as exc:
                record["error"] = exc.message
                transcript.outcome, transcript.error = "failed", exc.message
                exc.transcript = transcript.as_dict()
                raise
            record["duration_s"] = round(time.perf_counter() - started, 3)
            record["answer"] = answer
            plan, errors, repairs = finish_plan(answer, options, profile)
            record["errors"] = errors
            if repairs:
                record["repairs"] = repairs
            if not errors and plan is not None:
                transcript.outcome = "succeeded"
                plan["metadata"] = {
                    **(plan.get("metadata") or {}),
                    "planner": self.name,
                    "model": self.model_label,
                    "rounds": number,
                }
                return plan
            repair = REPAIR_PROMPT.format(problems="\n".join(f"- {e}" for e in errors[:40]))
            record["repair_prompt"] = repair
            messages = [*messages, {"role": "assistant", "content": answer}, {"role": "user", "content": repair}]
        message = (
            f"the {self.name} planner ({self.model_label}) wrote no valid plan in {rounds} "
            f"round{'s' if rounds != 1 else ''}; the last answer's problems:"
        )
        transcript.outcome, transcript.error = "failed", message
        raise PlannerFailed(message, lines=errors[:40], transcript=transcript.as_dict())
