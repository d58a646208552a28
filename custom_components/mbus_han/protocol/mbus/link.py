"""One request/answer exchange on the M-Bus: send a frame, collect what comes back.

This layer knows nothing of meters or retries; it reports faithfully what the line carried:
the first valid frame from a slave, whether junk came with it (a collision or line noise),
and whether our own request was echoed by the level converter (frames with the PRM bit set,
which only a master sends, are skipped). The master decides what that means.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from ..errors import FrameError
from .framer import MbusFramer
from .frames import LONG_HEADER_LENGTH, Frame, encode_frame, frame_length
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
    raw: bytes  # everything received, for diagnostics


@dataclass(slots=True)
class LinkStats:
    """Counters for diagnostics and benchmarks."""

    requests: int = 0
    answers: int = 0
    silences: int = 0
    garbled: int = 0
    echoes: int = 0


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
        deadline = loop.time() + self.timing.answer_timeout(len(encoded))
        return await self._collect(deadline, whole_window=whole_window)

    async def _collect(self, deadline: float, *, whole_window: bool) -> Reception:
        loop = asyncio.get_running_loop()
        framer = MbusFramer()
        raw = bytearray()
        echo = False
        answers: list[Frame] = []
        while (remaining := deadline - loop.time()) > 0:
            try:
                async with asyncio.timeout(remaining):
                    chunk = await self.channel.read()
            except TimeoutError:
                break
            raw += chunk
            for frame in framer.feed(chunk):
                if frame.from_master:
                    echo = True
                    self.stats.echoes += 1
                    continue
                answers.append(frame)
                if not whole_window:
                    return self._received(answers, framer, echo, raw)
            if framer.pending:
                # A frame has started: it must now complete at line speed.
                missing = _missing_bytes(raw[len(raw) - framer.pending :])
                deadline = max(deadline, loop.time() + self.timing.completion_timeout(missing))
        return self._received(answers, framer, echo, raw)

    def _received(
        self, answers: list[Frame], framer: MbusFramer, echo: bool, raw: bytearray
    ) -> Reception:
        garbled = framer.pending > 0 or framer.stats.discarded_bytes > 0 or len(answers) > 1
        if answers:
            self.stats.answers += 1
        elif not garbled:
            self.stats.silences += 1
        self.stats.garbled += garbled
        frame = answers[0] if answers else None
        return Reception(frame, garbled=garbled, echo=echo, raw=bytes(raw))

    async def wait_for_silence(self) -> None:
        """Read and drop bytes until the line has been quiet for the answer window.

        After a garbled answer a slave may still be talking; a request sent now would collide.
        Bounded by the wire time of the longest frame.
        """
        loop = asyncio.get_running_loop()
        limit = loop.time() + self.timing.wire_time(261) + self.timing.idle_time()
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
