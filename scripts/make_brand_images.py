"""Draw the integration's brand images into custom_components/mbus_han/brand/.

Home Assistant 2026.x shows a custom integration's brand images from its own ``brand/``
folder (HACS requires them too). Home Assistant's brands rules ask for PNG with a transparent
background, trimmed edges, a square icon of 256x256 (``icon@2x.png``: 512x512), and a logo
whose shortest side is 128-256 px (``logo@2x.png``: 256-512 px); ``dark_*`` variants are used
on dark themes. The images are drawn by this script rather than kept only as binaries so that
they can be regenerated, changed and reviewed:

    .venv/bin/python scripts/make_brand_images.py

Motif: a meter dial whose scale runs from cold blue to hot red (a heat meter) with a heat drop
as its needle, and a lightning bolt in the drop (the electricity meter's HAN port).
Everything is drawn at 4x and scaled down with a Lanczos filter, which gives smooth edges that
Pillow's drawing primitives (no anti-aliasing) would not. The text uses Pillow's bundled font,
so the output does not depend on the fonts of the machine that runs the script.
"""

from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parents[1]
BRAND = ROOT / "custom_components" / "mbus_han" / "brand"

SUPERSAMPLE = 4
ICON_SIZES = {"icon.png": 256, "icon@2x.png": 512}
LOGO_HEIGHTS = {"logo.png": 256, "logo@2x.png": 512}
LOGO_TEXT = "M-Bus & HAN"

Colour = tuple[int, int, int, int]
FACE: Colour = (31, 45, 61, 255)
RIM: Colour = (70, 90, 114, 255)
TICK: Colour = (205, 216, 228, 255)
COLD: Colour = (46, 155, 214, 255)
WARM: Colour = (245, 190, 50, 255)
HOT: Colour = (229, 62, 45, 255)
DROP: Colour = (240, 110, 40, 255)
DROP_EDGE: Colour = (255, 255, 255, 255)
BOLT: Colour = (255, 226, 92, 255)
TEXT_LIGHT_THEME: Colour = FACE
TEXT_DARK_THEME: Colour = (236, 241, 246, 255)

ARC_START = 135.0  # degrees, clockwise from 3 o'clock: the dial's scale leaves a gap below
ARC_SWEEP = 270.0


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    """Linear blend of two colours, ``t`` from 0 (``a``) to 1 (``b``)."""
    r, g, b_, alpha = (round(x + (y - x) * t) for x, y in zip(a, b, strict=True))
    return (r, g, b_, alpha)


def _scale_colour(t: float) -> Colour:
    """The dial's scale colour at ``t`` (0 cold, 1 hot), through warm yellow."""
    return _mix(COLD, WARM, t * 2) if t < 0.5 else _mix(WARM, HOT, (t - 0.5) * 2)


def _polar(cx: float, cy: float, radius: float, degrees: float) -> tuple[float, float]:
    """A point at ``radius`` and ``degrees`` (clockwise from 3 o'clock, y pointing down)."""
    angle = math.radians(degrees)
    return (cx + radius * math.cos(angle), cy + radius * math.sin(angle))


def drop_outline(cx: float, cy: float, radius: float, tip_y: float) -> list[tuple[float, float]]:
    """A drop pointing up: the circle (``cx``, ``cy``, ``radius``) and its tangents from the tip.

    The tangents touch the circle at angle phi either side of straight up, where
    cos(phi) = radius / distance(centre, tip); the outline runs from the right tangent point
    round the bottom to the left one.
    """
    phi = math.acos(radius / (cy - tip_y))
    start = -math.pi / 2 + phi
    end = 3 * math.pi / 2 - phi
    steps = 240
    points = [(cx, tip_y)]
    for i in range(steps + 1):
        theta = start + (end - start) * i / steps
        points.append((cx + radius * math.cos(theta), cy + radius * math.sin(theta)))
    return points


def bolt_outline(cx: float, cy: float, size: float) -> list[tuple[float, float]]:
    """A lightning bolt centred on (``cx``, ``cy``), ``size`` high (unit shape scaled)."""
    unit = [
        (0.02, -0.50),
        (0.30, -0.50),
        (0.10, -0.08),
        (0.30, -0.08),
        (-0.16, 0.50),
        (-0.04, 0.06),
        (-0.24, 0.06),
    ]
    return [(cx + x * size, cy + y * size) for x, y in unit]


def draw_icon(size: int) -> Image.Image:
    """The square icon at ``size`` px: dial, scale, ticks, drop needle and bolt."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = big / 2
    radius = big / 2 - 1

    draw.ellipse((c - radius, c - radius, c + radius, c + radius), fill=RIM)
    face = radius * 0.93
    draw.ellipse((c - face, c - face, c + face, c + face), fill=FACE)

    # The scale: short arcs, each in its own colour, make a smooth cold-to-hot gradient.
    scale_r = radius * 0.76
    width = radius * 0.13
    box = (c - scale_r, c - scale_r, c + scale_r, c + scale_r)
    segments = 180
    for i in range(segments):
        a0 = ARC_START + ARC_SWEEP * i / segments
        a1 = ARC_START + ARC_SWEEP * (i + 1) / segments + 0.6  # overlap: no hairline gaps
        draw.arc(box, a0, a1, fill=_scale_colour(i / (segments - 1)), width=round(width))
    for end, t in ((ARC_START, 0.0), (ARC_START + ARC_SWEEP, 1.0)):  # round the scale's ends
        x, y = _polar(c, c, scale_r - width / 2, end)
        draw.ellipse(
            (x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=_scale_colour(t)
        )

    # Ticks inside the scale, every 27 degrees.
    for i in range(11):
        angle = ARC_START + ARC_SWEEP * i / 10
        inner = _polar(c, c, radius * 0.52, angle)
        outer = _polar(c, c, radius * 0.60, angle)
        draw.line((inner, outer), fill=TICK, width=round(radius * 0.035))

    # The needle: a heat drop pivoting below the centre, its tip towards the scale's top.
    drop_r = radius * 0.30
    drop_cy = c + radius * 0.22
    tip_y = c - radius * 0.56
    edge = radius * 0.035
    draw.polygon(drop_outline(c, drop_cy, drop_r + edge, tip_y - edge * 1.8), fill=DROP_EDGE)
    draw.polygon(drop_outline(c, drop_cy, drop_r, tip_y), fill=DROP)
    draw.polygon(bolt_outline(c, drop_cy - drop_r * 0.05, drop_r * 1.6), fill=BOLT)

    image = image.resize((size, size), Image.Resampling.LANCZOS)
    return _trimmed_square(image, size)


def _trimmed_square(image: Image.Image, size: int) -> Image.Image:
    """Crop transparent margins, then fit into an exact ``size`` square (brands: trimmed)."""
    box = image.getchannel("A").getbbox()
    if box is None:
        return image
    cropped = image.crop(box)
    side = max(cropped.size)
    square = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    square.paste(cropped, ((side - cropped.width) // 2, (side - cropped.height) // 2))
    return square.resize((size, size), Image.Resampling.LANCZOS)


def draw_logo(height: int, text_colour: Colour) -> Image.Image:
    """The wide logo: the icon at full height, then the name, trimmed to its content."""
    icon = draw_icon(height)
    big = height * SUPERSAMPLE
    font = ImageFont.load_default(size=round(big * 0.42))
    stroke = max(1, round(big * 0.012))  # the bundled font is regular; a stroke gives weight
    measure = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
    left, top, right, bottom = measure.textbbox((0, 0), LOGO_TEXT, font=font, stroke_width=stroke)
    gap = round(big * 0.16)
    text_layer = Image.new("RGBA", (right - left + gap, big), (0, 0, 0, 0))
    y = (big - (bottom - top)) / 2 - top
    ImageDraw.Draw(text_layer).text(
        (gap - left, y),
        LOGO_TEXT,
        font=font,
        fill=text_colour,
        stroke_width=stroke,
        stroke_fill=text_colour,
    )
    text_layer = text_layer.resize(
        (round(text_layer.width / SUPERSAMPLE), height), Image.Resampling.LANCZOS
    )
    logo = Image.new("RGBA", (icon.width + text_layer.width, height), (0, 0, 0, 0))
    logo.paste(icon, (0, 0))
    logo.alpha_composite(text_layer, (icon.width, 0))
    box = logo.getchannel("A").getbbox()
    assert box is not None
    return logo.crop((box[0], 0, box[2], height))  # keep the full height: the icon fills it


def main() -> None:
    """Write every brand image, replacing the old ones."""
    BRAND.mkdir(parents=True, exist_ok=True)
    for name, size in ICON_SIZES.items():
        draw_icon(size).save(BRAND / name, optimize=True)
    for name, height in LOGO_HEIGHTS.items():
        draw_logo(height, TEXT_LIGHT_THEME).save(BRAND / name, optimize=True)
        draw_logo(height, TEXT_DARK_THEME).save(BRAND / f"dark_{name}", optimize=True)
    for path in sorted(BRAND.glob("*.png")):
        with Image.open(path) as image:
            print(f"{path.relative_to(ROOT)}: {image.width}x{image.height} {image.mode}")


if __name__ == "__main__":
    main()
