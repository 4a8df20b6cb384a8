"""Stage 3: render one keyframe per `base_images` entry, check each, and check neighbours.

A keyframe that comes out blank or flat is rendered again with a new seed (the history is
kept); two neighbouring keyframes that are the same picture would freeze a shot, so the
stage fails and says which ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sparkle_cli import atomic
from sparkle_cli.backends.base import CharacterLook, FaceInfo, ImageBackend, ImageRequest
from sparkle_cli.planinfo import cast_seed, closeup_character, keyframe_setting
from sparkle_cli.qa_policy import policy_for
from sparkle_cli.stages.base import Item, Output, Stage, StageContext, backend_spec


class BaseImages(Stage):
    id = "base_images"
    number = 3
    version = "2"
    description = "render the keyframes; image QA (blank, flat, identical neighbours) with seeded retries"
    after = ("plan_intake",)
    reads = ("base_images[].prompt", "base_images[].metadata.seed", "characters", "shots[].setting")
    writes = ("<image_id>.png", "qa_report.json")

    def phases(self, ctx: StageContext) -> Iterator[list[Item]]:
        plan = ctx.plan
        spec = backend_spec(plan, "images", "image")
        video = plan["render_profile"]["video"]
        looks = [{"id": c["id"], "name": c["name"], "description": c["description"]} for c in plan["characters"]]
        policy = policy_for(ctx.options)
        items = []
        for i, image in enumerate(plan["base_images"]):
            request = {
                "image_id": image["id"],
                "prompt": image["prompt"],
                "seed": int(image["metadata"]["seed"]),
                "width": int(video["width"]),
                "height": int(video["height"]),
                "setting": keyframe_setting(plan, i),
                "characters": looks,
                "closeup_character": closeup_character(plan, i),
                "cast_seed": cast_seed(plan),
            }
            items.append(
                Item(
                    id=image["id"],
                    label=image["prompt"][:50],
                    inputs={
                        **request,
                        "max_attempts": policy["image_max_attempts"],
                        "min_std": policy["image_min_std"],
                    },
                    outputs={"image": Output(self.path(f"{image['id']}.png"), "base_image", "image")},
                    func=f"{__name__}:render_keyframe",
                    kwargs={
                        "request": request,
                        "max_attempts": policy["image_max_attempts"],
                        "min_std": policy["image_min_std"],
                    },
                    backend=spec,
                    estimate_s=0.08,
                )
            )
        yield items
        images = [(image["id"], *ctx.own(image["id"], "image")) for image in plan["base_images"]]
        item = Item(
            id="qa_report",
            label="keyframe QA",
            inputs={
                "images": [(i, sha) for i, _, sha in images],
                "qa_mode": ctx.options.get("qa_mode", "full"),
                "min_diff": policy["image_min_neighbour_diff"],
            },
            outputs={"report": Output(self.path("qa_report.json"), "qa_report", "data")},
            func=f"{__name__}:neighbour_report",
            kwargs={
                "images": [(i, str(p)) for i, p, _ in images],
                "attempts": {i: ctx.results[i].get("attempts", []) for i, _, _ in images},
                "qa_mode": ctx.options.get("qa_mode", "full"),
                "min_diff": policy["image_min_neighbour_diff"],
            },
        )
        qa = backend_spec(plan, "qa", "qa")
        if qa.name == "qwen2vl":
            # A vision QA backend also judges each keyframe against its prompt.
            prompts = {image["id"]: image["prompt"] for image in plan["base_images"]}
            item.func = f"{__name__}:vision_neighbour_report"
            item.backend = qa
            item.inputs.update(qa_backend=[qa.name, qa.options], prompts=prompts, policy=policy)
            item.kwargs.update(prompts=prompts, policy=policy)
        yield [item]

    def verdict(self, ctx: StageContext) -> str | None:
        report = ctx.results.get("qa_report") or {}
        if report.get("qa_skipped") or report.get("passed", True):
            return None
        return "; ".join(report.get("problems", [])) or "keyframe QA failed"


def render_keyframe(
    backend: ImageBackend, out: dict[str, str], request: dict[str, Any], max_attempts: int, min_std: float
) -> dict[str, Any]:
    import numpy as np
    from PIL import Image

    attempts = []
    req = ImageRequest(**{**request, "characters": [CharacterLook(**c) for c in request["characters"]]})
    for attempt in range(1, max_attempts + 1):
        seed = req.seed if attempt == 1 else (req.seed + 1_000_003 * (attempt - 1)) % 2**32
        req.seed = seed
        result = backend.render(req, Path(out["image"]))
        with Image.open(out["image"]) as im:
            size = im.size
            gray = np.asarray(im.convert("L"), dtype=np.float32)
        problems = []
        if size != (req.width, req.height):
            problems.append(f"size {size[0]}x{size[1]}, expected {req.width}x{req.height}")
        if gray.mean() < 4 or gray.mean() > 251:
            problems.append(f"blank (mean level {gray.mean():.1f})")
        if gray.std() < min_std:
            problems.append(f"flat (contrast {gray.std():.1f} < {min_std})")
        attempts.append(
            {
                "attempt": attempt,
                "seed": seed,
                "mean": round(float(gray.mean()), 2),
                "std": round(float(gray.std()), 2),
                "problems": problems,
            }
        )
        if not problems:
            return {
                "seed": seed,
                "width": result.width,
                "height": result.height,
                "faces": [_face_dict(f) for f in result.faces],
                "metadata": result.metadata,
                "attempts": attempts,
                "model_id": backend.name,
            }
    raise RuntimeError(f"{req.image_id}: every attempt failed image QA: {attempts[-1]['problems']}")


def _face_dict(face: FaceInfo) -> dict[str, Any]:
    return {"character_id": face.character_id, "face_box": list(face.face_box), "mouth_box": list(face.mouth_box)}


def neighbour_report(
    out: dict[str, str], images: list[tuple[str, str]], attempts: dict[str, Any], qa_mode: str, min_diff: float
) -> dict[str, Any]:
    import numpy as np
    from PIL import Image

    def small(path: str) -> Any:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB").resize((64, 36)), dtype=np.float32)

    pictures = [small(path) for _, path in images]
    pairs, problems = [], []
    for i in range(len(images) - 1):
        diff = float(np.abs(pictures[i] - pictures[i + 1]).mean())
        identical = diff < min_diff
        pairs.append(
            {"a": images[i][0], "b": images[i + 1][0], "mean_abs_diff": round(diff, 3), "identical": identical}
        )
        if identical:
            problems.append(
                f"{images[i + 1][0]} is the same picture as {images[i][0]} (the shot between them would not move)"
            )
    report = {
        "qa_skipped": qa_mode == "skip",
        "passed": not problems,
        "problems": problems,
        "neighbours": pairs,
        "images": {image_id: {"attempts": attempts.get(image_id, [])} for image_id, _ in images},
    }
    atomic.write_json(out["report"], report)
    return report


def vision_neighbour_report(
    backend: Any,
    out: dict[str, str],
    images: list[tuple[str, str]],
    attempts: dict[str, Any],
    qa_mode: str,
    min_diff: float,
    prompts: dict[str, str],
    policy: dict[str, Any],
) -> dict[str, Any]:
    """The neighbour report plus the vision backend's verdict on each keyframe against its prompt."""
    report = neighbour_report(out, images, attempts, qa_mode, min_diff)
    if qa_mode == "skip":
        return report
    for image_id, path in images:
        result = backend.check_image(path, prompts.get(image_id, ""), policy)
        report["images"][image_id]["vision"] = result
        for name in result["failed_checks"]:
            report["problems"].append(f"{image_id}: {name}: {result['checks'][name]['detail']}")
    report["passed"] = not report["problems"]
    atomic.write_json(out["report"], report)
    return report


STAGE = BaseImages()
