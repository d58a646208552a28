"""Access to libmbus's reference telegrams, vendored in ``tests/fixtures/mbus/libmbus``.

Provenance and licence (BSD, rSCADA / Raditex Control) are in ``tests/fixtures/mbus/README.md``.
"""

from __future__ import annotations

from pathlib import Path

LIBMBUS = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "mbus" / "libmbus"
TEST_FRAMES = LIBMBUS / "test-frames"
ERROR_FRAMES = LIBMBUS / "error-frames"
UNSUPPORTED_FRAMES = LIBMBUS / "unsupported-frames"


def read_hex(path: Path) -> bytes:
    """The telegram in ``path``: space-separated hex bytes."""
    return bytes.fromhex(path.read_text())


def reference_frame_names() -> list[str]:
    """Names (without .hex) of every reference telegram that has libmbus's decoding."""
    return sorted(p.name.removesuffix(".hex") for p in TEST_FRAMES.glob("*.hex"))


def all_corpus_telegrams() -> list[bytes]:
    """Every telegram of the corpus that is valid hex (good, error and unsupported)."""
    telegrams = []
    for folder in (TEST_FRAMES, ERROR_FRAMES, UNSUPPORTED_FRAMES):
        for path in sorted(folder.glob("*.hex")):
            try:
                telegrams.append(read_hex(path))
            except ValueError:
                continue  # manual_frame1.hex is not hex; tested on its own
    return telegrams
