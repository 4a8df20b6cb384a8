"""Speech from espeak-ng, the libespeak-ng shipped in the espeakng-loader wheel, driven through ctypes.

How a plan character becomes a voice (see `voice_for`):

    voice_profile key  effect
    voice              espeak-ng voice name, used as given ("en-us", "en-GB-x-rp", "en+f3", "de")
    language           base voice when `voice` is absent: en-US -> en-us, en-GB -> en-GB-x-rp,
                       de-DE -> de, pt-BR -> pt-BR, zh -> cmn; otherwise its primary subtag
    gender             female / male picks from FEMALE_VOICES / MALE_VOICES; when absent the
                       description decides ("she", "woman", ... or "he", "man", ...), else the
                       character's index alternates female (even) and male (odd)
    pitch, rate        used as given (pitch 0..100, rate in words per minute)
    style              keywords in STYLES nudge rate, pitch and pitch range (calm, excited, ...)

Without `voice` and `pitch`, character `index` takes entry `index % 5` of its gender's list, and
every further round of five shifts the pitch by ROUND_PITCH_SHIFTS, so no two characters share a
voice and pitch (before style nudges).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import math
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from sparkle_cli.backends.base import BackendUnavailable, SpeechRequest, SpeechResult, TTSBackend, VoiceSpec
from sparkle_cli.media.audio import normalize_peak, write_wav
from sparkle_cli.text import safe

INSTALL_HINT = "pip install espeakng-loader"
ENGINE_RATE = 22050
PEAK_DBFS = -3.0
EDGE_SILENCE_S = 0.040
EDGE_FADE_S = 0.005
TRIM_BELOW_PEAK_DB = 40.0
DEFAULT_RATE = 165
DEFAULT_PITCH = 50
DEFAULT_RANGE = 50
RATE_LIMITS = (80, 450)

#: (variant, pitch) per character index, spread by measured F0 (en-us at pitch 50:
#: f1 176, f2 189, f3 199, f4 174, f5 199, m1 92, m2 98, m3 102, m4 92, m7 100 Hz).
FEMALE_VOICES: tuple[tuple[str, int], ...] = (("f3", 52), ("f1", 64), ("f4", 42), ("f5", 72), ("f2", 34))
MALE_VOICES: tuple[tuple[str, int], ...] = (("m3", 48), ("m1", 36), ("m7", 60), ("m4", 28), ("m2", 70))
ROUND_PITCH_SHIFTS: tuple[int, ...] = (0, 6, -6, 12, -12, 18, -18)

#: style keyword -> (rate factor, pitch change, pitch range 0..100); a style may name several.
STYLES: dict[str, tuple[float, int, int]] = {
    "calm": (0.92, -3, 40),
    "gentle": (0.94, -2, 45),
    "warm": (0.95, -2, 50),
    "soft": (0.92, -3, 40),
    "confessional": (0.88, -4, 35),
    "sad": (0.86, -6, 30),
    "tired": (0.85, -5, 30),
    "serious": (0.95, -4, 35),
    "stern": (0.95, -5, 35),
    "whisper": (0.88, -4, 25),
    "quiet": (0.92, -3, 35),
    "excited": (1.15, 8, 80),
    "happy": (1.06, 5, 65),
    "cheerful": (1.06, 5, 65),
    "angry": (1.08, 4, 75),
    "urgent": (1.15, 3, 65),
    "nervous": (1.10, 5, 60),
    "anxious": (1.10, 5, 60),
    "scared": (1.08, 6, 60),
    "fearful": (1.08, 6, 60),
}

#: Language tags whose espeak-ng voice is not simply the tag or its primary subtag.
LANGUAGE_VOICES = {
    "en": "en-us",
    "en-gb": "en-GB-x-rp",
    "en-uk": "en-GB-x-rp",
    "zh": "cmn",
    "zh-cn": "cmn",
    "zh-hans": "cmn",
    "zh-tw": "cmn",
    "zh-hk": "yue",
    "no": "nb",
}

FEMALE_WORDS = frozenset(
    "she her hers herself woman women girl lady mother mom mum daughter sister wife aunt "
    "grandmother grandma queen princess female actress waitress niece bride girlfriend".split()
)
MALE_WORDS = frozenset(
    "he him his himself man men boy gentleman father dad son brother husband uncle "
    "grandfather grandpa king prince male actor waiter nephew groom boyfriend guy".split()
)
_GENDERS = {
    "female": "female", "f": "female", "woman": "female", "girl": "female", "feminine": "female",
    "male": "male", "m": "male", "man": "male", "boy": "male", "masculine": "male",
}  # fmt: skip

# From espeak-ng's speak_lib.h.
AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_INITIALIZE_DONT_EXIT = 0x8000  # without it a missing data folder ends the whole process
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
EE_OK = 0
PARAM_RATE, PARAM_VOLUME, PARAM_PITCH, PARAM_RANGE = 1, 2, 3, 4

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)

# libespeak-ng keeps global state and is not reentrant: every call into it holds this lock.
_LOCK = threading.Lock()
_CHUNKS: list[bytes] = []


class EspeakError(RuntimeError):
    """espeak-ng could not speak a line; the message names the line, voice or library."""


def _collect(wav: Any, count: int, events: Any) -> int:
    if wav and count > 0:
        _CHUNKS.append(ctypes.string_at(wav, count * 2))
    return 0  # 0 = go on synthesising


# Referenced for the life of the process: the library calls it after Python would have freed it.
_CALLBACK = _SynthCallback(_collect)


# --- the library ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Install:
    library: Path
    data: Path
    wheel_version: str


@functools.cache
def _install() -> _Install:
    """Where the wheel keeps libespeak-ng and its voice data; BackendUnavailable when missing."""
    try:
        import espeakng_loader
    except ImportError as exc:
        raise BackendUnavailable(f"the espeak TTS backend needs the espeakng-loader wheel: {INSTALL_HINT}") from exc
    try:
        library, data = Path(espeakng_loader.get_library_path()), Path(espeakng_loader.get_data_path())
    except (RuntimeError, OSError) as exc:
        raise BackendUnavailable(f"espeakng-loader is incomplete ({exc}); reinstall it: {INSTALL_HINT}") from exc
    if not library.is_file() or not data.is_dir():
        raise BackendUnavailable(
            f"espeakng-loader has no libespeak-ng at {library} or no voice data at {data}; reinstall it: {INSTALL_HINT}"
        )
    try:
        wheel_version = metadata.version("espeakng-loader")
    except metadata.PackageNotFoundError:
        wheel_version = "unknown"
    return _Install(library, data, wheel_version)


@functools.cache
def _private_library() -> Path:
    """A private copy of libespeak-ng that nothing else in the process has loaded.

    The library keeps synthesis state in static variables that no API call resets (the pitch
    flutter phase, the glottal cycle count, the gain control), so the same line spoken twice in
    one process comes out different. Loading a fresh copy for each line and unloading it after
    makes the output depend only on the request. A private file keeps other users of the wheel's
    library (phonemizers) from sharing, or being torn down by, that state. Loading takes ~0.5 ms.

    On Linux the copy is an anonymous in-memory file, which vanishes with the process however it
    ends (pool workers end without running atexit handlers); elsewhere a temporary file.
    """
    source = _install().library
    memfd = _memory_copy(source)
    if memfd is not None:
        return memfd
    try:
        folder = Path(tempfile.mkdtemp(prefix="sparkle-espeak-"))
        target = folder / source.name
        shutil.copyfile(source, target)
    except OSError:
        return source  # an unwritable temp folder: the wheel's own file still loads fresh when unshared
    atexit.register(shutil.rmtree, folder, True)
    return target


def _memory_copy(source: Path) -> Path | None:
    """The library's bytes in a memfd, loadable through /proc; None where that is not available."""
    if not hasattr(os, "memfd_create") or not Path("/proc/self/fd").is_dir():
        return None
    try:
        fd = os.memfd_create("sparkle-libespeak-ng")
        data = memoryview(source.read_bytes())
        while data:
            data = data[os.write(fd, data) :]
    except OSError:
        return None
    return Path(f"/proc/self/fd/{fd}")


def _declare(lib: ctypes.CDLL) -> None:
    """ctypes prototypes, as in speak_lib.h."""
    c_int, c_uint, c_char_p, c_void_p = ctypes.c_int, ctypes.c_uint, ctypes.c_char_p, ctypes.c_void_p
    lib.espeak_Initialize.argtypes = [c_int, c_int, c_char_p, c_int]
    lib.espeak_Initialize.restype = c_int
    lib.espeak_SetSynthCallback.argtypes = [_SynthCallback]
    lib.espeak_SetSynthCallback.restype = None
    lib.espeak_SetVoiceByName.argtypes = [c_char_p]
    lib.espeak_SetVoiceByName.restype = c_int
    lib.espeak_SetParameter.argtypes = [c_int, c_int, c_int]
    lib.espeak_SetParameter.restype = c_int
    lib.espeak_Synth.argtypes = [
        c_char_p, ctypes.c_size_t, c_uint, c_int, c_uint, c_uint, ctypes.POINTER(c_uint), c_void_p
    ]  # fmt: skip
    lib.espeak_Synth.restype = c_int
    lib.espeak_Synchronize.argtypes = []
    lib.espeak_Synchronize.restype = c_int
    lib.espeak_Terminate.argtypes = []
    lib.espeak_Terminate.restype = c_int
    lib.espeak_Info.argtypes = [ctypes.POINTER(c_char_p)]
    lib.espeak_Info.restype = c_char_p


def _unload(lib: ctypes.CDLL) -> None:
    import _ctypes

    close = getattr(_ctypes, "FreeLibrary" if sys.platform == "win32" else "dlclose", None)
    if close is not None:
        close(lib._handle)


RAND_SEED = 20251129
_LIBC = ctypes.CDLL(None)


@contextlib.contextmanager
def _engine() -> Iterator[ctypes.CDLL]:
    """A freshly loaded, initialised libespeak-ng; call with _LOCK held."""
    install = _install()
    try:
        lib = ctypes.CDLL(str(_private_library()))
    except OSError as exc:
        raise BackendUnavailable(f"cannot load {install.library} ({exc}); reinstall it: {INSTALL_HINT}") from exc
    try:
        _declare(lib)
        rate = lib.espeak_Initialize(
            AUDIO_OUTPUT_SYNCHRONOUS, 0, str(install.data).encode(), ESPEAK_INITIALIZE_DONT_EXIT
        )
        if rate != ENGINE_RATE:
            raise EspeakError(
                f"libespeak-ng did not start with the voice data at {install.data} (returned {rate}); "
                f"reinstall it: {INSTALL_HINT}"
            )
        lib.espeak_SetSynthCallback(_CALLBACK)
        # Voice variants with breath noise draw from libc's rand(), whose state is shared with
        # the rest of the process; reseeding both generators makes every line repeatable.
        lib.espeak_ng_SetRandSeed(ctypes.c_long(RAND_SEED))
        _LIBC.srand(RAND_SEED)
        try:
            yield lib
        finally:
            lib.espeak_Terminate()
    finally:
        _unload(lib)


@functools.cache
def library_version() -> str:
    """The libespeak-ng version string (espeak_Info), e.g. "1.52.0"."""
    with _LOCK, _engine() as lib:
        return (lib.espeak_Info(None) or b"unknown").decode("utf-8", errors="replace")


# --- voice names ----------------------------------------------------------------------


@functools.cache
def variant_names() -> frozenset[str]:
    """The `+variant` names the voice data holds (f1..f5, m1..m8, klatt, whisper, ...)."""
    return frozenset(path.name for path in (_install().data / "voices" / "!v").iterdir() if path.is_file())


@functools.cache
def language_voices() -> frozenset[str]:
    """Lower-cased names of the language voices in the data (en-us, en-gb-x-rp, de, ...)."""
    return frozenset(path.name.lower() for path in (_install().data / "lang").rglob("*") if path.is_file())


def _set_voice(lib: ctypes.CDLL, name: str) -> None:
    base, plus, variant = name.partition("+")
    # An unknown +variant is ignored by the library without an error, so it is checked here.
    if plus and variant not in variant_names():
        female = ", ".join(sorted(v for v in variant_names() if re.fullmatch(r"f\d", v)))
        male = ", ".join(sorted(v for v in variant_names() if re.fullmatch(r"m\d", v)))
        raise EspeakError(f"espeak-ng voice {name!r}: unknown variant {variant!r}; try one of {female}, {male}")
    if lib.espeak_SetVoiceByName(name.encode("utf-8")) != EE_OK:
        raise EspeakError(f"espeak-ng has no voice {base!r}{f' (in {name!r})' if plus else ''}; {_voice_hint(base)}")


def _voice_hint(base: str) -> str:
    try:
        suggestion = voice_for_language(base)
    except EspeakError:
        suggestion = ""
    if suggestion and suggestion.lower() != base.lower():
        return f"for language {base} use {suggestion!r}"
    return "use a language voice such as en-us, en-GB-x-rp, en, de or fr, optionally with a variant (en-us+f3)"


@functools.lru_cache(maxsize=256)
def check_voice(name: str) -> str:
    """Return `name` when espeak-ng can speak with it; EspeakError naming the voice otherwise."""
    with _LOCK, _engine() as lib:
        _set_voice(lib, name)
    return name


def voice_for_language(language: str) -> str:
    """The espeak-ng base voice for a language tag (en-US -> en-us, de-DE -> de)."""
    tag = language.strip().replace("_", "-").lower()
    known = language_voices()
    primary = tag.split("-", 1)[0]
    for candidate in (LANGUAGE_VOICES.get(tag), tag, LANGUAGE_VOICES.get(primary), primary):
        if candidate and candidate.lower() in known:
            return candidate
    raise EspeakError(f"espeak-ng has no voice for language {language!r}; use a tag such as en-US, en-GB, de-DE, fr-FR")


# --- characters -> voices ---------------------------------------------------------------


@dataclass(frozen=True)
class StyleAdjust:
    rate_factor: float = 1.0
    pitch_delta: int = 0
    pitch_range: int = DEFAULT_RANGE


def style_adjust(style: str | None) -> StyleAdjust:
    """Combine every STYLES keyword found in `style` (word prefixes: "whispering" counts as whisper)."""
    words = re.findall(r"[a-z]+", (style or "").lower())
    found = [STYLES[key] for key in STYLES if any(word.startswith(key) for word in words)]
    if not found:
        return StyleAdjust()
    factor = math.prod(rate for rate, _, _ in found)
    return StyleAdjust(
        rate_factor=min(max(factor, 0.75), 1.35),
        pitch_delta=sum(pitch for _, pitch, _ in found),
        pitch_range=round(sum(span for _, _, span in found) / len(found)),
    )


def infer_gender(profile_gender: str | None, description: str) -> str | None:
    """'female', 'male' or None: the profile's gender, else the majority of gendered words in the description."""
    if profile_gender and profile_gender.strip():
        return _GENDERS.get(profile_gender.strip().lower())  # "neutral" and the like: no gender
    words = re.findall(r"[a-z]+", description.lower())
    female = sum(word in FEMALE_WORDS for word in words)
    male = sum(word in MALE_WORDS for word in words)
    if female == male:
        return None
    return "female" if female > male else "male"


def default_voice(gender: str | None, index: int) -> tuple[str, int]:
    """(variant, pitch) for the character at `index`; unique per index within a gender for 35 characters."""
    if gender is None:
        gender = "female" if index % 2 == 0 else "male"
    table = FEMALE_VOICES if gender == "female" else MALE_VOICES
    variant, pitch = table[index % len(table)]
    shift = ROUND_PITCH_SHIFTS[(index // len(table)) % len(ROUND_PITCH_SHIFTS)]
    return variant, _clamp(pitch + shift, 0, 100)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, int(value)))


def choose_voice(character: dict[str, Any], index: int) -> VoiceSpec:
    """The VoiceSpec for a plan character; explicit profile values win over style nudges."""
    character_id = str(character.get("id") or f"character-{index}")
    profile = dict(character.get("voice_profile") or {})
    language = str(profile.get("language") or "en-US")
    style = str(profile.get("style") or "")
    adjust = style_adjust(style)
    where = f"character {character_id!r} voice_profile"

    if profile.get("voice"):
        voice, pitch = str(profile["voice"]).strip(), DEFAULT_PITCH + adjust.pitch_delta
    else:
        try:
            base = voice_for_language(language)
        except EspeakError as exc:
            raise EspeakError(f"{where}.language: {exc}") from exc
        gender = infer_gender(profile.get("gender"), str(character.get("description") or ""))
        variant, pitch = default_voice(gender, index)
        voice, pitch = f"{base}+{variant}", pitch + adjust.pitch_delta
    if profile.get("pitch") is not None:
        pitch = int(profile["pitch"])
    rate = round(DEFAULT_RATE * adjust.rate_factor)
    if profile.get("rate") is not None:
        rate = int(profile["rate"])
    try:
        check_voice(voice)
    except EspeakError as exc:
        raise EspeakError(f"{where}.voice: {exc}") from exc
    return VoiceSpec(
        character_id=character_id,
        voice=voice,
        pitch=_clamp(pitch, 0, 100),
        rate=_clamp(rate, *RATE_LIMITS),
        language=language,
        style=style,
    )


# --- synthesis --------------------------------------------------------------------------


def synthesize_samples(text: str, voice: VoiceSpec) -> np.ndarray:
    """Raw int16 samples at ENGINE_RATE for `text` spoken with `voice`."""
    payload = text.replace("\0", " ").encode("utf-8")
    adjust = style_adjust(voice.style)
    settings = (
        (PARAM_RATE, _clamp(voice.rate, *RATE_LIMITS)),
        (PARAM_PITCH, _clamp(voice.pitch, 0, 100)),
        (PARAM_RANGE, _clamp(adjust.pitch_range, 0, 100)),
        (PARAM_VOLUME, 100),
    )
    with _LOCK, _engine() as lib:
        _set_voice(lib, voice.voice)
        for parameter, value in settings:
            lib.espeak_SetParameter(parameter, value, 0)
        _CHUNKS.clear()
        try:
            status = lib.espeak_Synth(payload, len(payload) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
            if status != EE_OK:
                raise EspeakError(f"espeak_Synth failed with status {status} for voice {voice.voice!r}")
            lib.espeak_Synchronize()
            raw = b"".join(_CHUNKS)
        finally:
            _CHUNKS.clear()
    return np.frombuffer(raw, dtype="<i2").astype(np.int16)


def trim_edges(samples: np.ndarray, sample_rate: int, keep_s: float = EDGE_SILENCE_S) -> np.ndarray:
    """Cut leading and trailing near-silence (40 dB below the peak) down to at most `keep_s` each."""
    signal = samples.astype(np.float32)
    peak = float(np.max(np.abs(signal))) if len(signal) else 0.0
    if peak == 0.0:
        return signal[:0]
    loud = np.flatnonzero(np.abs(signal) > peak * 10.0 ** (-TRIM_BELOW_PEAK_DB / 20.0))
    keep = int(round(keep_s * sample_rate))
    start, end = max(0, int(loud[0]) - keep), min(len(signal), int(loud[-1]) + 1 + keep)
    return signal[start:end]


def _fade_edges(signal: np.ndarray, sample_rate: int) -> np.ndarray:
    """Short raised-cosine fades so a cut never clicks."""
    n = min(int(EDGE_FADE_S * sample_rate), len(signal) // 2)
    if n <= 0:
        return signal
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, n, dtype=np.float32))).astype(np.float32)
    out = signal.copy()
    out[:n] *= ramp
    out[-n:] *= ramp[::-1]
    return out


class EspeakBackend(TTSBackend):
    """espeak-ng through ctypes: robotic but instant, deterministic and fully offline."""

    name: ClassVar[str] = "espeak"
    version: ClassVar[str] = "1"

    @classmethod
    def check(cls) -> None:
        _install()

    def load(self) -> None:
        library_version()  # loads and starts the library once, so a broken install fails before the first line

    @classmethod
    def plan_problems(cls, characters: list[dict[str, Any]]) -> list[str]:
        """A `json.path: problem` line for each character espeak-ng cannot speak as."""
        problems = []
        for index, character in enumerate(characters):
            try:
                choose_voice(character, index)
            except EspeakError as exc:
                problems.append(f"characters[{index}].voice_profile: {safe(exc, 300)}")
            except (TypeError, ValueError) as exc:
                problems.append(f"characters[{index}].voice_profile: {safe(exc, 300)}")
        return problems

    def voice_for(self, character: dict[str, Any], index: int) -> VoiceSpec:
        return choose_voice(character, index)

    def synthesize(self, request: SpeechRequest, out_path: Path) -> SpeechResult:
        text = (request.text or "").strip()
        if not text:
            raise EspeakError(f"line {request.line_id!r}: the text is empty; give the line something to say")
        raw = synthesize_samples(text, request.voice)
        speech = trim_edges(raw, ENGINE_RATE)
        if len(speech) == 0:
            raise EspeakError(
                f"line {request.line_id!r}: espeak-ng produced no audio for {text[:60]!r} "
                f"with voice {request.voice.voice!r}; check the text has words in the voice's language"
            )
        speech = normalize_peak(_fade_edges(speech / 32768.0, ENGINE_RATE), PEAK_DBFS)
        write_wav(out_path, speech, ENGINE_RATE)
        return SpeechResult(
            path=str(out_path),
            sample_rate=ENGINE_RATE,
            duration_s=len(speech) / ENGINE_RATE,
            samples=len(speech),
        )

    def settings(self) -> dict[str, Any]:
        install = _install()
        try:
            engine = library_version()
        except (EspeakError, BackendUnavailable, OSError):
            engine = "unknown"
        return {
            **super().settings(),
            "espeak_ng": engine,
            "espeakng_loader": install.wheel_version,
            "sample_rate": ENGINE_RATE,
        }
