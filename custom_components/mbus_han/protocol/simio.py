"""Endpoints and wire pacing for the meter simulators (M-Bus and HAN).

A simulator plays the meter: it writes bytes the way a meter puts them on the wire and reads what
a master sends. It can sit behind a pseudo-terminal (so any serial library, including ours, opens
``PtyEndpoint.path`` like a USB adapter) or behind a TCP server (``socket://host:port``).
Everything runs on the event loop: the pty master is non-blocking and served by
``loop.add_reader``/``add_writer``, never by a thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import termios
import tty
from collections.abc import Awaitable, Callable
from typing import Protocol

_READ_SIZE = 4096
# Pacing writes whole slices of about this duration: fine enough for inter-character timing at
# 2400 baud to look real, coarse enough not to wake the loop for every byte.
_PACING_SLICE_S = 0.02


class ByteWriter(Protocol):
    """What :func:`write_paced` needs: ``asyncio.StreamWriter`` and :class:`PtyWriter` fit."""

    def write(self, data: bytes) -> None:
        """Queue ``data`` for sending."""

    async def drain(self) -> None:
        """Wait until the queued data has been handed to the operating system."""


class PtyWriter:
    """Writes to the pty master without blocking; ``drain`` waits for the kernel to take it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self._loop = loop
        self._fd = fd
        self._buffer = bytearray()
        self._drained: asyncio.Future[None] | None = None
        self._closed = False

    def write(self, data: bytes) -> None:
        """Send ``data`` now as far as the kernel takes it; queue the rest."""
        if self._closed:
            raise ConnectionResetError("pty endpoint is closed")
        if not data:
            return
        if self._buffer:
            self._buffer += data
            return
        sent = self._write_some(data)
        if sent < len(data):
            self._buffer += data[sent:]
            self._loop.add_writer(self._fd, self._on_writable)

    async def drain(self) -> None:
        """Wait until every queued byte has gone to the kernel."""
        if not self._buffer or self._closed:
            return
        if self._drained is None or self._drained.done():
            self._drained = self._loop.create_future()
        await asyncio.shield(self._drained)

    def close(self) -> None:
        """Drop unsent bytes and stop writing."""
        if self._closed:
            return
        self._closed = True
        if self._buffer:
            self._loop.remove_writer(self._fd)
            self._buffer.clear()
        self._wake_drain()

    def _write_some(self, data: bytes | bytearray) -> int:
        try:
            return os.write(self._fd, data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError:  # EIO: nobody has the slave open; a real line drops the bytes too
            return len(data)

    def _on_writable(self) -> None:
        sent = self._write_some(self._buffer)
        del self._buffer[:sent]
        if not self._buffer:
            self._loop.remove_writer(self._fd)
            self._wake_drain()

    def _wake_drain(self) -> None:
        if self._drained is not None and not self._drained.done():
            self._drained.set_result(None)


class PtyEndpoint:
    """A pseudo-terminal: the simulator holds the master, a reader opens :attr:`path`."""

    def __init__(self, loop: asyncio.AbstractEventLoop, master_fd: int, slave_fd: int) -> None:
        self._loop = loop
        self._master_fd = master_fd
        # Holding the slave open keeps the master usable (no EIO) before and between the times
        # a reader has the device open.
        self._slave_fd = slave_fd
        self.path: str = os.ttyname(slave_fd)
        self.reader = asyncio.StreamReader()
        self.writer = PtyWriter(loop, master_fd)
        self._closed = False
        loop.add_reader(master_fd, self._on_readable)

    def _on_readable(self) -> None:
        try:
            data = os.read(self._master_fd, _READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if data:
            self.reader.feed_data(data)
        else:
            self._loop.remove_reader(self._master_fd)
            self.reader.feed_eof()

    async def close(self) -> None:
        """Stop reading and writing and release both file descriptors."""
        if self._closed:
            return
        self._closed = True
        self._loop.remove_reader(self._master_fd)
        self.writer.close()
        if not self.reader.at_eof():
            self.reader.feed_eof()
        for fd in (self._master_fd, self._slave_fd):
            with contextlib.suppress(OSError):
                os.close(fd)

    async def __aenter__(self) -> PtyEndpoint:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


async def open_pty() -> PtyEndpoint:
    """Open a raw pseudo-terminal whose slave device a serial library can open like a port."""
    master_fd, slave_fd = os.openpty()
    try:
        # Raw on both sides: no echo, no CR/LF translation, no line buffering of binary frames.
        tty.setraw(slave_fd, termios.TCSANOW)
        tty.setraw(master_fd, termios.TCSANOW)
        os.set_blocking(master_fd, False)
        return PtyEndpoint(asyncio.get_running_loop(), master_fd, slave_fd)
    except BaseException:
        os.close(master_fd)
        os.close(slave_fd)
        raise


async def serve_tcp(
    host: str,
    port: int,
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> asyncio.Server:
    """Serve ``handle`` for each TCP client (``port`` 0 picks a free port; see ``sockets``)."""
    return await asyncio.start_server(handle, host, port)


def byte_time(baudrate: int, bits_per_char: int = 11) -> float:
    """Seconds one character takes on the wire (start + 8 data + parity + stop = 11 bits)."""
    if baudrate <= 0:
        raise ValueError(f"baud rate must be positive, got {baudrate}")
    return bits_per_char / baudrate


async def write_paced(
    writer: ByteWriter,
    data: bytes,
    baudrate: int | None,
    time_scale: float = 1.0,
    bits_per_char: int = 11,
) -> None:
    """Write ``data`` no faster than the line would carry it, ``time_scale`` times slower.

    ``time_scale`` 0 (or no baud rate) writes at once; 0.1 plays ten times faster than real time.
    The schedule is kept against the loop clock, so sleep overshoot does not add up.
    """
    if not data:
        return
    if not baudrate or time_scale <= 0:
        writer.write(data)
        await writer.drain()
        return
    loop = asyncio.get_running_loop()
    per_byte = byte_time(baudrate, bits_per_char) * time_scale
    slice_len = max(1, int(_PACING_SLICE_S / per_byte))
    start = loop.time()
    for offset in range(0, len(data), slice_len):
        piece = data[offset : offset + slice_len]
        writer.write(piece)
        await writer.drain()
        delay = start + (offset + len(piece)) * per_byte - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
