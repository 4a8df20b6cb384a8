"""Built-in QA: measurements on the media themselves (frames, levels, durations), no model.

Anything that needs eyes (does the clip show what the shot asks, are there six fingers,
is it safe) is reported `not_evaluated`, never passed.
"""

from __future__ import annotations

import struct
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sparkle_cli.backends.base import Backend

PASSED, FAILED, NOT_EVALUATED = "passed", "failed", "not_evaluated"
VISION_CHECKS = ("prompt_match", "finger_issues", "safety_violation")


def check(status: str, detail: str, **values: Any) -> dict[str, Any]:
    return {"status": status, "detail": detail, **values}


def not_evaluated(name: str) -> dict[str, Any]:
    return check(NOT_EVALUATED, f"{name} needs a vision model; the heuristic backend cannot judge it")


def summarize(checks: dict[str, dict[str, Any]]) -> dict[str, Any]:
    failed = [name for name, c in checks.items() if c["status"] == FAILED]
    return {
        "passed": not failed,
        "failed_checks": failed,
        "not_evaluated": [name for name, c in checks.items() if c["status"] == NOT_EVALUATED],
        "checks": checks,
    }


def thumbnail(frame: Any, size: tuple[int, int] = (32, 18)) -> list[float]:
    """A tiny grayscale signature of a frame, for continuity checks without decoding again."""
    import numpy as np
    from PIL import Image

    gray = Image.fromarray(frame).convert("L").resize(size, Image.Resampling.BILINEAR)
    return [float(v) for v in np.asarray(gray).ravel()]


class HeuristicQA(Backend):
    name = "heuristic"
    kind = "qa"
    version = "1"

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
        import numpy as np
        from PIL import Image

        from sparkle_cli.media.video import iter_decoded, plane_luma, probe, psnr, to_rgb, y_plane

        info = probe(clip)
        checks: dict[str, dict[str, Any]] = {}
        frames = info.video.frames if info.video else 0
        tolerance = int(policy["frame_tolerance"])
        checks["frame_count"] = check(
            PASSED if abs(frames - expected_frames) <= tolerance else FAILED,
            f"{frames} frames, planned {expected_frames}",
            value=frames,
            expected=expected_frames,
        )
        black, moving, pairs = 0, 0, 0
        first = last = previous = None
        # Luma straight from the decoded planes; colour only for the first and last frames.
        for decoded in iter_decoded(clip):
            y = y_plane(decoded)
            if first is None:
                first = to_rgb(decoded)
            if plane_luma(decoded, y) < policy["black_luma"]:
                black += 1
            small = y[::4, ::4].astype(np.int16)
            if previous is not None:
                pairs += 1
                if np.abs(small - previous).mean() > 0.05:
                    moving += 1
            previous = small
            last = decoded
        if last is not None:
            last = to_rgb(last)
        if first is None or last is None:
            checks["decodable"] = check(FAILED, "no frame could be decoded")
            return {**summarize(checks), "signatures": {}}
        checks["black_frames"] = check(
            PASSED if black <= policy["max_black_frames"] else FAILED,
            f"{black} black frame(s) (mean luma < {policy['black_luma']})",
            value=black,
        )
        spread = float(np.abs(first.astype(np.int16) - last.astype(np.int16)).mean())
        moving_fraction = moving / pairs if pairs else 1.0
        frozen = spread < policy["frozen_min_diff"] or moving_fraction < policy["min_moving_fraction"]
        checks["frozen"] = check(
            FAILED if frozen else PASSED,
            f"first-to-last change {spread:.2f}, {moving_fraction:.0%} of frame pairs move",
            first_last_diff=round(spread, 3),
            moving_fraction=round(moving_fraction, 3),
        )
        for name, frame, image in (("continuity_start", first, start_image), ("continuity_end", last, end_image)):
            with Image.open(image) as im:
                key = np.asarray(im.convert("RGB").resize((frame.shape[1], frame.shape[0])))
            value = psnr(frame, key)
            checks[name] = check(
                PASSED if value >= policy["continuity_min_psnr_db"] else FAILED,
                f"{'first' if name.endswith('start') else 'last'} frame vs keyframe: {value:.1f} dB",
                psnr_db=round(min(value, 99.0), 2),
            )
        for name in VISION_CHECKS:
            checks[name] = not_evaluated(name)
        return {**summarize(checks), "signatures": {"first": thumbnail(first), "last": thumbnail(last)}}

    def check_final(self, video: str, *, timeline: dict[str, Any], policy: dict[str, Any]) -> dict[str, Any]:
        from sparkle_cli.media import audio as audio_mod
        from sparkle_cli.media.video import iter_luma, probe

        info = probe(video)
        checks: dict[str, dict[str, Any]] = {}
        fps = float(timeline["fps"])
        frame_s = 1.0 / fps
        v = info.video
        a = info.audio
        checks["streams"] = check(
            PASSED if v and a and v.codec == "h264" and v.pix_fmt == "yuv420p" and a.codec == "aac" else FAILED,
            f"video {v.codec if v else 'missing'} {v.pix_fmt if v else ''}, audio {a.codec if a else 'missing'}",
        )
        faststart = moov_before_mdat(video)
        checks["faststart"] = check(
            PASSED if faststart else FAILED, "moov atom before mdat" if faststart else "moov atom after mdat"
        )
        if v is None or a is None:
            return {**summarize(checks), "measurements": {}}
        expected = timeline["total_frames"] / fps
        checks["duration"] = check(
            PASSED if abs(v.duration_s - expected) <= frame_s + 1e-6 else FAILED,
            f"video {v.duration_s:.3f} s, plan after revisions {expected:.3f} s",
            value=v.duration_s,
            expected=expected,
        )
        sync = abs(a.duration_s - v.duration_s)
        checks["av_sync"] = check(
            PASSED if sync <= policy["av_sync_max_frames"] * frame_s + 1e-6 else FAILED,
            f"audio {a.duration_s:.3f} s vs video {v.duration_s:.3f} s ({sync / frame_s:.2f} frames apart)",
            difference_s=round(sync, 4),
        )
        lines = timeline.get("lines", [])
        spans = [(line["start_time_actual_s"], line["end_time_actual_s"]) for line in lines]
        # ffmpeg measures the loudness in its own process while this one reads the frames and samples.
        with ThreadPoolExecutor(1) as side:
            loudness_job = side.submit(audio_mod.measure_loudness, video, spans)
            scan = audio_mod.scan_audio(video, spans)
            black = [i for i, luma in enumerate(iter_luma(video)) if luma < policy["black_luma"]]
            loudness = loudness_job.result()
        rate = scan.sample_rate
        checks["clipping"] = check(
            PASSED if scan.clipped <= policy["max_clipped_samples"] else FAILED,
            f"{scan.clipped} clipped sample(s), peak {scan.peak_dbfs:.1f} dBFS",
            value=scan.clipped,
        )
        # Loudness is judged where people speak: music-free silence between lines says nothing.
        lufs = loudness.get("integrated_lufs")
        speech_lufs = loudness.get("speech_lufs")
        if not lines:
            checks["loudness"] = check(
                NOT_EVALUATED, "the movie has no dialogue, so there is no speech to judge the loudness of", **loudness
            )
        else:
            ok = speech_lufs is not None and policy["loudness_min_lufs"] <= speech_lufs <= policy["loudness_max_lufs"]
            checks["loudness"] = check(
                PASSED if ok else FAILED,
                f"speech loudness {speech_lufs} LUFS (allowed {policy['loudness_min_lufs']} to "
                f"{policy['loudness_max_lufs']}); whole movie {lufs} LUFS",
                **loudness,
            )
        windows = []
        for line, level in zip(lines, scan.window_dbfs, strict=True):
            windows.append(
                {
                    "line_id": line["line_id"],
                    "start_s": line["start_time_actual_s"],
                    "end_s": line["end_time_actual_s"],
                    "rms_dbfs": round(level, 2),
                    "speech": level >= policy["speech_min_dbfs"],
                }
            )
        silent = [w["line_id"] for w in windows if not w["speech"]]
        checks["speech_present"] = check(
            FAILED if silent else PASSED,
            f"speech in {len(windows) - len(silent)} of {len(windows)} dialogue windows"
            + (f"; silent: {', '.join(silent)}" if silent else ""),
            windows=windows,
        )
        checks["black_frames"] = check(
            PASSED if len(black) <= policy["max_black_frames"] else FAILED,
            f"{len(black)} black frame(s)",
            frames=black[:50],
        )
        for name in (*VISION_CHECKS, "lipsync_accuracy"):
            checks[name] = not_evaluated(name)
        measurements = {
            "video_duration_s": v.duration_s,
            "audio_duration_s": a.duration_s,
            "frames": v.frames,
            "width": v.width,
            "height": v.height,
            "fps": v.fps,
            "integrated_lufs": lufs,
            "speech_lufs": speech_lufs,
            "true_peak_dbfs": loudness.get("true_peak_dbfs"),
            "sample_rate": rate,
        }
        return {**summarize(checks), "measurements": measurements}


def read_audio(path: str | Path) -> tuple[Any, int]:
    """Decode a media file's first audio stream to mono float32, all at once (for short media)."""
    import av
    import numpy as np

    from sparkle_cli.media.audio import mono_samples

    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        chunks = [mono_samples(frame) for frame in container.decode(stream)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    return samples, rate


def moov_before_mdat(path: str | Path) -> bool:
    """True when an MP4's index comes before its data, so a browser can start playing at once."""
    order = []
    with open(path, "rb") as fh:
        while True:
            header = fh.read(8)
            if len(header) < 8:
                break
            size, kind = struct.unpack(">I4s", header)
            if size == 1:
                size = struct.unpack(">Q", fh.read(8))[0]
                fh.seek(size - 16, 1)
            elif size == 0:
                order.append(kind)
                break
            else:
                fh.seek(size - 8, 1)
            order.append(kind)
    return b"moov" in order and b"mdat" in order and order.index(b"moov") < order.index(b"mdat")
