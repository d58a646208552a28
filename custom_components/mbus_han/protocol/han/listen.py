"""Listen to a HAN port: read chunks, decode pushes, notice idle lines and silent meters.

The reader is any ``async () -> bytes`` (``SerialPort.read`` in practice), so this core is
tested without a serial library. Two waits, both from the protocol: after
:data:`~.hdlc.IDLE_CHARACTERS` character times without a byte the line is idle, and a frame
still incomplete is given up (:meth:`HanStreamDecoder.flush`); after ``silence_timeout`` without
a valid push the meter is reported silent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from ..errors import DecodeError
from .decoder import HanStreamDecoder
from .hdlc import IDLE_CHARACTERS
from .reading import HanReading

# The slowest list a meter sends is list 2 every 10 s (Kamstrup's only regular push); list 1
# comes every 2-2.5 s. Three missed list-2 pushes mean the meter or the line is gone.
SILENCE_TIMEOUT = 30.0

type Result = HanReading | DecodeError


@dataclass(slots=True)
class ListenOutcome:
    """How listening ended."""

    readings: int = 0
    silent: bool = False  # stopped because nothing valid arrived within the silence timeout


def idle_time(char_time: float) -> float:
    """Seconds without a byte after which a frame in progress cannot continue."""
    return IDLE_CHARACTERS * char_time


async def listen(
    read: Callable[[], Awaitable[bytes]],
    decoder: HanStreamDecoder,
    on_result: Callable[[Result], None],
    *,
    char_time: float,
    count: int | None = None,
    silence_timeout: float | None = SILENCE_TIMEOUT,
    on_silence: Callable[[float], None] | None = None,
) -> ListenOutcome:
    """Decode pushes from ``read`` until ``count`` readings, or silence when no ``on_silence``.

    With ``on_silence`` given, a silent meter is reported (with the seconds since the last
    valid push) and listening goes on; without it, silence ends listening.
    """
    loop = asyncio.get_running_loop()
    outcome = ListenOutcome()
    idle = idle_time(char_time)
    last_valid = loop.time()
    reported_silence = False
    pending = False  # bytes buffered since the last flush

    def deliver(results: list[Result]) -> bool:
        nonlocal last_valid, reported_silence
        for result in results:
            on_result(result)
            if not isinstance(result, DecodeError):
                outcome.readings += 1
                last_valid = loop.time()
                reported_silence = False
                if count is not None and outcome.readings >= count:
                    return True
        return False

    while True:
        wait = idle if pending else None
        if silence_timeout is not None and not reported_silence:
            until_silent = max(0.0, last_valid + silence_timeout - loop.time())
            wait = until_silent if wait is None else min(wait, until_silent)
        try:
            chunk = await asyncio.wait_for(read(), wait)
        except TimeoutError:
            if pending:
                pending = False
                if deliver(decoder.flush()):
                    return outcome
            silent_for = loop.time() - last_valid
            if silence_timeout is not None and silent_for >= silence_timeout:
                if on_silence is None:
                    outcome.silent = True
                    return outcome
                on_silence(silent_for)
                reported_silence = True  # once, until a valid push comes again
            continue
        pending = True
        if deliver(decoder.feed(chunk)):
            return outcome


async def wait_for_push(
    read: Callable[[], Awaitable[bytes]],
    decoders: Sequence[HanStreamDecoder],
    *,
    timeout: float,
    fatal: tuple[type[DecodeError], ...] = (),
) -> tuple[HanStreamDecoder, HanReading]:
    """The first valid push within ``timeout`` seconds, and the decoder that found it.

    Every chunk goes to each decoder (e.g. one per framing a meter may use), so a set-up
    check learns the framing from the first push that checks out. A decode error of a
    ``fatal`` type is raised at once (a wrong key will not get better with the next push);
    other errors (line noise) are skipped. Raises ``TimeoutError`` when nothing valid came.
    """
    async with asyncio.timeout(timeout):
        while True:
            chunk = await read()
            for decoder in decoders:
                for result in decoder.feed(chunk):
                    if isinstance(result, fatal):
                        raise result
                    if isinstance(result, HanReading):
                        return decoder, result
