"""Turn a byte stream of arbitrary chunking into whole, valid M-Bus frames.

Serial ports and network gateways hand us bytes in whatever pieces they like: one at a time,
several frames at once, line noise, or an echo of our own request from a level converter. The
framer buffers, yields every frame whose length, stop byte and checksum hold, and resyncs after
junk by dropping one byte and searching for the next start byte, so a corrupt frame never hides
a good one that follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import FrameError
from .frames import ACK, LONG_START, SHORT_START, Frame, frame_length, parse_frame

_START_BYTES = bytes((ACK, SHORT_START, LONG_START))


@dataclass(slots=True)
class FramerStats:
    """Counters for diagnostics: what came in and what had to be thrown away."""

    frames: int = 0
    discarded_bytes: int = 0
    bad_frames: int = 0  # a frame start whose length, stop byte or checksum failed


class MbusFramer:
    """Incremental M-Bus frame extractor. Feed chunks, get whole frames back."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self.stats = FramerStats()

    @property
    def pending(self) -> int:
        """Bytes buffered that do not yet form a whole frame."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget a partial frame, e.g. after a timeout, so it cannot swallow the next answer."""
        self.stats.discarded_bytes += len(self._buffer)
        self._buffer.clear()

    def feed(self, chunk: bytes | bytearray | memoryview) -> list[Frame]:
        """Add ``chunk`` to the buffer and return every frame that is now complete."""
        buffer = self._buffer
        buffer += chunk
        frames: list[Frame] = []
        while buffer:
            if buffer[0] not in _START_BYTES:
                self._skip_to_next_start()
                continue
            try:
                length = frame_length(buffer)
            except FrameError:
                self._drop_bad_start()
                continue
            if length is None or len(buffer) < length:
                break
            try:
                frame = parse_frame(buffer[:length])
            except FrameError:
                self._drop_bad_start()
                continue
            del buffer[:length]
            self.stats.frames += 1
            frames.append(frame)
        return frames

    def _skip_to_next_start(self) -> None:
        buffer = self._buffer
        positions = [p for p in (buffer.find(b) for b in _START_BYTES) if p >= 0]
        cut = min(positions) if positions else len(buffer)
        self.stats.discarded_bytes += cut
        del buffer[:cut]

    def _drop_bad_start(self) -> None:
        self.stats.bad_frames += 1
        self.stats.discarded_bytes += 1
        del self._buffer[:1]
