"""Plan checking: structure (pydantic), the rules between fields, and normalization.

Every broken rule becomes one `json.path: message` line; nothing here touches the disk
except `read_plan_file`, which only reads.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sparkle_cli.backends import registry
from sparkle_cli.errors import PlanInvalid, UsageError
from sparkle_cli.schemas.plan import ID_PATTERN, MAX_MOVIE_SECONDS, MoviePlan, PlanEnvelope
from sparkle_cli.text import control_characters, is_encodable, quote, safe
from sparkle_cli.timeline import reconcile
from sparkle_cli.userfiles import FileProblem, parse_json, read_text

EPS = 1e-3
_ID_RE = re.compile(ID_PATTERN)
STAGE_KINDS = {"images": "image", "tts": "tts", "qa": "qa", "lipsync": "lipsync"}
DEFAULT_SIZE = {"morph": (640, 360), "wan": (832, 480)}


@dataclass
class PlanCheck:
    """The outcome of checking a plan: problems (fatal), notices (fixed up), and the result."""

    errors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    envelope: dict[str, Any] | None = None  # the envelope as given, with a bare plan wrapped
    normalized: dict[str, Any] | None = None  # the MoviePlan with gaps, seeds and defaults filled in

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_for_errors(self, source: str) -> None:
        if self.errors:
            count = len(self.errors)
            raise PlanInvalid(
                f"{source}: the plan has {count} problem{'s' if count != 1 else ''}",
                lines=self.errors,
            )


def json_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for i, part in enumerate(loc):
        if isinstance(part, int):
            out += f"[{part}]"
        elif i > 0 and isinstance(loc[i - 1], int) and part in {"dialogue", "silence"} and len(loc) > i + 1:
            continue  # the discriminated union's tag is not part of the document's path
        else:
            out += ("." if out else "") + str(part)
    return out or "(plan)"


def read_plan_file(path: str | Path) -> Any:
    """Read a plan file as JSON; a file that is not a readable plan is one clear PlanInvalid line."""
    path = Path(path)
    try:
        text = read_text(path, "plan")
    except UsageError as exc:
        raise PlanInvalid(exc.message.replace(f"plan {path}", str(path), 1)) from None
    try:
        return parse_json(text)
    except FileProblem as exc:
        raise PlanInvalid(f"{path}: not a valid plan", lines=[f"(file): {exc}"]) from None


def check_plan(data: Any) -> PlanCheck:
    """Check a plan envelope or a bare MoviePlan; never raises for a bad plan."""
    check = PlanCheck()
    if not isinstance(data, dict):
        check.errors.append(f"(plan): expected a JSON object, got {type(data).__name__}")
        return check
    envelope = dict(data) if "validated_plan" in data else {"request": {}, "validated_plan": data}
    raw = envelope.get("validated_plan")
    # Text that could never be written to a file or handed to a program is refused up front.
    check.errors.extend(_envelope_text_errors(envelope))
    try:
        model = PlanEnvelope.model_validate(envelope)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            if loc and loc[0] == "validated_plan":
                loc = loc[1:]
            check.errors.append(f"{json_path(loc)}: {_message(err)}")
        # The rules between fields still run on what can be read, so one pass shows every problem.
        flagged = {e.split(":", 1)[0] for e in check.errors}
        if isinstance(raw, dict):
            check.errors += [e for e in _rule_errors(raw) if e.split(":", 1)[0] not in flagged]
        return check
    plan = model.validated_plan
    check.errors.extend(_rule_errors(plan.model_dump(mode="json")))
    if check.errors:
        return check
    check.envelope = envelope
    check.normalized = normalize(plan, check.notices)
    check.errors.extend(_speech_length_errors(check.normalized))
    if check.errors:
        check.normalized = None
    return check


#: Fields that become one line of text elsewhere (file metadata, subtitles, tables): no control characters.
_ONE_LINE = {("title",), ("characters", "*", "name")}
#: Prose fields may hold newlines and tabs, nothing else below the space.
_PROSE_ALLOWED = {"\\n", "\\t"}


def text_errors(value: Any, loc: tuple[Any, ...] = ()) -> list[str]:
    """NUL, lone surrogates and control characters where they would reach a file or a program.

    `loc` is where `value` sits; plan fields (not under request, metadata or options) are held to
    the stricter rules for one-line and prose text.
    """
    errors: list[str] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, loc)]
    while stack and len(errors) < 20:
        value, loc = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (not is_encodable(key) or "\x00" in key):
                    errors.append(f"{json_path(loc)}: a key holds a NUL or an unpaired surrogate: {quote(key)}")
                stack.append((item, (*loc, key)))
        elif isinstance(value, list):
            stack.extend((item, (*loc, i)) for i, item in enumerate(value))
        elif isinstance(value, str):
            where = json_path(loc)
            if not is_encodable(value):
                errors.append(f"{where}: holds an unpaired surrogate, which is not text")
                continue
            found = control_characters(value)
            shape = tuple("*" if isinstance(part, int) else part for part in loc)
            if "\\x00" in found:
                errors.append(f"{where}: holds a NUL character")
            elif shape in _ONE_LINE and found:
                errors.append(f"{where}: holds control characters ({', '.join(found)}); use plain text")
            elif loc and loc[0] not in _ENVELOPE and set(found) - _PROSE_ALLOWED and not _in_metadata(loc):
                bad = sorted(set(found) - _PROSE_ALLOWED)
                errors.append(f"{where}: holds control characters ({', '.join(bad)}); use plain text")
    return errors


#: Envelope fields beside the plan: their text goes to the run as data, never to a program.
_ENVELOPE = ("request", "metadata", "generated_at", "schema_uri")


def _envelope_text_errors(envelope: dict[str, Any]) -> list[str]:
    errors = text_errors(envelope.get("validated_plan"))
    for key, value in envelope.items():
        if key != "validated_plan":
            errors += text_errors(value, (key,) if isinstance(key, str) else ("(key)",))
    return errors


def _in_metadata(loc: tuple[Any, ...]) -> bool:
    return "metadata" in loc or "options" in loc


def _message(err: Any) -> str:
    kind = err.get("type", "")
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch":
        return f"{quote(err.get('input'))} is not a valid id (letters, digits, _ and -, at most 64, no path characters)"
    if kind == "union_tag_invalid":
        return "type must be 'dialogue' or 'silence'"
    return quote(err.get("msg", "invalid"), 200).strip("'")


def _list(plan: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = plan.get(key)
    return [v if isinstance(v, dict) else {} for v in value] if isinstance(value, list) else []


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _duplicates(items: list[dict[str, Any]], section: str) -> list[str]:
    seen: dict[str, int] = {}
    errors = []
    for i, item in enumerate(items):
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            errors.append(f"{section}[{i}].id: duplicate id {quote(ident)} (also {section}[{seen[ident]}])")
        else:
            seen[ident] = i
    return errors


def _rule_errors(plan: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    for section in ("characters", "base_images", "shots"):
        errors += _duplicates(_list(plan, section), section)
    errors += _chain_errors(plan)
    errors += _timeline_errors(plan)
    errors += _profile_errors(plan)
    for i, image in enumerate(_list(plan, "base_images")):
        meta = _dict(image.get("metadata"))
        seed = meta.get("seed")
        if seed is not None and not (isinstance(seed, int) and not isinstance(seed, bool) and 0 <= seed < 2**32):
            errors.append(f"base_images[{i}].metadata.seed: must be an integer from 0 to 4294967295, got {quote(seed)}")
    return errors


def _chain_errors(plan: dict[str, Any]) -> list[str]:
    images, shots = _list(plan, "base_images"), _list(plan, "shots")
    if not shots:
        return []
    if len(images) != len(shots) + 1:
        return [
            f"base_images: {len(shots)} shots need {len(shots) + 1} keyframes "
            f"(shot i runs from base_images[i] to base_images[i+1]), found {len(images)}"
        ]
    errors = []
    for i, shot in enumerate(shots):
        for key, j in (("start_base_image_id", i), ("end_base_image_id", i + 1)):
            want = images[j].get("id")
            if shot.get(key) != want:
                errors.append(f"shots[{i}].{key}: must be {quote(want)} (base_images[{j}]), got {quote(shot.get(key))}")
    return errors


def _timeline_errors(plan: dict[str, Any]) -> list[str]:
    errors = []
    characters = {c.get("id") for c in _list(plan, "characters") if isinstance(c.get("id"), str)}
    durations = [_num(s.get("duration_sec")) for s in _list(plan, "shots")]
    total = sum(d for d in durations if d and d > 0)
    if total > MAX_MOVIE_SECONDS:
        errors.append(f"shots: the movie runs {total:.1f} s, more than the {MAX_MOVIE_SECONDS:.0f} s allowed")
    entries = []
    for i, entry in enumerate(_list(plan, "dialogue_timeline")):
        speaker = entry.get("character_id")
        if entry.get("type") == "dialogue" and (not isinstance(speaker, str) or speaker not in characters):
            known = safe(", ".join(sorted(str(c) for c in characters if c)) or "none", 200)
            errors.append(
                f"dialogue_timeline[{i}].character_id: unknown character {quote(entry.get('character_id'))} (characters: {known})"
            )
        start, length = _num(entry.get("start_time_sec")), _num(entry.get("duration_sec"))
        if start is not None and length is not None and length > 0:
            entries.append((start, start + length, i))
    entries.sort()
    last: tuple[float, float, int] | None = None
    for start, end, i in entries:
        if None not in durations and end > total + EPS:
            errors.append(f"dialogue_timeline[{i}]: ends at {end:.2f} s, after the shots end at {total:.2f} s")
        if last is not None and start < last[1] - EPS:
            errors.append(
                f"dialogue_timeline[{i}]: starts at {start:.2f} s, before dialogue_timeline[{last[2]}] ends at "
                f"{last[1]:.2f} s (entries must not overlap)"
            )
        if last is None or end >= last[1]:
            last = (start, end, i)
    return errors


def _profile_errors(plan: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    profile = plan.get("render_profile")
    if not isinstance(profile, dict):
        return errors
    video = _dict(profile.get("video"))
    model_id = video.get("model_id")
    if isinstance(model_id, str) and model_id and registry.video_backend_for(model_id) is None:
        errors.append(
            f"render_profile.video.model_id: unknown model {quote(model_id)}; known: {', '.join(sorted(registry.VIDEO_MODEL_IDS))}"
        )
    for axis in ("width", "height"):
        value = video.get(axis)
        if isinstance(value, int) and value % 2:
            errors.append(f"render_profile.video.{axis}: must be even (H.264 4:2:0), got {value}")
    for section, kind in STAGE_KINDS.items():
        chosen = _dict(profile.get(section))
        name = chosen.get("backend")
        if isinstance(name, str) and not registry.is_known(kind, name):
            errors.append(
                f"render_profile.{section}.backend: unknown {kind} backend {quote(name)}; known: {', '.join(registry.known_names(kind))}"
            )
    subtitles = profile.get("subtitles")
    if subtitles is not None:
        if not isinstance(subtitles, dict):
            errors.append('render_profile.subtitles: expected an object like {"burn": true, "language": "en"}')
        else:
            if "burn" in subtitles and not isinstance(subtitles["burn"], bool):
                errors.append(f"render_profile.subtitles.burn: must be true or false, got {quote(subtitles['burn'])}")
            language = subtitles.get("language")
            if language is not None and not (
                isinstance(language, str) and re.fullmatch(r"[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8})*", language)
            ):
                errors.append(
                    f"render_profile.subtitles.language: a language tag such as en or en-US, got {quote(language)}"
                )
    for section in ("video", *STAGE_KINDS):
        errors += _option_errors(f"render_profile.{section}.options", _dict(_dict(profile.get(section)).get("options")))
    errors += _voice_errors(plan, _dict(profile.get("tts")).get("backend"))
    return errors


#: Backend options that are numbers, with the range a real run can use (a typo of 1e9 steps
#: would otherwise render for days). Options not listed are the backends' own business.
OPTION_LIMITS: dict[str, tuple[float, float, bool]] = {  # name: (least, most, whole number)
    "steps": (1, 500, True),
    "guidance": (0, 100, False),
    "crf": (0, 51, True),
    "threads": (1, 256, True),
    "batch_size": (1, 512, True),
    "window_frames": (1, 1025, True),
    "base_resolution": (8, 4096, True),
    "max_new_tokens": (1, 8192, True),
    "max_pixels": (1024, 4096 * 4096, True),
    "sample_rate": (8000, 192000, True),
    "seed": (0, 2**32 - 1, True),
    "exaggeration": (0, 4, False),
    "cfg_weight": (0, 2, False),
}


def _option_errors(where: str, options: dict[str, Any]) -> list[str]:
    errors = []
    for key, (low, high, whole) in OPTION_LIMITS.items():
        if key not in options:
            continue
        value = options[key]
        number = _num(value)
        if (
            number is None
            or not math.isfinite(number)
            or not low <= number <= high
            or (whole and number != int(number))
        ):
            kind = "a whole number" if whole else "a number"
            errors.append(f"{where}.{key}: must be {kind} from {low:g} to {high:g}, got {quote(value)}")
    return errors


def _voice_errors(plan: dict[str, Any], tts: Any) -> list[str]:
    """What the selected TTS backend cannot speak with (an unknown voice name), before any run."""
    name = tts if isinstance(tts, str) and tts else registry.BUILTIN["tts"]
    characters = [c for c in _list(plan, "characters") if isinstance(c.get("id"), str)]
    if not characters or not registry.is_known("tts", name):
        return []
    try:
        cls = registry.backend_class("tts", name)
    except Exception:  # the backend cannot load here; the pre-render check says why
        return []
    problems = getattr(cls, "plan_problems", None)
    return list(problems(characters)) if problems else []


#: Words a second for the speech estimate (espeak-ng's default 165 words a minute is 2.75).
_WORDS_PER_SECOND = 2.6


def estimate_speech_s(text: str, rate_wpm: Any = None) -> float:
    """Seconds a line takes to say, from its words (or its characters, for scripts without spaces)."""
    words = max(len(text.split()), len(text) / 6.0, 1.0)
    per_second = float(rate_wpm) / 60.0 if _num(rate_wpm) else _WORDS_PER_SECOND
    return words / max(per_second, 0.5) + 0.3


def _speech_length_errors(plan: dict[str, Any]) -> list[str]:
    """The movie cap holds for the movie after speech is fitted: estimate every line's length now."""
    rates = {c["id"]: (c.get("voice_profile") or {}).get("rate") for c in plan["characters"]}
    durations = {
        e["id"]: estimate_speech_s(e["text"], rates.get(e["character_id"]))
        for e in plan["dialogue_timeline"]
        if e["type"] == "dialogue"
    }
    if not durations:
        return []
    fitted = reconcile(plan["dialogue_timeline"], [(s["id"], s["duration_sec"]) for s in plan["shots"]], durations)
    if fitted.total_revised_s <= MAX_MOVIE_SECONDS:
        return []
    spoken = sum(durations.values())
    return [
        f"dialogue_timeline: speaking its {len(durations)} lines takes about {spoken:.0f} s, so the movie would run "
        f"about {fitted.total_revised_s:.0f} s, more than the {MAX_MOVIE_SECONDS:.0f} s allowed; shorten the lines"
    ]


def stable_seed(*parts: Any) -> int:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def normalize(plan: MoviePlan, notices: list[str]) -> dict[str, Any]:
    """The plan every stage reads: sorted timeline with explicit silences, ids, seeds, defaults."""
    data = plan.model_dump(mode="json", exclude_none=False)
    data["dialogue_timeline"] = _fill_timeline(
        data["dialogue_timeline"], sum(s.duration_sec for s in plan.shots), notices
    )
    plan_seed = plan.metadata.get("seed", plan.title)
    for i, image in enumerate(data["base_images"]):
        if image["metadata"].get("seed") is None:
            image["metadata"]["seed"] = stable_seed(plan_seed, image["id"])
            notices.append(f"base_images[{i}].metadata.seed: not set; using {image['metadata']['seed']}")
    profile = data["render_profile"]
    video_backend = registry.video_backend_for(profile["video"]["model_id"]) or "morph"
    profile["video"]["backend"] = video_backend
    width, height = DEFAULT_SIZE.get(video_backend, (640, 360))
    profile["video"]["width"] = profile["video"].get("width") or width
    profile["video"]["height"] = profile["video"].get("height") or height
    for section, kind in STAGE_KINDS.items():
        if not profile[section].get("backend"):
            profile[section]["backend"] = registry.BUILTIN[kind]
    return data


def _fill_timeline(entries: list[dict[str, Any]], total: float, notices: list[str]) -> list[dict[str, Any]]:
    ordered = sorted(entries, key=lambda e: e["start_time_sec"])
    out: list[dict[str, Any]] = []
    cursor = 0.0
    line_no = 0
    for entry in ordered:
        start = entry["start_time_sec"]
        if start > cursor + EPS:
            out.append(_silence(cursor, start, notices))
        if entry["type"] == "dialogue":
            given = entry.get("id")
            entry["id"] = given if isinstance(given, str) and _ID_RE.fullmatch(given) else f"line_{line_no:03d}"
            line_no += 1
        out.append(entry)
        cursor = max(cursor, start + entry["duration_sec"])
    if total > cursor + EPS:
        out.append(_silence(cursor, total, notices))
    return out


def _silence(start: float, end: float, notices: list[str]) -> dict[str, Any]:
    notices.append(f"dialogue_timeline: nothing planned from {start:.2f} s to {end:.2f} s; filled with silence")
    return {"type": "silence", "start_time_sec": round(start, 6), "duration_sec": round(end - start, 6), "filled": True}
