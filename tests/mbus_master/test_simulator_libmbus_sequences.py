"""The simulator answers the byte sequences libmbus's TCP tools send (raw socket, not our master).

libmbus is not packaged in Debian, so its tools cannot run in CI; these are the frames they
put on the wire (mbus-protocol-aux.c): mbus-tcp-scan pings each address with SND_NKE 0x40,
mbus-tcp-request-data reads with REQ_UD2 0x7B (FCV+FCB) and toggles FCB while DIF 0x1F
announces more, mbus-tcp-scan-secondary sends SND_NKE to 253 and 255 first, then selects
16-digit masks and reads the selected meter with REQ_UD2 0x5B at 253.

mbus_frame_select_secondary_pack (mbus-protocol.c) builds the selection: control
SND_UD | DIR_M2S | FCB = 0x53 | 0x40 | 0x20 = 0x73, address 253 (0xFD), CI 0x52, then the
address text packed into 8 data bytes: data[7] = digits 14-15 (medium), data[6] = digits 12-13
(version), data[4] = digits 8-9 and data[5] = digits 10-11 (the manufacturer bytes in the
order they are written), data[3..0] = the ID digits in pairs, first pair in data[3].
"""

import asyncio

import pytest

from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer
from custom_components.mbus_han.protocol.mbus.frames import AckFrame, LongFrame, encode_frame
from custom_components.mbus_han.protocol.mbus.master import MbusMaster, parse_address
from custom_components.mbus_han.protocol.mbus.requests import select_secondary
from custom_components.mbus_han.protocol.mbus.simulator import (
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.telegram import decode_long_frame
from custom_components.mbus_han.protocol.transport import SerialSettings

# mbus_frame_select_secondary_pack(frame, "12345678824D1A04"), by hand from its source:
# 68 L L 68, C 73, A FD, CI 52, data 78 56 34 12 | 82 4D | 1A | 04, checksum, 16.
# Checksum (calc_checksum: C + A + CI + data, mod 256):
# 0x73 + 0xFD + 0x52 + 0x78 + 0x56 + 0x34 + 0x12 + 0x82 + 0x4D + 0x1A + 0x04 = 0x3C3 -> 0xC3.
LIBMBUS_SELECT_12345678824D1A04 = "68 0B 0B 68 73 FD 52 78 56 34 12 82 4D 1A 04 C3 16"


class RawClient:
    """A bare TCP client that sends hex and collects frames, like libmbus's tcp backend."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.framer = MbusFramer()

    async def send(self, hex_text, *, timeout=0.2):
        self.writer.write(bytes.fromhex(hex_text))
        await self.writer.drain()
        frames = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    frames += self.framer.feed(await self.reader.read(4096))
                    if frames and isinstance(frames[-1], LongFrame | AckFrame):
                        # collect anything arriving right behind (a second slave)
                        await asyncio.sleep(0.02)
                        return frames
        except TimeoutError:
            return frames


@pytest.fixture
async def libmbus_client(socket_enabled):
    meters = [
        SimulatedMeter(HeatMeterModel(Identity(12345678, "SLB", 0x1A, 4), history=True), 0),
        SimulatedMeter(HeatMeterModel(Identity(87654321, "SLB", 0x1A, 4)), 9),
    ]
    bus = SimulatedBus(meters, SimulatorTiming.instant(2400))
    server = await bus.start_tcp("127.0.0.1", 0)
    reader, writer = await asyncio.open_connection("127.0.0.1", server.sockets[0].getsockname()[1])
    yield RawClient(reader, writer)
    writer.close()
    await writer.wait_closed()
    await bus.close()


async def test_mbus_tcp_scan_pings(libmbus_client):
    found = []
    for address in range(12):
        body = bytes((0x40, address))
        frame = f"10 40 {address:02X} {sum(body) & 0xFF:02X} 16"
        if await libmbus_client.send(frame, timeout=0.05) == [AckFrame()]:
            found.append(address)
    assert found == [0, 9]


async def test_mbus_tcp_request_data_multi_telegram(libmbus_client):
    first = await libmbus_client.send("10 7B 00 7B 16")  # REQ_UD2, FCV+FCB, no reset before
    (frame,) = first
    telegram = decode_long_frame(frame)
    assert telegram.header.id == 12345678
    assert telegram.more_records_follow
    (second,) = await libmbus_client.send("10 5B 00 5B 16")  # FCB toggled
    assert not decode_long_frame(second).more_records_follow
    assert decode_long_frame(second).records[0].storage == 2


async def test_mbus_tcp_scan_secondary(libmbus_client):
    # init_slaves: deselect (SND_NKE 253), reset all without reply (SND_NKE 255)
    assert await libmbus_client.send("10 40 FD 3D 16", timeout=0.05) == []
    assert await libmbus_client.send("10 40 FF 3F 16", timeout=0.05) == []

    async def select(mask):
        data = bytes.fromhex(mask[6:8] + mask[4:6] + mask[2:4] + mask[0:2] + "FFFFFFFF")
        body = bytes((0x53, 0xFD, 0x52)) + data
        frame = bytes((0x68, 11, 11, 0x68)) + body + bytes((sum(body) & 0xFF, 0x16))
        return await libmbus_client.send(frame.hex(), timeout=0.05)

    # The all-wildcard mask reaches both meters: libmbus sees a collision or two acks.
    both = await select("FFFFFFFF")
    assert both != [AckFrame()]
    assert await select("1FFFFFFF") == [AckFrame()]
    (frame,) = await libmbus_client.send("10 5B FD 58 16")  # REQ_UD2 to 253
    # libmbus's mbus_frame_get_secondary_address: ID, manufacturer bytes as sent, version, medium
    assert decode_long_frame(frame).header.secondary_address == "12345678824D1A04"
    assert await select("8FFFFFFF") == [AckFrame()]
    (frame,) = await libmbus_client.send("10 5B FD 58 16")
    assert decode_long_frame(frame).header.id == 87654321
    assert await select("2FFFFFFF") == []


async def test_libmbus_selects_our_meter_by_full_16_digit_address(libmbus_client):
    assert await libmbus_client.send("10 40 FD 3D 16", timeout=0.05) == []
    assert await libmbus_client.send(LIBMBUS_SELECT_12345678824D1A04, timeout=0.05) == [AckFrame()]
    (frame,) = await libmbus_client.send("10 5B FD 58 16")  # REQ_UD2 to 253
    assert decode_long_frame(frame).header.id == 12345678
    # The 15-bit code in place of the wire bytes (4D 82) names no meter on this bus.
    wrong = bytes.fromhex(LIBMBUS_SELECT_12345678824D1A04)
    wrong = wrong[:11] + bytes((0x4D, 0x82)) + wrong[13:]  # same bytes, so same checksum
    assert await libmbus_client.send(wrong.hex(), timeout=0.05) == []


async def test_our_master_selects_with_libmbus_address_text(socket_enabled):
    libmbus_frame = bytes.fromhex(LIBMBUS_SELECT_12345678824D1A04)
    ours = encode_frame(select_secondary(parse_address("12345678824D1A04")))
    # Same address bytes as libmbus packs; only the control byte's FCB differs (0x53/0x73).
    assert ours[5:-2] == libmbus_frame[5:-2]
    meters = [
        SimulatedMeter(HeatMeterModel(Identity(12345678, "SLB", 0x1A, 4)), 0),
        SimulatedMeter(HeatMeterModel(Identity(12345678, "KAM", 0x1A, 4)), 1),
    ]
    async with SimulatedBus(meters, SimulatorTiming.instant(2400)) as bus:
        server = await bus.start_tcp("127.0.0.1", 0)
        url = f"socket://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        master = await MbusMaster.open(url, SerialSettings(2400), retries=0)
        try:
            # Two meters share the ID: only the manufacturer bytes tell them apart.
            reading = await master.read(parse_address("12345678824D1A04"))
            assert reading.telegram.header.manufacturer == "SLB"
            # KAM: 11 * 1024 + 1 * 32 + 13 = 0x2C2D, sent as 2D 2C.
            reading = await master.read(parse_address("123456782D2C1A04"))
            assert reading.telegram.header.manufacturer == "KAM"
        finally:
            await master.close()
