"""One request/answer exchange on the M-Bus: send a frame, collect what comes back.

This layer knows nothing of meters or retries; it reports faithfully what the line carried:
the first valid frame from a slave, whether junk came with it (a collision or line noise),
and whether our own request was echoed by the level converter (frames with the PRM bit set,
which only a master sends, are skipped). The master decides what that means.

Every exchange ends by an absolute time derived from the baud rate: the answer window plus
the wire time of the longest frame (261 bytes). A frame that has started may stretch the
wait up to that limit, never beyond, so a line that streams bytes without end cannot hold
a poll, a scan or a test read.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from ..errors import FrameError
from .framer import MbusFramer
from .frames import (
    LONG_HEADER_LENGTH,
    MAX_LONG_FRAME_LENGTH,
    Frame,
    encode_frame,
    frame_length,
)
from .timing import BusTiming


class ByteChannel(Protocol):
    """What the link needs from a port (:class:`~..transport.SerialPort` fits)."""

    async def read(self) -> bytes:
        """Wait for and return the next received bytes."""
        ...

    def write(self, data: bytes) -> None:
        """Queue bytes for sending."""

    def discard_input(self) -> None:
        """Drop received bytes nobody has read."""


@dataclass(frozen=True, slots=True)
class Reception:
    """What the line carried after one request."""

    frame: Frame | None  # the first valid frame from a slave, if any
    garbled: bool  # bytes that formed no valid frame: collision or noise
    echo: bool  # our own request came back (level converter echo)
    raw: bytes  # what was received (the first MAX_RAW_KEPT bytes), for diagnostics
    overrun: bool = False  # the line was still sending when the exchange's limit passed


MAX_RAW_KEPT = 4 * MAX_LONG_FRAME_LENGTH  # enough to see what went wrong; junk past it is counted


@dataclass(slots=True)
class LinkStats:
    """Counters for diagnostics and benchmarks."""

    requests: int = 0
    answers: int = 0
    silences: int = 0
    garbled: int = 0
    echoes: int = 0
    overruns: int = 0  # exchanges ended by their absolute limit with the line still sending
    dropped_bytes: int = 0  # received bytes beyond MAX_RAW_KEPT, not kept for diagnostics


class MbusLink:
    """Sends one frame at a time over ``channel`` and collects the answer within the timing."""

    def __init__(self, channel: ByteChannel, timing: BusTiming) -> None:
        self.channel = channel
        self.timing = timing
        self.stats = LinkStats()

    async def exchange(
        self, request: Frame, *, expect_answer: bool = True, whole_window: bool = False
    ) -> Reception:
        """Flush stale input, send ``request`` and collect the answer (or the silence).

        Normally the first valid frame ends the exchange. With ``whole_window`` (probes) the
        link listens until the answer window closes: a second answer, even a clean one from
        a slave with a longer answer delay, marks the reception as garbled (several slaves).
        """
        encoded = encode_frame(request)
        self.channel.discard_input()
        self.channel.write(encoded)
        self.stats.requests += 1
        loop = asyncio.get_running_loop()
        if not expect_answer:  # broadcast 255: wait until the request has left the wire
            await asyncio.sleep(self.timing.wire_time(len(encoded)))
            return Reception(None, garbled=False, echo=False, raw=b"")
        start = loop.time()
        deadline = start + self.timing.answer_timeout(len(encoded))
        limit = start + self.timing.exchange_limit(len(encoded), MAX_LONG_FRAME_LENGTH)
        return await self._collect(deadline, limit, whole_window=whole_window)

    async def _collect(self, deadline: float, limit: float, *, whole_window: bool) -> Reception:
        loop = asyncio.get_running_loop()
        framer = MbusFramer()
        raw = bytearray()
        tail = b""  # the last bytes received: the start of a frame still incomplete
        echo = False
        answers: list[Frame] = []
        while (remaining := deadline - loop.time()) > 0:
            try:
                async with asyncio.timeout(remaining):
                    chunk = await self.channel.read()
            except TimeoutError:
                break
            room = MAX_RAW_KEPT - len(raw)
            raw += chunk[:room]
            self.stats.dropped_bytes += max(0, len(chunk) - room)
            tail = (tail + chunk)[-MAX_LONG_FRAME_LENGTH:]
            for frame in framer.feed(chunk):
                if frame.from_master:
                    echo = True
                    self.stats.echoes += 1
                    continue
                answers.append(frame)
                if not whole_window:
                    return self._received(answers, framer, echo, raw)
            if framer.pending:
                # A frame has started: it must now complete at line speed, within the limit.
                missing = _missing_bytes(tail[len(tail) - framer.pending :])
                extended = loop.time() + self.timing.completion_timeout(missing)
                deadline = min(limit, max(deadline, extended))
        overrun = deadline >= limit  # a frame kept starting until the absolute limit
        self.stats.overruns += overrun
        return self._received(answers, framer, echo, raw, overrun=overrun)

    def _received(
        self,
        answers: list[Frame],
        framer: MbusFramer,
        echo: bool,
        raw: bytearray,
        *,
        overrun: bool = False,
    ) -> Reception:
        garbled = framer.pending > 0 or framer.stats.discarded_bytes > 0 or len(answers) > 1
        if answers:
            self.stats.answers += 1
        elif not garbled:
            self.stats.silences += 1
        self.stats.garbled += garbled
        frame = answers[0] if answers else None
        return Reception(frame, garbled=garbled, echo=echo, raw=bytes(raw), overrun=overrun)

    async def wait_for_silence(self) -> None:
        """Read and drop bytes until the line has been quiet for the answer window.

        After a garbled answer a slave may still be talking; a request sent now would collide.
        Bounded by the wire time of the longest frame.
        """
        loop = asyncio.get_running_loop()
        limit = loop.time() + self.timing.wire_time(MAX_LONG_FRAME_LENGTH) + self.timing.idle_time()
        while (remaining := min(limit - loop.time(), self.timing.idle_time())) > 0:
            try:
                async with asyncio.timeout(remaining):
                    await self.channel.read()
            except TimeoutError:
                return


def _missing_bytes(partial: bytes | bytearray) -> int:
    """Bytes still to come for the partial frame ``partial`` (at least one)."""
    try:
        total = frame_length(partial)
    except FrameError:
        total = None
    if total is None:
        total = LONG_HEADER_LENGTH
    return max(1, total - len(partial))
