"""The brand images Home Assistant 2026.x and HACS take from custom_components/mbus_han/brand/.

Home Assistant's brands rules: PNG, transparent background, trimmed, a 256x256 icon
(512x512 at @2x) and a logo whose shortest side is 128-256 px (256-512 at @2x). The images
come from scripts/make_brand_images.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

BRAND = Path(__file__).resolve().parents[2] / "custom_components" / "mbus_han" / "brand"

ICONS = {"icon.png": 256, "icon@2x.png": 512}
LOGOS = {
    "logo.png": (128, 256),
    "logo@2x.png": (256, 512),
    "dark_logo.png": (128, 256),
    "dark_logo@2x.png": (256, 512),
}


def load(name: str) -> Image.Image:
    """Open a brand image and check it is a real PNG with an alpha channel."""
    path = BRAND / name
    assert path.is_file(), f"{path} is missing: run scripts/make_brand_images.py"
    image = Image.open(path)
    image.load()
    assert image.format == "PNG"
    assert image.mode == "RGBA", f"{name} has no alpha channel ({image.mode})"
    return image


def pixels(image: Image.Image) -> list[tuple[int, ...]]:
    """Every pixel as a tuple of its bands, row by row.

    ``Image.getdata`` is deprecated in the Pillow that Home Assistant 2026.x pins, and its
    successor is missing from 2025.4's; the raw bytes serve both.
    """
    bands = len(image.getbands())
    raw = image.tobytes()
    return [tuple(raw[i : i + bands]) for i in range(0, len(raw), bands)]


def assert_trimmed_and_transparent(name: str, image: Image.Image) -> None:
    """Content reaches every edge (no empty margin), and the background is transparent."""
    alpha = image.getchannel("A")
    assert alpha.getbbox() == (0, 0, image.width, image.height), f"{name} is not trimmed"
    assert alpha.getpixel((0, 0)) == 0, f"{name} has an opaque background"
    assert alpha.getpixel((image.width - 1, image.height - 1)) == 0
    assert len(set(pixels(image))) > 50, f"{name} looks empty"


@pytest.mark.parametrize(("name", "size"), ICONS.items())
def test_icons_are_square_transparent_pngs(name: str, size: int) -> None:
    image = load(name)
    assert image.size == (size, size)
    assert_trimmed_and_transparent(name, image)


@pytest.mark.parametrize(("name", "bounds"), LOGOS.items())
def test_logos_are_wide_transparent_pngs(name: str, bounds: tuple[int, int]) -> None:
    image = load(name)
    low, high = bounds
    assert low <= min(image.size) <= high
    assert image.width > 2 * image.height, f"{name} should be a wide logo"
    assert_trimmed_and_transparent(name, image)


def test_the_logo_and_the_icon_show_the_same_mark() -> None:
    """The logo starts with the icon, so the two read as one brand."""
    icon = load("icon.png")
    logo = load("logo.png").crop((0, 0, 256, 256))
    pairs = zip(pixels(icon), pixels(logo), strict=True)
    differing = sum(1 for a, b in pairs if max(abs(x - y) for x, y in zip(a, b, strict=True)) > 8)
    assert differing < 0.01 * 256 * 256
