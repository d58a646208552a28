"""The framers' work grows linearly with the input, whatever the bytes (issue 15).

Work is counted, not timed: Python lines run in the protocol package (``sys.monitoring``), plus
every byte handed to the C routines that walk ranges of bytes: CRC (``binascii.crc_hqx``),
checksum sums, and the scans for the next start byte or flag. A framer that re-scans or
re-checks its buffer per byte (a quadratic one) needs far more than 8 times the work for 8 times
the bytes, and one that checks a 2 KiB frame candidate every few bytes needs hundreds of units
per byte; both fail here. The streams are those of ``benchmarks/adversarial_streams.py``.
"""

from __future__ import annotations

import binascii
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

import pytest

from benchmarks.adversarial_streams import CONSUMERS, STREAMS
from custom_components.mbus_han.protocol import mbus
from custom_components.mbus_han.protocol.han import hdlc
from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder
from custom_components.mbus_han.protocol.han.hdlc import HdlcFramer
from custom_components.mbus_han.protocol.mbus import framer, frames

PROTOCOL_DIR = str(Path(mbus.__file__).resolve().parents[1])
SMALL = 8192  # well beyond the largest frame (2 KiB), whose tail is not yet linear
GROWTH = 8
# Linear work plus a fixed start-up: 8x the bytes may cost up to 9x the work.
MAX_GROWTH = 9.0
# Units of work per input byte (lines + bytes walked in C). The framers need up to about 20;
# checking a 2 KiB HDLC candidate from scratch every 8 bytes would need over 250.
MAX_WORK_PER_BYTE = 60

M_BUS_STREAMS = [
    name for name in STREAMS if name.startswith(("all 0x68", "68", "10", "M-Bus", "random"))
]
HDLC_STREAMS = [name for name in STREAMS if name not in M_BUS_STREAMS or name == "random"]
# The stream decoders run the framers (the M-Bus master's link layer runs the same M-Bus framer).
CASES = [
    *((stream, "HAN decoder, M-Bus") for stream in M_BUS_STREAMS),
    *((stream, "HAN decoder, HDLC") for stream in HDLC_STREAMS),
]


@dataclass
class Work:
    """What feeding a stream cost."""

    lines: int = 0
    walked: int = 0  # bytes the C routines went through

    @property
    def total(self) -> int:
        return self.lines + self.walked


class CountingBuffer(bytearray):
    """A framer buffer whose scans report how far they looked."""

    work: Work

    def find(self, sub: Any, start: Any = None, end: Any = None) -> int:
        found = super().find(sub, start, end)
        begin = 0 if start is None else start
        self.work.walked += (found if found >= 0 else len(self)) - begin + 1
        return found


class CountingPattern:
    """A compiled pattern whose searches report how far they looked."""

    def __init__(self, pattern: Any, work: Work) -> None:
        self._pattern = pattern
        self._work = work

    def search(self, data: Any, pos: int = 0) -> Any:
        found = self._pattern.search(data, pos)
        self._work.walked += (found.start() if found else len(data)) - pos + 1
        return found


def _counting(function: Callable[..., Any], work: Work) -> Callable[..., Any]:
    def counted(data: Any, *args: Any, **kwargs: Any) -> Any:
        work.walked += len(data)
        return function(data, *args, **kwargs)

    return counted


@contextmanager
def measuring(monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    """Count the work done inside the block."""
    work = Work()
    buffer_class = type("Buffer", (CountingBuffer,), {"work": work})
    monkeypatch.setattr(binascii, "crc_hqx", _counting(binascii.crc_hqx, work))
    monkeypatch.setattr(frames, "checksum", _counting(frames.checksum, work))
    monkeypatch.setattr(framer, "bytearray", buffer_class, raising=False)
    monkeypatch.setattr(hdlc, "bytearray", buffer_class, raising=False)
    if hasattr(framer, "accumulate"):
        monkeypatch.setattr(framer, "accumulate", _counting(framer.accumulate, work))
    if hasattr(framer, "_NEXT_START"):
        monkeypatch.setattr(framer, "_NEXT_START", CountingPattern(framer._NEXT_START, work))

    monitoring = sys.monitoring
    tool = next(i for i in range(6) if monitoring.get_tool(i) is None)

    def on_line(code: CodeType, _line: int) -> Any:
        if not code.co_filename.startswith(PROTOCOL_DIR):
            return monitoring.DISABLE
        work.lines += 1
        return None

    monitoring.use_tool_id(tool, "framer work")
    monitoring.register_callback(tool, monitoring.events.LINE, on_line)
    monitoring.set_events(tool, monitoring.events.LINE)
    try:
        yield work
    finally:
        monitoring.set_events(tool, monitoring.events.NO_EVENTS)
        monitoring.register_callback(tool, monitoring.events.LINE, None)
        monitoring.free_tool_id(tool)
        monitoring.restart_events()
        monkeypatch.undo()


def _feed(consumer: str, data: bytes, chunk: int) -> None:
    """Feed ``data`` in chunks, then let the line go idle (frame starts still waiting for
    bytes are given up, as after a silence; else their work would go uncounted)."""
    fed = CONSUMERS[consumer]()
    for start in range(0, len(data), chunk):
        fed.feed(data[start : start + chunk])
    if isinstance(fed, HdlcFramer | HanStreamDecoder):
        fed.flush()


def _work(monkeypatch: pytest.MonkeyPatch, consumer: str, data: bytes, chunk: int) -> Work:
    with measuring(monkeypatch) as work:
        _feed(consumer, data, chunk)
    return work


@pytest.mark.parametrize("chunk", [512, 1 << 20], ids=["512 B chunks", "one chunk"])
@pytest.mark.parametrize(("stream", "consumer"), CASES)
def test_work_is_linear_in_the_input(
    monkeypatch: pytest.MonkeyPatch, stream: str, consumer: str, chunk: int
) -> None:
    _feed(consumer, STREAMS[stream](SMALL), chunk)  # fill lookup tables and caches first
    small = _work(monkeypatch, consumer, STREAMS[stream](SMALL), chunk)
    large = _work(monkeypatch, consumer, STREAMS[stream](SMALL * GROWTH), chunk)
    assert large.total <= MAX_GROWTH * small.total, (small, large)
    assert large.total <= MAX_WORK_PER_BYTE * SMALL * GROWTH, large
