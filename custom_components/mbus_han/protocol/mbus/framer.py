"""Turn a byte stream of arbitrary chunking into whole, valid M-Bus frames.

Serial ports and network gateways hand us bytes in whatever pieces they like: one at a time,
several frames at once, line noise, or an echo of our own request from a level converter. The
framer buffers, yields every frame whose length, stop byte and checksum hold, and resyncs after
junk by dropping one byte and searching for the next start byte, so a corrupt frame never hides
a good one that follows it.
"""

from __future__ import annotations

import re
from array import array
from dataclasses import dataclass
from itertools import accumulate, islice

from ..chunking import pieces
from .frames import (
    ACK,
    LONG_HEADER_LENGTH,
    LONG_START,
    SHORT_FRAME_LENGTH,
    SHORT_START,
    STOP,
    AckFrame,
    Frame,
    parse_frame,
)

_NEXT_START = re.compile(b"[" + re.escape(bytes((ACK, SHORT_START, LONG_START))) + b"]")
_ACK_FRAME = AckFrame()
_MIN_LONG_L = 3  # C, A and CI


@dataclass(slots=True)
class FramerStats:
    """Counters for diagnostics: what came in and what had to be thrown away."""

    frames: int = 0
    discarded_bytes: int = 0
    bad_frames: int = 0  # a frame start whose length, stop byte or checksum failed


class MbusFramer:
    """Incremental M-Bus frame extractor. Feed chunks, get whole frames back.

    Work is linear in the input whatever the bytes. Junk can put a start byte whose header
    and stop byte hold every few bytes, each claiming up to 255 bytes of checksum; the sums
    come from running totals of the buffer instead, each byte added once. Nothing is copied
    until a frame holds, and a large chunk is taken in pieces so the buffer stays small.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        # _totals[i]: sum of the buffer's bytes before offset i (from an arbitrary start),
        # kept as far as a checksum needed it.
        self._totals = array("Q", (0,))
        self.stats = FramerStats()

    @property
    def pending(self) -> int:
        """Bytes buffered that do not yet form a whole frame."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget a partial frame, e.g. after a timeout, so it cannot swallow the next answer."""
        self.stats.discarded_bytes += len(self._buffer)
        self._buffer.clear()
        self._totals = array("Q", (0,))

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[Frame]:
        """Add ``chunk`` to the buffer and return every frame that is now complete."""
        frames: list[Frame] = []
        for piece in pieces(chunk):
            self._buffer += piece
            self._scan(frames)
        return frames

    def _scan(self, frames: list[Frame]) -> None:
        """Append every frame the buffer holds; keep what may still become one."""
        buf = self._buffer
        size = len(buf)
        stats = self.stats
        pos = 0
        while pos < size:
            first = buf[pos]
            if first == ACK:
                frames.append(_ACK_FRAME)
                stats.frames += 1
                pos += 1
                continue
            if first == SHORT_START:
                end = pos + SHORT_FRAME_LENGTH
            elif first == LONG_START:
                if size - pos < LONG_HEADER_LENGTH:
                    break
                length = buf[pos + 1]
                if buf[pos + 2] != length or buf[pos + 3] != LONG_START or length < _MIN_LONG_L:
                    stats.bad_frames += 1
                    stats.discarded_bytes += 1
                    pos += 1
                    continue
                end = pos + length + LONG_HEADER_LENGTH + 2
            else:
                found = _NEXT_START.search(buf, pos)
                skip_to = found.start() if found else size
                stats.discarded_bytes += skip_to - pos
                pos = skip_to
                continue
            if end > size:
                break
            frame = self._frame_at(pos, end)
            if frame is None:
                stats.bad_frames += 1
                stats.discarded_bytes += 1
                pos += 1
                continue
            frames.append(frame)
            stats.frames += 1
            pos = end
        del buf[:pos]
        if len(self._totals) > pos:
            del self._totals[:pos]
        else:
            self._totals = array("Q", (0,))

    def _frame_at(self, start: int, end: int) -> Frame | None:
        """The frame in ``buffer[start:end]`` if its stop byte and checksum hold."""
        buf = self._buffer
        if buf[end - 1] != STOP:
            return None
        body_at = start + 1 if buf[start] == SHORT_START else start + LONG_HEADER_LENGTH
        if self._checksum(body_at, end - 2) != buf[end - 2]:
            return None
        return parse_frame(buf[start:end])  # checks the same again: only whole frames get here

    def _checksum(self, start: int, end: int) -> int:
        """The FT1.2 checksum of ``buffer[start:end]``, from the running totals."""
        totals = self._totals
        known = len(totals) - 1
        if known < end:
            more = accumulate(self._buffer[known:end], initial=totals[known])
            totals.extend(islice(more, 1, None))
        return (totals[end] - totals[start]) & 0xFF
