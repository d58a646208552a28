"""Simulator endpoints: bytes cross a pty and TCP unchanged; pacing follows the baud rate."""

import asyncio
import os

import pytest

from custom_components.mbus_han.protocol.simio import (
    byte_time,
    open_pty,
    serve_tcp,
    write_paced,
)

# Every byte value, including the ones a cooked tty would translate or swallow (CR, LF, ^C, ^D,
# XON/XOFF, DEL): a binary frame must arrive exactly as written.
ALL_BYTES = bytes(range(256))


async def _read_fd(fd: int, count: int, timeout: float = 5.0) -> bytes:
    loop = asyncio.get_running_loop()
    received = bytearray()
    deadline = loop.time() + timeout
    while len(received) < count and loop.time() < deadline:
        try:
            received += os.read(fd, count - len(received))
        except BlockingIOError:
            await asyncio.sleep(0.005)
    return bytes(received)


async def test_pty_carries_binary_both_ways() -> None:
    endpoint = await open_pty()
    try:
        assert os.path.exists(endpoint.path)
        fd = os.open(endpoint.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        try:
            endpoint.writer.write(ALL_BYTES * 20)  # more than one kernel buffer read
            await endpoint.writer.drain()
            assert await _read_fd(fd, len(ALL_BYTES) * 20) == ALL_BYTES * 20

            os.write(fd, ALL_BYTES)
            got = await asyncio.wait_for(endpoint.reader.readexactly(len(ALL_BYTES)), 5)
            assert got == ALL_BYTES
        finally:
            os.close(fd)
    finally:
        await endpoint.close()
    assert endpoint.reader.at_eof()
    with pytest.raises(ConnectionResetError):
        endpoint.writer.write(b"\x00")


async def test_pty_write_before_reader_opens_does_not_fail() -> None:
    async with await open_pty() as endpoint:
        endpoint.writer.write(b"\x7e\xa0\x2a")
        await endpoint.writer.drain()


async def test_tcp_server_echo_on_free_port(socket_enabled: None) -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(await reader.readexactly(len(ALL_BYTES)))
        await writer.drain()
        writer.close()

    server = await serve_tcp("127.0.0.1", 0, echo)
    async with server:
        port = server.sockets[0].getsockname()[1]
        assert port != 0
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(ALL_BYTES)
        await writer.drain()
        assert await asyncio.wait_for(reader.readexactly(len(ALL_BYTES)), 5) == ALL_BYTES
        writer.close()
        await writer.wait_closed()


def test_byte_time_counts_all_bits_of_a_character() -> None:
    assert byte_time(2400) == pytest.approx(11 / 2400)
    assert byte_time(9600, bits_per_char=10) == pytest.approx(10 / 9600)
    with pytest.raises(ValueError, match="positive"):
        byte_time(0)


class _RecordingWriter:
    def __init__(self) -> None:
        self.writes: list[tuple[float, bytes]] = []

    def write(self, data: bytes) -> None:
        self.writes.append((asyncio.get_running_loop().time(), bytes(data)))

    async def drain(self) -> None:
        return None


@pytest.mark.parametrize(("baudrate", "time_scale"), [(None, 1.0), (2400, 0)])
async def test_unpaced_write_is_one_write(baudrate: int | None, time_scale: float) -> None:
    writer = _RecordingWriter()
    await write_paced(writer, ALL_BYTES, baudrate, time_scale)
    assert [data for _, data in writer.writes] == [ALL_BYTES]


async def test_paced_write_takes_at_least_the_wire_time() -> None:
    # 200 bytes at 2400 baud 8E1 take 0.917 s; scaled by 0.1 that is 92 ms. The lower bound is
    # the protocol's own timing, so a slow machine cannot make this fail.
    writer = _RecordingWriter()
    data = ALL_BYTES[:200]
    loop = asyncio.get_running_loop()
    start = loop.time()
    await write_paced(writer, data, 2400, 0.1)
    elapsed = loop.time() - start
    assert b"".join(d for _, d in writer.writes) == data
    assert len(writer.writes) > 1  # sent in slices, not one burst
    assert elapsed >= len(data) * byte_time(2400) * 0.1 * 0.99
    # No slice leaves before the wire could have carried the bytes ahead of it.
    sent = 0
    for when, piece in writer.writes:
        assert when - start >= sent * byte_time(2400) * 0.1 * 0.99
        sent += len(piece)
