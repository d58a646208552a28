"""The transport: open device paths and URLs, translate failures, close cleanly, reopen."""

import asyncio
import errno
import os

import pytest

from custom_components.mbus_han.protocol.errors import (
    ConnectionFailedError,
    ConnectionLostError,
    PortNotFoundError,
    PortPermissionError,
    TransportError,
)
from custom_components.mbus_han.protocol.simio import open_pty
from custom_components.mbus_han.protocol.transport import SerialSettings, open_port


async def _read_until(port, size: int) -> bytes:
    data = b""
    while len(data) < size:
        data += await asyncio.wait_for(port.read(), 2)
    return data


async def test_pty_round_trip_close_and_reopen():
    pty = await open_pty()
    try:
        for _ in range(2):  # reopening after a clean close works
            async with await open_port(pty.path, SerialSettings()) as port:
                port.write(b"\x10\x40\x00\x40\x16")
                assert await asyncio.wait_for(pty.reader.readexactly(5), 2) == (
                    b"\x10\x40\x00\x40\x16"
                )
                pty.writer.write(b"\xe5")
                assert await _read_until(port, 1) == b"\xe5"
            assert not port.is_open
            with pytest.raises(TransportError, match="closed"):
                port.write(b"x")
            await port.close()  # closing twice is harmless
    finally:
        await pty.close()


async def test_discard_input_drops_stale_bytes():
    pty = await open_pty()
    try:
        async with await open_port(pty.path) as port:
            pty.writer.write(b"stale")
            await asyncio.sleep(0.05)
            port.discard_input()
            pty.writer.write(b"\xe5")
            assert await _read_until(port, 1) == b"\xe5"
    finally:
        await pty.close()


async def test_missing_device_is_reported():
    with pytest.raises(PortNotFoundError, match="no such device"):
        await open_port("/dev/ttyDOES_NOT_EXIST", SerialSettings())


async def test_regular_file_is_not_a_serial_port(tmp_path):
    path = tmp_path / "file"
    path.write_bytes(b"")
    with pytest.raises(TransportError, match="not a serial port"):
        await open_port(str(path), SerialSettings())


@pytest.mark.skipif(os.geteuid() == 0, reason="root opens any device")
async def test_permission_denied_names_dialout(tmp_path):
    pty = await open_pty()
    try:
        os.chmod(pty.path, 0o600)
        os.chown(pty.path, 0, 0)
        with pytest.raises(PortPermissionError, match="dialout"):
            await open_port(pty.path, SerialSettings())
    finally:
        await pty.close()


def test_permission_error_translation():
    # As root the OS never refuses, so check the translation of the OS error directly.
    from custom_components.mbus_han.protocol.transport import _open_error

    error = _open_error("/dev/ttyUSB0", PermissionError(errno.EACCES, "Permission denied"), 1)
    assert isinstance(error, PortPermissionError)
    assert "dialout" in str(error)


async def test_refused_connection_is_reported(socket_enabled):
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port_number = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionFailedError, match="cannot connect"):
        await open_port(f"socket://127.0.0.1:{port_number}", SerialSettings())


async def test_unknown_scheme_is_reported():
    with pytest.raises(TransportError, match="unsupported port URL"):
        await open_port("foo://127.0.0.1:1", SerialSettings())


async def test_dropped_connection_raises_connection_lost(socket_enabled):
    writers = []

    async def handle(reader, writer):
        writers.append(writer)
        writer.write(b"\xe5")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port_number = server.sockets[0].getsockname()[1]
    try:
        port = await open_port(f"socket://127.0.0.1:{port_number}", SerialSettings())
        assert port.is_network
        assert await _read_until(port, 1) == b"\xe5"
        with pytest.raises(ConnectionLostError):
            await asyncio.wait_for(port.read(), 2)
        with pytest.raises(ConnectionLostError):
            port.write(b"\x10\x40\x00\x40\x16")
        await port.close()
    finally:
        server.close()
        await server.wait_closed()


async def test_unplugged_device_raises_connection_lost():
    pty = await open_pty()
    port = await open_port(pty.path, SerialSettings())
    try:
        await pty.close()  # the far end disappears, like a USB adapter pulled out
        with pytest.raises(ConnectionLostError):
            await asyncio.wait_for(port.read(), 2)
    finally:
        await port.close()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baudrate": 0}, "baud"),
        ({"bytesize": 9}, "byte size"),
        ({"parity": "X"}, "parity"),
        ({"stopbits": 3}, "stop bits"),
    ],
)
def test_settings_reject_nonsense(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SerialSettings(**kwargs)


def test_settings_character_time():
    settings = SerialSettings(parity="e")
    assert settings.parity == "E"
    assert settings.bits_per_char == 11
    assert settings.char_time() == pytest.approx(11 / 2400)
    assert SerialSettings(9600, parity="N").bits_per_char == 10
