"""What hostile lines and odd meters do to reads and scans (issue 11, items 3, 6 and 7).

- A line that streams long frames with bad checksums forever must not hold a read, a probe or
  a scan: every exchange ends by the answer window plus the wire time of the longest frame
  (EN 13757-2: the answer starts within 330 bit times; a long frame is at most 261 bytes).
- A meter whose records do not decode is still found by a secondary scan: the scan needs only
  the 12-byte long header (EN 13757-3, CI 0x72).
- A meter that announces more records (DIF 0x1F) but repeats its one telegram keeps what it
  sent, marked incomplete.
"""

import asyncio
from pathlib import Path

import pytest

from custom_components.mbus_han.protocol.errors import CollisionError, DecodeError
from custom_components.mbus_han.protocol.mbus.encode import Identity, long_header
from custom_components.mbus_han.protocol.mbus.master import MbusMaster
from custom_components.mbus_han.protocol.mbus.requests import SecondaryAddress
from custom_components.mbus_han.protocol.mbus.scan import scan_secondary
from custom_components.mbus_han.protocol.mbus.simulator import ReplaySource, SimulatedMeter
from custom_components.mbus_han.protocol.mbus.simulator.sources import Payload
from custom_components.mbus_han.protocol.mbus.telegram import CI_LONG_HEADER, decode_user_data
from custom_components.mbus_han.protocol.mbus.timing import BusTiming

LIBMBUS = Path(__file__).resolve().parents[1] / "fixtures" / "mbus" / "libmbus"
# Issue 11, item 3: a long frame of L = 255 with zero data and a wrong checksum (sum 0 + ...).
JUNK_FRAME = b"\x68\xff\xff\x68" + bytes(255) + b"\x01\x16"
LONGEST_FRAME = 261
BAUD = 38400


class StreamingLine:
    """A TCP gateway that dumps junk frames in 100-byte pieces, far faster than the line."""

    CHUNK = 100

    def __init__(self, timing: BusTiming) -> None:
        self.timing = timing
        self.requests = 0
        self.sent = 0

    async def read(self) -> bytes:
        await asyncio.sleep(0)  # always more: however late the loop is, the line has sent more
        start = self.sent % len(JUNK_FRAME)  # frames back to back, cut anywhere
        piece = (JUNK_FRAME * 2)[start : start + self.CHUNK]
        self.sent += len(piece)
        return piece

    def write(self, data: bytes) -> None:
        self.requests += 1

    def discard_input(self) -> None:
        """Nothing waits unread: every read produces fresh bytes."""


def _streaming_master(retries: int = 2) -> tuple[MbusMaster, StreamingLine, BusTiming]:
    timing = BusTiming(BAUD, 11, 0.02)
    line = StreamingLine(timing)
    return MbusMaster(line, timing, retries=retries), line, timing


def _exchange_bound(timing: BusTiming, request_bytes: int) -> float:
    # Hand-derived from EN 13757-2: request on the wire, 330 bit times of answer window, one
    # character, then the longest frame plus two characters of slack; margin twice.
    return (
        (request_bytes + 1 + LONGEST_FRAME + 2) * 11 / BAUD + 330 / BAUD + 2 * timing.extra_margin
    )


def _silence_bound(timing: BusTiming) -> float:
    return LONGEST_FRAME * 11 / BAUD + 330 / BAUD + timing.extra_margin


async def test_a_line_streaming_junk_frames_ends_the_read() -> None:
    master, line, timing = _streaming_master()
    loop = asyncio.get_running_loop()
    start = loop.time()
    # Before the fix one exchange never ended; "finished at all" is the real assertion.
    async with asyncio.timeout(10):
        with pytest.raises(CollisionError, match="still sending"):
            await master.read(5)
    elapsed = loop.time() - start
    assert line.requests == 3  # SND_NKE and two retries, nothing more
    assert master.link.stats.overruns == 3
    # In protocol time: three exchanges and two waits for silence, plus scheduling slack.
    bound = 3 * _exchange_bound(timing, 5) + 2 * _silence_bound(timing)
    assert elapsed < 2 * bound + 0.5


async def test_a_line_streaming_junk_frames_ends_a_probe_and_a_selected_read() -> None:
    master, line, _ = _streaming_master(retries=0)
    async with asyncio.timeout(10):
        await master.probe_secondary(SecondaryAddress("FFFFFFFF"))
        with pytest.raises(CollisionError):
            await master.read_selected()
    assert line.requests == 2


class NoisyLine:
    """Every request is answered by a burst of noise (no frame start): always garbled."""

    def __init__(self) -> None:
        self.requests = 0
        self._noise: asyncio.Queue[bytes] = asyncio.Queue()

    async def read(self) -> bytes:
        return await self._noise.get()

    def write(self, data: bytes) -> None:
        self.requests += 1
        self._noise.put_nowait(bytes(20))

    def discard_input(self) -> None:
        while not self._noise.empty():
            self._noise.get_nowait()


async def test_a_line_garbling_every_answer_ends_a_secondary_scan() -> None:
    line = NoisyLine()
    master = MbusMaster(line, BusTiming(BAUD, 11, 0.02))
    async with asyncio.timeout(60):
        with pytest.raises(CollisionError, match="garbles every answer"):
            await scan_secondary(master)
    # Before, every mask collided down to full IDs: 10^8 probes. Now the 17th full ID that
    # collides ends it: 8 probes down to the first, then one per sibling.
    assert line.requests < 60


class _ReservedLvarMeter:
    """A meter whose only record has the reserved LVAR 0xF7 (EN 13757-3 table 5: F7h-FFh)."""

    def __init__(self, identity: Identity) -> None:
        self.identity = identity

    def telegram(self, index: int, access_number: int) -> Payload:
        records = bytes((0x0D, 0x13, 0xF7)) + bytes(8)  # DIF variable length, VIF volume
        return Payload(CI_LONG_HEADER, long_header(self.identity, access_number) + records, False)


async def test_an_undecodable_meter_does_not_abort_the_scan(connect, heat_meter) -> None:
    kamstrup = Identity(71234567, "KAM", 0x1A, 0x04)
    broken = SimulatedMeter(_ReservedLvarMeter(kamstrup), 0)
    with pytest.raises(DecodeError):  # the premise: its telegram really does not decode
        decode_user_data(CI_LONG_HEADER, broken.source.telegram(0, 0).data)
    _, master = await connect([broken, heat_meter(12345678, 0)])
    result = await scan_secondary(master)
    assert sorted(m.identification for m in result.meters) == ["12345678", "71234567"]
    found = next(m for m in result.meters if m.identification == "71234567")
    assert (found.manufacturer, found.version, found.medium) == ("KAM", 0x1A, 0x04)
    assert result.unresolved == []


async def test_a_meter_repeating_its_telegram_keeps_what_it_sent(connect) -> None:
    # The Elvaco CMa10 corpus telegram ends in DIF 0x1F (more records follow); replayed, the
    # meter sends it again for every request. libmbus's decoding lists 12 data records and
    # the DIF 0x1F itself as a 13th ("More records follow").
    source = ReplaySource.from_file(LIBMBUS / "test-frames" / "ELV-Elvaco-CMa10.hex")
    _, master = await connect([SimulatedMeter(source, 3)])
    reading = await master.read(3)
    assert not reading.complete
    assert reading.repeats_detected == master.retries + 1
    assert len(reading.telegrams) == 1
    telegram = reading.telegram
    assert telegram.header.id_text == "24011561"  # libmbus: <Id>24011561</Id>
    assert telegram.header.manufacturer == "ELV"
    assert len(telegram.records) == 12
    assert telegram.more_records_follow
