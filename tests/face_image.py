"""A shaded frontal face drawn offline, for the face detector and lipsync tests.

Random-weight diffusion models draw noise, never faces, so tests that need a face to find
draw one here: skin with soft light falling off to the sides, hair, brows, eyes with irises,
a nose shadow and lips, blurred as a camera would. `mouth_open` (0..1) opens the lips.
"""

from __future__ import annotations

from typing import Any


def draw_face(
    width: int,
    height: int,
    *,
    centre: tuple[float, float] = (0.5, 0.48),
    size: float = 0.5,
    mouth_open: float = 0.0,
    background: tuple[int, int, int] = (58, 72, 96),
    skin: tuple[int, int, int] = (214, 170, 140),
    seed: int = 0,
) -> Any:
    """An RGB uint8 array: a face `size` x the picture height tall, centred at `centre` (fractions)."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = np.empty((height, width, 3), np.float32)
    vignette = 1.0 - 0.35 * ((xx / width - 0.5) ** 2 + (yy / height - 0.5) ** 2)
    for c in range(3):
        base[:, :, c] = background[c] * vignette
    picture = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8))

    fh = size * height
    fw = 0.76 * fh
    cx, cy = centre[0] * width, centre[1] * height
    draw = ImageDraw.Draw(picture)
    # Hair behind the head, then the neck and the face.
    draw.ellipse([cx - 0.62 * fw, cy - 0.66 * fh, cx + 0.62 * fw, cy + 0.25 * fh], fill=(40, 28, 22))
    draw.rectangle(
        [cx - 0.2 * fw, cy + 0.3 * fh, cx + 0.2 * fw, cy + 0.75 * fh], fill=tuple(int(s * 0.8) for s in skin)
    )
    face = Image.new("L", picture.size, 0)
    ImageDraw.Draw(face).ellipse([cx - fw / 2, cy - fh / 2, cx + fw / 2, cy + fh / 2], fill=255)
    # Light from the front: the cheeks and temples fall off into shadow.
    shade = 1.0 - 0.45 * np.clip(((xx - cx) / (fw / 2)) ** 2, 0, 1) - 0.15 * np.clip((yy - cy) / (fh / 2), 0, 1)
    skin_layer = np.stack([np.clip(s * shade, 0, 255) for s in skin], axis=2).astype(np.uint8)
    picture.paste(Image.fromarray(skin_layer), (0, 0), face)
    draw = ImageDraw.Draw(picture)
    # A fringe over the forehead.
    draw.chord([cx - 0.52 * fw, cy - 0.62 * fh, cx + 0.52 * fw, cy - 0.12 * fh], 180, 360, fill=(40, 28, 22))

    eye_y = cy - 0.07 * fh
    for side in (-1, 1):
        ex = cx + side * 0.21 * fw
        # Brows, the shadowed eye socket, the white, the iris and the pupil.
        draw.line(
            [ex - 0.13 * fw, eye_y - 0.1 * fh, ex + 0.12 * fw, eye_y - 0.12 * fh],
            fill=(45, 30, 25),
            width=max(2, int(0.035 * fh)),
        )
        draw.ellipse([ex - 0.14 * fw, eye_y - 0.06 * fh, ex + 0.14 * fw, eye_y + 0.06 * fh], fill=(150, 105, 90))
        draw.ellipse([ex - 0.1 * fw, eye_y - 0.035 * fh, ex + 0.1 * fw, eye_y + 0.035 * fh], fill=(235, 230, 225))
        draw.ellipse([ex - 0.045 * fw, eye_y - 0.035 * fh, ex + 0.045 * fw, eye_y + 0.035 * fh], fill=(70, 50, 35))
        draw.ellipse([ex - 0.02 * fw, eye_y - 0.018 * fh, ex + 0.02 * fw, eye_y + 0.018 * fh], fill=(10, 8, 8))
    # The nose: a shadow down one side and under the tip.
    draw.line(
        [cx + 0.03 * fw, eye_y + 0.03 * fh, cx + 0.06 * fw, cy + 0.14 * fh],
        fill=(170, 125, 100),
        width=max(2, int(0.02 * fh)),
    )
    draw.ellipse([cx - 0.09 * fw, cy + 0.13 * fh, cx + 0.09 * fw, cy + 0.19 * fh], fill=(165, 115, 95))
    # The lips; an open mouth shows a dark gap between them.
    my = cy + 0.29 * fh
    gap = 0.1 * fh * max(0.0, min(1.0, mouth_open))
    draw.ellipse(
        [cx - 0.2 * fw, my - 0.035 * fh - gap / 2, cx + 0.2 * fw, my + 0.035 * fh + gap / 2], fill=(160, 70, 70)
    )
    if gap > 1:
        draw.ellipse([cx - 0.15 * fw, my - gap / 2, cx + 0.15 * fw, my + gap / 2], fill=(50, 15, 20))
    else:
        draw.line([cx - 0.18 * fw, my, cx + 0.18 * fw, my], fill=(90, 35, 40), width=max(1, int(0.012 * fh)))

    picture = picture.filter(ImageFilter.GaussianBlur(radius=max(0.6, fh / 180)))
    pixels = np.asarray(picture, dtype=np.float32) + rng.normal(0, 3.0, (height, width, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)
