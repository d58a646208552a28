"""Take a large chunk of a byte stream in pieces, so a framer's buffer stays small.

A serial port hands over what it has; after a stall, or from a network gateway, that can be
megabytes at once. A framer that appended it whole would hold it all, and every copy it makes
would be as large. Fed piece by piece, a framer buffers at most one frame plus one piece.
"""

from __future__ import annotations

from collections.abc import Iterator

PIECE_SIZE = 4096


type Chunk = bytes | bytearray | memoryview


def pieces(chunk: Chunk) -> Iterator[Chunk]:
    """``chunk`` in slices of at most :data:`PIECE_SIZE` bytes; an empty chunk once, as is."""
    if len(chunk) <= PIECE_SIZE:
        yield chunk
        return
    for start in range(0, len(chunk), PIECE_SIZE):
        yield chunk[start : start + PIECE_SIZE]
