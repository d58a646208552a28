"""The simulator answers the byte sequences libmbus's TCP tools send (raw socket, not our master).

libmbus is not packaged in Debian, so its tools cannot run in CI; these are the frames they
put on the wire (mbus-protocol-aux.c): mbus-tcp-scan pings each address with SND_NKE 0x40,
mbus-tcp-request-data reads with REQ_UD2 0x7B (FCV+FCB) and toggles FCB while DIF 0x1F
announces more, mbus-tcp-scan-secondary sends SND_NKE to 253 and 255 first, then selects
16-digit masks and reads the selected meter with REQ_UD2 0x5B at 253.
"""

import asyncio

import pytest

from custom_components.mbus_han.protocol.mbus.encode import Identity
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer
from custom_components.mbus_han.protocol.mbus.frames import AckFrame, LongFrame
from custom_components.mbus_han.protocol.mbus.simulator import (
    HeatMeterModel,
    SimulatedBus,
    SimulatedMeter,
    SimulatorTiming,
)
from custom_components.mbus_han.protocol.mbus.telegram import decode_long_frame


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
    assert decode_long_frame(frame).header.secondary_address == "123456784D821A04"
    assert await select("8FFFFFFF") == [AckFrame()]
    (frame,) = await libmbus_client.send("10 5B FD 58 16")
    assert decode_long_frame(frame).header.id == 87654321
    assert await select("2FFFFFFF") == []
