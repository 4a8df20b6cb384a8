"""The backend contract: one small class per backend, with a name, options and one method.

Stages build plain request objects, hand them to a backend and get plain results back.
Requests and results are dataclasses of simple values so that an item can be sent
to another process (or another machine) and its result sent back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

Box = tuple[int, int, int, int]  # x, y, width, height in pixels


class BackendUnavailable(RuntimeError):
    """The selected backend cannot run here; the message says what to install or set."""


class Backend:
    """Base class: subclasses set `name`, `kind` and implement their kind's method.

    `load()` is called once per stage per process before the first item; `close()` when
    the stage ends, so a GPU backend can free its memory for the next stage.
    """

    name: ClassVar[str] = ""
    kind: ClassVar[str] = ""
    #: Bumped when the backend's output for the same request changes.
    version: ClassVar[str] = "1"
    device: str = "cpu"

    def __init__(self, options: dict[str, Any] | None = None) -> None:
        self.options = dict(options or {})

    @classmethod
    def check(cls) -> None:
        """Raise BackendUnavailable with a fix when this backend cannot run here."""

    @classmethod
    def preflight(cls, options: dict[str, Any]) -> str | None:
        """Before a run renders anything: None, or what is missing for these options (a model's files)."""
        return None

    def load(self) -> None:
        """Load models or libraries; called once before the first item."""

    def close(self) -> None:
        """Free what `load` took."""

    def settings(self) -> dict[str, Any]:
        """What, besides the request, decides this backend's output (part of every fingerprint)."""
        return {"backend": self.name, "version": self.version, "options": self.options}


# --- dialogue_audio -----------------------------------------------------------------


@dataclass
class VoiceSpec:
    """A character's voice as the TTS backend understands it."""

    character_id: str
    voice: str = "en-us"  # espeak-ng voice name with an optional +variant
    pitch: int = 50  # 0..100
    rate: int = 165  # words per minute
    language: str = "en-US"
    style: str = ""


@dataclass
class SpeechRequest:
    line_id: str
    text: str
    voice: VoiceSpec


@dataclass
class SpeechResult:
    path: str
    sample_rate: int
    duration_s: float
    samples: int


class TTSBackend(Backend):
    kind = "tts"
    #: Where relative voice files named in a plan (reference clips) are read from: the run directory.
    base_dir: Path | None = None

    def voice_for(self, character: dict[str, Any], index: int) -> VoiceSpec:
        """Map a plan character (id, name, description, voice_profile) to a voice."""
        raise NotImplementedError

    def synthesize(self, request: SpeechRequest, out_path: Path) -> SpeechResult:
        """Write a mono 16-bit WAV of the line to `out_path`."""
        raise NotImplementedError


# --- base_images ------------------------------------------------------------------


@dataclass
class CharacterLook:
    id: str
    name: str
    description: str


@dataclass
class ImageRequest:
    image_id: str
    prompt: str
    seed: int
    width: int
    height: int
    #: Scene text from the shots that use this keyframe (setting, visual description).
    setting: str = ""
    #: Every character of the plan, in plan order, so a figure keeps its look everywhere.
    characters: list[CharacterLook] = field(default_factory=list)
    #: Character ids whose figures appear (named in the prompt or setting); empty: decided by the painter.
    in_frame: list[str] = field(default_factory=list)
    #: When set, the image is a talking close-up of this character: a face with a mouth.
    closeup_character: str | None = None
    #: The story's seed: the same character description looks different in another story.
    cast_seed: str = ""


@dataclass
class FaceInfo:
    character_id: str
    face_box: Box
    mouth_box: Box


@dataclass
class ImageResult:
    path: str
    seed: int
    width: int
    height: int
    faces: list[FaceInfo] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)


class ImageBackend(Backend):
    kind = "image"

    def render(self, request: ImageRequest, out_path: Path) -> ImageResult:
        """Write a PNG of exactly request.width x request.height to `out_path`."""
        raise NotImplementedError


# --- video_clips ----------------------------------------------------------------


@dataclass
class ClipRequest:
    shot_id: str
    start_image: str
    end_image: str
    num_frames: int
    fps: float
    width: int
    height: int
    motion_prompt: str
    seed: int
    description: str = ""
    start_faces: list[FaceInfo] = field(default_factory=list)
    end_faces: list[FaceInfo] = field(default_factory=list)
    #: How the keyframes were made, when a backend described them (the painter's `scene` metadata):
    #: a backend that understands the description can paint the pictures again as layers.
    start_scene: dict[str, Any] | None = None
    end_scene: dict[str, Any] | None = None
    #: The lines spoken during the shot: {line_id, character_id, start_s, end_s}, seconds from its start.
    lines: list[dict[str, Any]] = field(default_factory=list)
    #: The plan marks the shot as a talking close-up: the face on screen should be the speaker's.
    talking_closeup: bool = False
    #: The lines' audio ({line_id, character_id, path, start_s}), for a backend that moves the
    #: speakers' mouths itself; empty when a lipsync stage will do it.
    voices: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ClipResult:
    path: str
    num_frames: int
    fps: float
    width: int
    height: int
    #: The camera path as the backend read it from the motion prompt.
    camera: dict[str, Any] = field(default_factory=dict)
    #: Per character id, the mouth box in every frame (None where the face is not visible).
    mouth_tracks: dict[str, list[Box | None]] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    #: Per character id, the face box in every frame, where the backend knows it (drew it or found it).
    face_tracks: dict[str, list[Box | None]] = field(default_factory=dict)


class VideoBackend(Backend):
    kind = "video"

    def render(self, request: ClipRequest, out_path: Path) -> ClipResult:
        """Write a video-only MP4 of exactly request.num_frames frames to `out_path`."""
        raise NotImplementedError
