"""The MoviePlan and its on-disk envelope (pydantic v2), with the structural rules of the plan.

Rules that relate fields to each other (keyframe chain, timeline overlaps, known models)
live in `sparkle_cli.validation`, which turns every broken rule into a `json.path: message` line.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
Identifier = Annotated[str, StringConstraints(pattern=ID_PATTERN)]

MAX_SHOT_SECONDS = 120.0
MAX_MOVIE_SECONDS = 1800.0
MAX_FPS = 60
MAX_TEXT = 2000


def _text(max_length: int, min_length: int = 0) -> Any:
    return Field(default="", max_length=max_length, min_length=min_length)


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class VoiceProfile(_Model):
    """How a character sounds. Backends read the keys they know and ignore the rest."""

    style: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=35)
    voice: str | None = Field(default=None, max_length=100, description="engine voice name, e.g. en-us+f3")
    gender: str | None = Field(default=None, max_length=20)
    pitch: int | None = Field(default=None, ge=0, le=100, description="0..100, espeak-ng scale")
    rate: int | None = Field(default=None, ge=60, le=450, description="words per minute")
    reference_audio: str | None = Field(default=None, max_length=1000)


class Character(_Model):
    id: Identifier
    name: str = Field(min_length=1, max_length=100)
    description: str = Field(default="", max_length=MAX_TEXT)
    voice_profile: VoiceProfile = Field(default_factory=VoiceProfile)


class BaseImage(_Model):
    id: Identifier
    prompt: str = Field(min_length=1, max_length=MAX_TEXT)
    metadata: dict[str, Any] = Field(default_factory=dict)


class Shot(_Model):
    id: Identifier
    duration_sec: float = Field(gt=0, le=MAX_SHOT_SECONDS)
    setting: str = Field(default="", max_length=MAX_TEXT)
    visual_description: str = Field(default="", max_length=MAX_TEXT)
    start_base_image_id: Identifier
    end_base_image_id: Identifier
    motion_prompt: str = Field(default="", max_length=MAX_TEXT)
    is_talking_closeup: bool = False


class DialogueLine(_Model):
    type: Literal["dialogue"]
    character_id: Identifier
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    start_time_sec: float = Field(ge=0, le=MAX_MOVIE_SECONDS)
    duration_sec: float = Field(gt=0, le=MAX_SHOT_SECONDS)


class Silence(_Model):
    type: Literal["silence"]
    start_time_sec: float = Field(ge=0, le=MAX_MOVIE_SECONDS)
    duration_sec: float = Field(gt=0, le=MAX_MOVIE_SECONDS)


TimelineEntry = Annotated[DialogueLine | Silence, Field(discriminator="type")]


class StageBackend(_Model):
    """Which backend a stage uses, and its options (model path, device, dtype...)."""

    backend: str | None = Field(default=None, max_length=100)
    model_id: str | None = Field(default=None, max_length=300)
    options: dict[str, Any] = Field(default_factory=dict)


class VideoProfile(_Model):
    model_id: str = Field(min_length=1, max_length=300)
    max_fps: int = Field(default=24, ge=1, le=MAX_FPS)
    width: int | None = Field(default=None, ge=64, le=3840)
    height: int | None = Field(default=None, ge=64, le=2160)
    runtime: str | None = Field(default=None, max_length=200)
    options: dict[str, Any] = Field(default_factory=dict)


class RenderProfile(_Model):
    video: VideoProfile
    images: StageBackend = Field(default_factory=StageBackend)
    tts: StageBackend = Field(default_factory=StageBackend)
    qa: StageBackend = Field(default_factory=StageBackend)
    lipsync: StageBackend = Field(default_factory=StageBackend)
    profile: str | None = Field(default=None, max_length=200, description="the preset this profile came from")


class MoviePlan(_Model):
    title: str = Field(min_length=1, max_length=200)
    characters: list[Character] = Field(default_factory=list, max_length=50)
    base_images: list[BaseImage] = Field(min_length=2, max_length=201)
    shots: list[Shot] = Field(min_length=1, max_length=200)
    dialogue_timeline: list[TimelineEntry] = Field(default_factory=list, max_length=2000)
    render_profile: RenderProfile
    metadata: dict[str, Any] = Field(default_factory=dict)


class PlanRequest(_Model):
    title: str | None = None
    prompt: str | None = Field(default=None, max_length=MAX_TEXT)


class PlanEnvelope(_Model):
    """The plan file on disk: the request, the plan, and where it came from."""

    request: PlanRequest = Field(default_factory=PlanRequest)
    validated_plan: MoviePlan
    generated_at: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    schema_uri: str | None = None
