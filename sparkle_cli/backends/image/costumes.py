"""What a figure wears and what makes a species: outfits, hats, things carried, muzzles, beaks, wings."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sparkle_cli.backends.image.canvas import Sketch, darken
from sparkle_cli.backends.image.looks import Look
from sparkle_cli.backends.image.scene import RGB

if TYPE_CHECKING:
    from sparkle_cli.backends.image.figures import Body

WHITE: RGB = (246, 246, 244)
GOLD: RGB = (236, 196, 70)
METAL: RGB = (190, 194, 204)
DARK: RGB = (36, 34, 38)


def lighten(colour: RGB, f: float) -> RGB:
    return tuple(int(v + (255 - v) * f) for v in colour)  # type: ignore[return-value]


# --- behind the body -------------------------------------------------------------------


def behind(sk: Sketch, lk: Look, body: Body, back: bool) -> None:
    """What is behind the body: wings, a cape, a backpack, a lion's mane."""
    F, x, sh = body.F, body.x, body.shoulders
    sw = body.half_widths[0]
    if lk.kind == "dragon":
        wing = darken(lk.skin, 0.75)
        for s in (-1, 1):
            root = (x + s * sw * 0.5, sh + 0.05 * F)
            tip = (x + s * sw * 3.2, sh - 0.35 * F)
            pts = [root, tip, (x + s * sw * 2.9, sh + 0.05 * F), (x + s * sw * 2.3, sh - 0.02 * F),
                   (x + s * sw * 1.9, sh + 0.14 * F), (x + s * sw * 1.3, sh + 0.08 * F)]  # fmt: skip
            sk.poly(pts, wing)
            sk.stroke([root, tip], darken(wing, 0.7), 0.02 * F)
    if lk.kind == "lion":
        hx, hy, hw, hh = body.head
        sk.ellipse(hx, hy + hh * 0.05, hw * 0.85, hh * 0.8, (150, 90, 40))
    if lk.role in ("king", "queen") or lk.hat == "wizard_hat" and lk.role == "wizard":
        cape = lk.accent if lk.role != "wizard" else darken(lk.top, 0.7)
        if lk.role in ("king", "queen"):
            cape = (150, 20, 40)
        sk.poly(
            [
                (x - sw * 0.9, sh),
                (x + sw * 0.9, sh),
                (x + sw * 1.35, body.y - 0.02 * F),
                (x - sw * 1.35, body.y - 0.02 * F),
            ],
            cape,
        )
    if "backpack" in lk.extras or lk.outfit == "spacesuit":
        colour = (220, 222, 228) if lk.outfit == "spacesuit" else (170, 60, 50)
        sk.rect(x - sw * 1.05, sh + 0.03 * F, x + sw * 1.05, sh + 0.24 * F, colour, radius=0.03 * F)


# --- the torso by outfit ---------------------------------------------------------------


def torso(sk: Sketch, lk: Look, body: Body, back: bool) -> None:
    """The torso in its outfit, with the details that name the job (lapels, buttons, plates, badge)."""
    F, x, sh, hip = body.F, body.x, body.shoulders, body.hips
    sw, ww = body.half_widths
    outfit = lk.outfit
    long = {"coat": 0.3, "dress": 0.3, "labcoat": 0.32, "robe": 0.42, "sheet": 0.43, "whites": 0.06}.get(outfit, 0.0)
    hem = ww * {"dress": 1.5, "robe": 1.45, "sheet": 1.5, "scales": 1.2, "fur": 1.1}.get(outfit, 1.0)
    if outfit == "spacesuit":
        sw, ww, hem = sw * 1.18, ww * 1.25, ww * 1.25
    if outfit in ("fur", "scales", "metal", "sheet"):
        top = lk.skin
    else:
        top = lk.top
    outline = [(x - sw, sh + 0.035 * F), (x - sw * 0.8, sh), (x + sw * 0.8, sh), (x + sw, sh + 0.035 * F)]
    sk.poly([*outline, (x + hem, hip + long * F), (x - hem, hip + long * F)], top)
    if back:
        return
    if outfit in ("fur", "scales"):
        sk.ellipse(x, (sh + hip) / 2 + 0.03 * F, sw * 0.62, (hip - sh) * 0.55, lk.belly)
        if outfit == "scales":
            for k in range(4):
                y = sh + 0.06 * F + k * 0.06 * F
                sk.stroke([(x - sw * 0.4, y), (x + sw * 0.4, y)], darken(lk.belly, 0.8), 0.008 * F)
        return
    if outfit == "metal":
        sk.rect(x - sw * 0.55, sh + 0.05 * F, x + sw * 0.55, sh + 0.2 * F, lk.belly, radius=0.01 * F)
        for k, col in enumerate(((255, 80, 80), (80, 220, 120), (80, 180, 255))):
            sk.ellipse(x - sw * 0.3 + k * sw * 0.3, sh + 0.12 * F, 0.014 * F, 0.014 * F, col)
        return
    if outfit == "sheet":
        return
    if outfit in ("jacket", "coat", "suit", "labcoat"):
        inner = lk.accent if outfit != "labcoat" else (120, 150, 190)
        if outfit == "suit":
            inner = WHITE
        v_depth = hip + long * F * 0.5 if outfit != "suit" else sh + 0.2 * F
        sk.poly([(x - sw * 0.25, sh), (x + sw * 0.25, sh), (x + sw * 0.1, v_depth), (x - sw * 0.1, v_depth)], inner)
        for s in (-1, 1):
            sk.stroke([(x + s * sw * 0.25, sh), (x + s * sw * 0.1, sh + 0.14 * F)], darken(top, 0.72), 0.02 * F)
        if outfit == "coat" and lk.role in ("detective", "inspector", "spy"):
            # A trench coat: its belt and a double row of buttons.
            sk.rect(x - ww * 1.05, hip - 0.03 * F, x + ww * 1.05, hip, darken(top, 0.7))
            for s in (-1, 1):
                for k in range(3):
                    sk.ellipse(x + s * sw * 0.32, sh + 0.1 * F + k * 0.07 * F, 0.011 * F, 0.011 * F, darken(top, 0.6))
            sk.poly(
                [(x - sw * 0.95, sh + 0.02 * F), (x - sw * 0.2, sh + 0.02 * F), (x - sw * 0.55, sh + 0.11 * F)],
                darken(top, 0.88),
            )
            sk.poly(
                [(x + sw * 0.95, sh + 0.02 * F), (x + sw * 0.2, sh + 0.02 * F), (x + sw * 0.55, sh + 0.11 * F)],
                darken(top, 0.88),
            )
    elif outfit == "whites":
        # A chef's double-breasted jacket: two rows of buttons and a neckerchief.
        for s in (-1, 1):
            for k in range(3):
                sk.ellipse(x + s * sw * 0.32, sh + 0.08 * F + k * 0.075 * F, 0.012 * F, 0.012 * F, darken(top, 0.7))
        sk.stroke([(x + sw * 0.5, sh + 0.01 * F), (x - sw * 0.2, hip)], darken(top, 0.85), 0.012 * F)
    elif outfit == "armour":
        plate = lighten(top, 0.15)
        sk.poly(
            [
                (x - sw * 0.85, sh + 0.02 * F),
                (x + sw * 0.85, sh + 0.02 * F),
                (x + ww * 0.9, hip - 0.04 * F),
                (x, hip + 0.02 * F),
                (x - ww * 0.9, hip - 0.04 * F),
            ],
            plate,
        )
        sk.stroke([(x, sh + 0.03 * F), (x, hip)], darken(top, 0.7), 0.01 * F)
        for s in (-1, 1):
            sk.ellipse(x + s * sw * 0.95, sh + 0.04 * F, sw * 0.42, 0.06 * F, lighten(top, 0.25))
        sk.rect(x - ww * 1.0, hip - 0.04 * F, x + ww * 1.0, hip, darken(top, 0.65))
        sk.poly([(x - sw * 0.35, sh + 0.06 * F), (x + sw * 0.35, sh + 0.06 * F), (x, sh + 0.2 * F)], lk.accent)
    elif outfit == "robe":
        sk.rect(x - ww * 1.05, hip - 0.03 * F, x + ww * 1.05, hip, lk.accent)
        sk.stroke([(x, sh + 0.02 * F), (x, hip + 0.4 * F)], darken(top, 0.75), 0.01 * F)
        if lk.role in ("wizard", "sorcerer", "mage"):
            for k, (dx, dy) in enumerate(((-0.5, 0.18), (0.4, 0.3), (-0.2, 0.5), (0.55, 0.6))):
                _star(sk, x + dx * sw, hip - 0.2 * F + dy * 0.5 * F, 0.022 * F, GOLD if k % 2 == 0 else lk.accent)
    elif outfit == "spacesuit":
        sk.rect(x - sw * 0.5, sh + 0.06 * F, x + sw * 0.5, sh + 0.18 * F, (200, 204, 212), radius=0.015 * F)
        for k, col in enumerate(((230, 60, 60), (60, 130, 230), (240, 200, 60))):
            sk.rect(x - sw * 0.38 + k * sw * 0.27, sh + 0.09 * F, x - sw * 0.22 + k * sw * 0.27, sh + 0.13 * F, col)
        sk.rect(x - sw * 0.95, sh + 0.015 * F, x - sw * 0.55, sh + 0.07 * F, lk.accent)
        sk.rect(x - ww * 1.25, hip - 0.035 * F, x + ww * 1.25, hip, darken(top, 0.8))
    elif outfit == "uniform":
        for k in range(4):
            sk.ellipse(x, sh + 0.07 * F + k * 0.07 * F, 0.01 * F, 0.01 * F, GOLD)
        sk.rect(x - ww, hip - 0.03 * F, x + ww, hip, DARK)
        for s in (-1, 1):
            sk.rect(x + s * sw * 0.9 - 0.04 * F, sh - 0.005 * F, x + s * sw * 0.9 + 0.04 * F, sh + 0.02 * F, lk.accent)
    elif outfit == "overalls":
        sk.rect(x - ww * 0.85, sh + 0.12 * F, x + ww * 0.85, hip + 0.02 * F, lk.bottom)
        for s in (-1, 1):
            sk.stroke([(x + s * ww * 0.6, sh + 0.13 * F), (x + s * sw * 0.55, sh)], lk.bottom, 0.025 * F)
        sk.ellipse(x, sh + 0.18 * F, 0.012 * F, 0.012 * F, GOLD)
        sk.poly(outline[:2] + [(x - sw * 0.3, sh), (x - sw * 0.55, sh + 0.06 * F)], lk.accent)
    elif outfit == "stripes":
        for k in range(6):
            y = sh + 0.04 * F + k * 0.055 * F
            sk.rect(x - sw * 0.95, y, x + sw * 0.95, y + 0.022 * F, lk.accent)
    elif outfit == "vest":
        sk.poly(
            [(x - sw * 0.3, sh), (x + sw * 0.3, sh), (x + sw * 0.1, hip), (x - sw * 0.1, hip)],
            WHITE if lk.role == "waiter" else lighten(top, 0.5),
        )
    elif outfit == "cardigan":
        sk.rect(x - sw * 0.15, sh, x + sw * 0.15, hip, lk.accent)
        for k in range(4):
            sk.ellipse(x + sw * 0.2, sh + 0.06 * F + k * 0.07 * F, 0.009 * F, 0.009 * F, darken(top, 0.6))
    elif outfit == "hoodie":
        sk.rect(x - ww * 0.6, hip - 0.12 * F, x + ww * 0.6, hip - 0.04 * F, darken(top, 0.85), radius=0.02 * F)
        for s in (-1, 1):
            sk.stroke(
                [(x + s * 0.025 * F, sh + 0.01 * F), (x + s * 0.03 * F, sh + 0.09 * F)], (236, 232, 224), 0.008 * F
            )
    elif outfit == "sweater":
        sk.rect(x - sw * 0.95, hip - 0.04 * F, x + sw * 0.95, hip, darken(top, 0.82))
        sk.chord(x, sh, sw * 0.35, 0.05 * F, 0, 180, darken(top, 0.82))
    _details(sk, lk, body)


def _star(sk: Sketch, x: float, y: float, r: float, colour: RGB) -> None:
    pts = []
    for k in range(10):
        a = -math.pi / 2 + k * math.pi / 5
        rr = r if k % 2 == 0 else r * 0.45
        pts.append((x + math.cos(a) * rr, y + math.sin(a) * rr))
    sk.poly(pts, colour)


def _details(sk: Sketch, lk: Look, body: Body) -> None:
    F, x, sh, hip = body.F, body.x, body.shoulders, body.hips
    sw, ww = body.half_widths
    extras = lk.extras
    if "apron" in extras:
        sk.rect(
            x - ww * 0.8,
            sh + 0.12 * F,
            x + ww * 0.8,
            hip + 0.18 * F,
            WHITE if lk.outfit != "whites" else lk.accent,
            radius=0.01 * F,
        )
        sk.stroke([(x - ww * 0.6, sh + 0.12 * F), (x - sw * 0.2, sh)], WHITE, 0.01 * F)
        sk.stroke([(x + ww * 0.6, sh + 0.12 * F), (x + sw * 0.2, sh)], WHITE, 0.01 * F)
    if "neckerchief" in extras:
        sk.poly([(x - sw * 0.35, sh), (x + sw * 0.35, sh), (x, sh + 0.07 * F)], lk.accent)
    if "tie" in extras:
        sk.poly(
            [
                (x - 0.012 * F, sh + 0.01 * F),
                (x + 0.012 * F, sh + 0.01 * F),
                (x + 0.02 * F, sh + 0.17 * F),
                (x, sh + 0.2 * F),
                (x - 0.02 * F, sh + 0.17 * F),
            ],
            lk.accent,
        )
    if "bowtie" in extras:
        sk.poly([(x - 0.03 * F, sh - 0.005 * F), (x, sh + 0.01 * F), (x - 0.03 * F, sh + 0.025 * F)], DARK)
        sk.poly([(x + 0.03 * F, sh - 0.005 * F), (x, sh + 0.01 * F), (x + 0.03 * F, sh + 0.025 * F)], DARK)
    if "badge" in extras:
        sk.poly(
            [
                (x + sw * 0.45, sh + 0.07 * F),
                (x + sw * 0.6, sh + 0.1 * F),
                (x + sw * 0.45, sh + 0.14 * F),
                (x + sw * 0.3, sh + 0.1 * F),
            ],
            GOLD,
        )
    if "sash" in extras:
        sk.stroke([(x - sw * 0.8, sh + 0.02 * F), (x + ww * 0.9, hip - 0.02 * F)], lk.accent, 0.03 * F)
    if "buttons" in extras:
        for k in range(4):
            sk.ellipse(x - sw * 0.15, sh + 0.08 * F + k * 0.07 * F, 0.01 * F, 0.01 * F, GOLD)
    if "stethoscope" in extras:
        sk.arc(x, sh + 0.02 * F, sw * 0.4, 0.12 * F, 0, 180, (40, 40, 50), 0.008 * F)
        sk.ellipse(x + sw * 0.1, sh + 0.15 * F, 0.016 * F, 0.016 * F, (180, 184, 190))
    if "scarf" in extras:
        sk.rect(x - sw * 0.55, sh - 0.015 * F, x + sw * 0.55, sh + 0.035 * F, lk.accent, radius=0.02 * F)
    if "camera" in extras:
        strap = [(x - sw * 0.7, sh + 0.01 * F), (x + 0.02 * F, sh + 0.14 * F), (x + sw * 0.7, sh + 0.01 * F)]
        sk.stroke(strap, (30, 28, 28), 0.012 * F)
        sk.rect(x - 0.05 * F, sh + 0.12 * F, x + 0.06 * F, sh + 0.19 * F, (36, 36, 40), radius=0.01 * F)
        sk.ellipse(x + 0.005 * F, sh + 0.155 * F, 0.025 * F, 0.025 * F, (90, 110, 130))


def held(sk: Sketch, lk: Look, body: Body) -> None:
    """Things carried at the side: a sword, a shield, a staff, a broom."""
    F, x, hip = body.F, body.x, body.hips
    sw = body.half_widths[0]
    hand_r = (x + sw + 0.01 * F, hip + 0.05 * F)
    hand_l = (x - sw - 0.01 * F, hip + 0.05 * F)
    if "staff" in lk.extras:
        sk.stroke([(hand_r[0], body.y - 0.02 * F), (hand_r[0] + 0.02 * F, body.y - 1.05 * F)], (110, 76, 46), 0.022 * F)
        sk.ellipse(hand_r[0] + 0.02 * F, body.y - 1.07 * F, 0.035 * F, 0.035 * F, (120, 200, 255))
    if "broom" in lk.extras:
        sk.stroke([(hand_r[0], body.y - 0.9 * F), (hand_r[0] - 0.02 * F, body.y - 0.15 * F)], (110, 76, 46), 0.018 * F)
        sk.poly(
            [
                (hand_r[0] - 0.06 * F, body.y),
                (hand_r[0] + 0.03 * F, body.y),
                (hand_r[0], body.y - 0.17 * F),
                (hand_r[0] - 0.04 * F, body.y - 0.17 * F),
            ],
            (200, 160, 80),
        )
    if "sword" in lk.extras:
        sk.stroke([hand_r, (hand_r[0] + 0.03 * F, hand_r[1] + 0.36 * F)], METAL, 0.022 * F)
        sk.stroke(
            [(hand_r[0] - 0.04 * F, hand_r[1] + 0.01 * F), (hand_r[0] + 0.04 * F, hand_r[1] - 0.005 * F)],
            GOLD,
            0.016 * F,
        )
    if "shield" in lk.extras:
        cx, cy = hand_l[0] - 0.02 * F, hand_l[1] - 0.06 * F
        sk.poly(
            [
                (cx - 0.1 * F, cy - 0.12 * F),
                (cx + 0.1 * F, cy - 0.12 * F),
                (cx + 0.1 * F, cy + 0.02 * F),
                (cx, cy + 0.14 * F),
                (cx - 0.1 * F, cy + 0.02 * F),
            ],
            lk.accent,
        )
        sk.poly(
            [
                (cx - 0.025 * F, cy - 0.12 * F),
                (cx + 0.025 * F, cy - 0.12 * F),
                (cx + 0.025 * F, cy + 0.1 * F),
                (cx - 0.025 * F, cy + 0.1 * F),
            ],
            GOLD,
        )


# --- the head --------------------------------------------------------------------------


def head_shape(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float, colour: RGB) -> None:
    """The head: an oval, a rounded box for a robot, a wider snouted head for a dragon."""
    if lk.kind in ("robot", "android"):
        sk.rect(hx - hw * 0.5, hy - hh * 0.48, hx + hw * 0.5, hy + hh * 0.5, colour, radius=hw * 0.18)
        return
    sk.ellipse(hx, hy, hw / 2, hh / 2, colour)
    if lk.kind == "alien":
        sk.ellipse(hx, hy - hh * 0.15, hw * 0.58, hh * 0.42, colour)


def face_parts(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float, turn: float) -> None:
    """What a species has round its mouth (a muzzle and nose, a beak, a visor); a beard."""
    kind = lk.species
    shift = hw * 0.09 * turn
    if kind is not None:
        if kind.face == "muzzle":
            sk.ellipse(hx + shift, hy + hh * 0.26, hw * 0.3, hh * 0.2, lk.belly)
            sk.poly(
                [
                    (hx + shift - hw * 0.07, hy + hh * 0.1),
                    (hx + shift + hw * 0.07, hy + hh * 0.1),
                    (hx + shift, hy + hh * 0.17),
                ],
                (40, 30, 30),
            )
            if lk.kind in ("cat", "kitten", "tiger", "lion", "mouse", "fox"):
                for s in (-1, 1):
                    for k in (-1, 1):
                        sk.stroke(
                            [
                                (hx + shift + s * hw * 0.18, hy + hh * (0.2 + 0.04 * k)),
                                (hx + shift + s * hw * 0.48, hy + hh * (0.16 + 0.08 * k)),
                            ],
                            (250, 250, 250),
                            max(0.5, hw * 0.012),
                        )
            if lk.kind == "tiger":
                for s in (-1, 1):
                    sk.stroke(
                        [(hx + s * hw * 0.5, hy - hh * 0.1), (hx + s * hw * 0.3, hy - hh * 0.05)],
                        (40, 30, 30),
                        hw * 0.04,
                    )
            if lk.kind == "panda":
                for s in (-1, 1):
                    sk.ellipse(hx + shift + s * hw * 0.2, hy + hh * 0.05, hw * 0.13, hh * 0.11, (40, 40, 44))
        elif kind.face == "snout":
            sk.ellipse(
                hx + shift, hy + hh * 0.25, hw * 0.36, hh * 0.22, lk.belly if lk.kind != "pig" else darken(lk.skin, 0.9)
            )
            for s in (-1, 1):
                sk.ellipse(hx + shift + s * hw * 0.09, hy + hh * 0.16, hw * 0.035, hh * 0.03, darken(lk.skin, 0.5))
        elif kind.face == "beak":
            sk.poly(
                [
                    (hx + shift - hw * 0.1, hy + hh * 0.08),
                    (hx + shift + hw * 0.1, hy + hh * 0.08),
                    (hx + shift, hy + hh * 0.24),
                ],
                (240, 170, 50),
            )
            if lk.kind in ("owl", "penguin"):
                for s in (-1, 1):
                    sk.ellipse(hx + shift + s * hw * 0.2, hy + hh * 0.05, hw * 0.17, hh * 0.16, lk.belly)
        elif kind.face == "visor":
            sk.rect(hx - hw * 0.42, hy - hh * 0.02, hx + hw * 0.42, hy + hh * 0.16, (30, 40, 60), radius=hh * 0.06)
            sk.rect(hx - hw * 0.3, hy + hh * 0.3, hx + hw * 0.3, hy + hh * 0.4, lk.belly, radius=hh * 0.03)
    if "beard" in lk.extras and lk.kind == "person":
        long_beard = lk.role in ("wizard", "king") or lk.age == "old"
        depth = hh * (0.75 if long_beard else 0.32)
        sk.poly(
            [
                (hx - hw * 0.47, hy + hh * 0.05),
                (hx + hw * 0.47, hy + hh * 0.05),
                (hx + hw * 0.3, hy + hh * 0.35 + depth * 0.4),
                (hx, hy + hh * 0.2 + depth),
                (hx - hw * 0.3, hy + hh * 0.35 + depth * 0.4),
            ],  # fmt: skip
            darken(lk.hair, 0.95),
        )
        # The mouth's whole box stays bare skin, so the mouth can be seen and animated against it.
        sk.ellipse(hx + shift, hy + hh * 0.28, hw * 0.27, hh * 0.13, lk.skin)


def ears(sk: Sketch, lk: Look, hx: float, hy: float, hw: float, hh: float) -> None:
    """Ears, horns and antennae by species; a person's ears."""
    kind = lk.species
    style = kind.ears if kind else "person"
    inner = darken(lk.skin, 0.9)
    if style == "person":
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.49, hy + hh * 0.06, hw * 0.09, hh * 0.11, darken(lk.skin, 0.92))
    elif style == "pointed":
        for s in (-1, 1):
            sk.poly(
                [
                    (hx + s * hw * 0.12, hy - hh * 0.42),
                    (hx + s * hw * 0.5, hy - hh * 0.15),
                    (hx + s * hw * 0.42, hy - hh * 0.95),
                ],
                inner,
            )
            sk.poly(
                [
                    (hx + s * hw * 0.22, hy - hh * 0.42),
                    (hx + s * hw * 0.42, hy - hh * 0.28),
                    (hx + s * hw * 0.38, hy - hh * 0.75),
                ],
                lighten(lk.belly, 0.1) if lk.kind != "pig" else darken(lk.skin, 0.8),
            )
    elif style == "floppy":
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.5, hy + hh * 0.05, hw * 0.16, hh * 0.36, darken(lk.skin, 0.7))
    elif style == "long":
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.22, hy - hh * 0.8, hw * 0.12, hh * 0.42, lk.skin)
            sk.ellipse(hx + s * hw * 0.22, hy - hh * 0.78, hw * 0.06, hh * 0.32, (246, 200, 200))
    elif style == "round":
        for s in (-1, 1):
            sk.ellipse(
                hx + s * hw * 0.38,
                hy - hh * 0.38,
                hw * 0.17,
                hh * 0.17,
                darken(lk.skin, 0.85) if lk.kind != "panda" else (40, 40, 44),
            )
    elif style == "tufts":
        for s in (-1, 1):
            sk.poly(
                [
                    (hx + s * hw * 0.2, hy - hh * 0.4),
                    (hx + s * hw * 0.46, hy - hh * 0.28),
                    (hx + s * hw * 0.62, hy - hh * 0.62),
                ],
                darken(lk.skin, 0.8),
            )
    elif style == "horns":
        for s in (-1, 1):
            sk.poly(
                [
                    (hx + s * hw * 0.15, hy - hh * 0.38),
                    (hx + s * hw * 0.34, hy - hh * 0.32),
                    (hx + s * hw * 0.42, hy - hh * 0.85),
                ],
                (236, 226, 200),
            )
        if lk.kind == "dragon":
            for k in range(3):
                sk.poly(
                    [
                        (hx - hw * 0.05, hy - hh * (0.5 - 0.0 * k)),
                        (hx + hw * 0.05, hy - hh * 0.5),
                        (hx, hy - hh * 0.66),
                    ],
                    darken(lk.skin, 0.7),
                )
    elif style == "antenna":
        sk.stroke([(hx, hy - hh * 0.5), (hx, hy - hh * 0.8)], (120, 124, 130), hw * 0.04)
        sk.ellipse(hx, hy - hh * 0.82, hw * 0.07, hw * 0.07, (255, 90, 90))
        for s in (-1, 1):
            sk.rect(
                hx + s * hw * 0.5 - hw * 0.06,
                hy - hh * 0.1,
                hx + s * hw * 0.5 + hw * 0.06,
                hy + hh * 0.15,
                (120, 124, 130),
            )
    elif style == "antennae":
        for s in (-1, 1):
            tip = (hx + s * hw * 0.4, hy - hh * 0.95)
            sk.stroke([(hx + s * hw * 0.15, hy - hh * 0.45), tip], darken(lk.skin, 0.7), hw * 0.035)
            sk.ellipse(*tip, hw * 0.07, hw * 0.07, (250, 230, 90))


def hat(sk: Sketch, lk: Look, body: Body) -> None:
    """The hat a role wears (or the description names)."""
    hx, hy, hw, hh = body.head
    F = body.F
    name = lk.hat
    if "headphones" in lk.extras:
        sk.arc(hx, hy - hh * 0.02, hw * 0.58, hh * 0.6, 180, 360, (40, 40, 46), 0.03 * F)
        for s in (-1, 1):
            ex = hx + s * hw * 0.56
            sk.rect(ex - 0.025 * F, hy - 0.03 * F, ex + 0.025 * F, hy + 0.05 * F, (46, 46, 54), radius=0.015 * F)
            sk.rect(ex - 0.012 * F, hy - 0.02 * F, ex + 0.012 * F, hy + 0.04 * F, lk.accent, radius=0.01 * F)
    if "goggles" in lk.extras:
        sk.rect(hx - hw * 0.5, hy - hh * 0.36, hx + hw * 0.5, hy - hh * 0.28, (60, 50, 40))
        for s in (-1, 1):
            sk.ellipse(hx + s * hw * 0.18, hy - hh * 0.32, hw * 0.14, hh * 0.1, (150, 200, 220))
    if name is None:
        return
    top = hy - hh * 0.5
    if name == "fedora":
        brim = darken(lk.accent if lk.role not in ("detective", "inspector", "spy", "adventurer") else lk.top, 0.62)
        sk.ellipse(hx, hy - hh * 0.3, hw * 0.8, hh * 0.09, brim)
        sk.rect(hx - hw * 0.42, hy - hh * 0.74, hx + hw * 0.42, hy - hh * 0.3, brim, radius=hw * 0.12)
        sk.rect(hx - hw * 0.43, hy - hh * 0.42, hx + hw * 0.43, hy - hh * 0.34, darken(brim, 0.6))
    elif name == "toque":
        sk.rect(hx - hw * 0.4, hy - hh * 0.5, hx + hw * 0.4, hy - hh * 0.3, WHITE)
        for dx in (-0.25, 0.0, 0.25):
            sk.ellipse(hx + dx * hw, hy - hh * 0.82, hw * 0.26, hh * 0.34, WHITE)
        sk.rect(hx - hw * 0.42, hy - hh * 0.36, hx + hw * 0.42, hy - hh * 0.3, (226, 226, 222))
    elif name == "baker_cap":
        sk.ellipse(hx, hy - hh * 0.42, hw * 0.52, hh * 0.2, WHITE)
    elif name == "space_helmet":
        sk.arc(hx, hy + hh * 0.02, hw * 0.72, hh * 0.66, 0, 360, (210, 214, 222), 0.05 * F)
        sk.arc(hx - hw * 0.1, hy - hh * 0.15, hw * 0.5, hh * 0.45, 200, 250, (250, 252, 255), 0.02 * F)
        sk.rect(hx - hw * 0.6, hy + hh * 0.55, hx + hw * 0.6, hy + hh * 0.7, (200, 204, 212), radius=hh * 0.05)
    elif name == "helm":
        steel = lighten(METAL, 0.1)
        sk.chord(hx, hy - hh * 0.02, hw * 0.56, hh * 0.56, 180, 360, steel)
        for s in (-1, 1):
            sk.rect(
                hx + s * hw * 0.42 - hw * 0.12,
                hy - hh * 0.1,
                hx + s * hw * 0.42 + hw * 0.12,
                hy + hh * 0.32,
                steel,
                radius=hw * 0.05,
            )
        sk.rect(hx - hw * 0.05, hy - hh * 0.12, hx + hw * 0.05, hy + hh * 0.08, darken(steel, 0.85))
        sk.poly(
            [(hx - hw * 0.05, top), (hx + hw * 0.05, top), (hx + hw * 0.2, top - hh * 0.35), (hx, top - hh * 0.2)],
            lk.accent,
        )
    elif name in ("wizard_hat", "witch_hat"):
        colour = darken(lk.top, 0.9)
        sk.ellipse(hx, hy - hh * 0.36, hw * (0.85 if name == "witch_hat" else 0.7), hh * 0.1, colour)
        sk.poly(
            [(hx - hw * 0.45, hy - hh * 0.38), (hx + hw * 0.45, hy - hh * 0.38), (hx + hw * 0.25, hy - hh * 1.45)],
            colour,
        )
        if name == "wizard_hat":
            _star(sk, hx, hy - hh * 0.75, hw * 0.1, GOLD)
        else:
            sk.rect(hx - hw * 0.4, hy - hh * 0.5, hx + hw * 0.4, hy - hh * 0.42, lk.accent)
    elif name == "tricorn":
        sk.poly(
            [
                (hx - hw * 0.8, hy - hh * 0.38),
                (hx + hw * 0.8, hy - hh * 0.38),
                (hx + hw * 0.5, hy - hh * 0.78),
                (hx, hy - hh * 0.62),
                (hx - hw * 0.5, hy - hh * 0.78),
            ],
            DARK,
        )
        sk.rect(hx - hw * 0.6, hy - hh * 0.46, hx + hw * 0.6, hy - hh * 0.4, GOLD)
        sk.ellipse(hx, hy - hh * 0.55, hw * 0.07, hw * 0.07, WHITE)
    elif name in ("peaked_cap", "sailor_cap", "surgical_cap"):
        colour = {
            "peaked_cap": lk.top if lk.role != "pilot" else (40, 44, 60),
            "sailor_cap": WHITE,
            "surgical_cap": lk.top,
        }[name]
        sk.chord(hx, hy - hh * 0.32, hw * 0.55, hh * 0.3, 180, 360, colour)
        if name == "peaked_cap":
            sk.rect(hx - hw * 0.56, hy - hh * 0.46, hx + hw * 0.56, hy - hh * 0.32, colour, radius=hh * 0.03)
            sk.ellipse(hx + hw * 0.1, hy - hh * 0.3, hw * 0.45, hh * 0.05, DARK)
            sk.ellipse(hx, hy - hh * 0.4, hw * 0.06, hw * 0.06, GOLD)
    elif name in ("crown", "circlet"):
        tall = 0.36 if name == "crown" else 0.14
        base = hy - hh * 0.4
        pts = [(hx - hw * 0.42, base)]
        for k in range(5):
            px = hx - hw * 0.42 + hw * 0.21 * k
            pts += [(px, base - hh * tall), (px + hw * 0.105, base - hh * tall * 0.45)]
        pts += [(hx + hw * 0.42, base - hh * tall), (hx + hw * 0.42, base)]
        sk.poly(pts, GOLD)
        sk.ellipse(hx, base - hh * 0.08, hw * 0.05, hw * 0.05, (200, 30, 60))
    elif name == "cowboy_hat":
        colour = darken(lk.top, 0.6)
        sk.ellipse(hx, hy - hh * 0.33, hw * 0.95, hh * 0.11, colour)
        sk.rect(hx - hw * 0.38, hy - hh * 0.72, hx + hw * 0.38, hy - hh * 0.32, colour, radius=hw * 0.15)
    elif name == "straw_hat":
        straw = (226, 196, 120)
        sk.ellipse(hx, hy - hh * 0.34, hw, hh * 0.12, straw)
        sk.chord(hx, hy - hh * 0.36, hw * 0.45, hh * 0.32, 180, 360, straw)
        sk.rect(hx - hw * 0.45, hy - hh * 0.44, hx + hw * 0.45, hy - hh * 0.37, lk.accent)
    elif name == "safari_hat":
        colour = (196, 176, 126)
        sk.ellipse(hx, hy - hh * 0.34, hw * 0.85, hh * 0.1, colour)
        sk.chord(hx, hy - hh * 0.36, hw * 0.5, hh * 0.36, 180, 360, colour)
    elif name == "army_helmet":
        sk.chord(hx, hy - hh * 0.18, hw * 0.62, hh * 0.5, 180, 360, darken(lk.top, 0.85))
        sk.rect(hx - hw * 0.64, hy - hh * 0.22, hx + hw * 0.64, hy - hh * 0.16, darken(lk.top, 0.7))
    elif name == "fire_helmet":
        sk.chord(hx, hy - hh * 0.2, hw * 0.6, hh * 0.48, 180, 360, (200, 40, 30))
        sk.ellipse(hx, hy - hh * 0.2, hw * 0.75, hh * 0.08, (180, 34, 26))
        sk.rect(hx - hw * 0.12, hy - hh * 0.55, hx + hw * 0.12, hy - hh * 0.3, GOLD)
    elif name == "beanie":
        sk.chord(hx, hy - hh * 0.22, hw * 0.55, hh * 0.5, 180, 360, lk.accent)
        sk.rect(hx - hw * 0.56, hy - hh * 0.3, hx + hw * 0.56, hy - hh * 0.2, darken(lk.accent, 0.8))
    elif name == "hood":
        sk.chord(hx, hy - hh * 0.05, hw * 0.62, hh * 0.62, 180, 360, lk.top)
