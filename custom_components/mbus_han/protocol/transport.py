"""Byte transport to a meter bus: a serial device or a network gateway, via ``serialx``.

This is the only module that imports the serial library, so swapping or upgrading it touches
one file. A port is named the way users see it: a device path (``/dev/ttyUSB0``,
``/dev/serial/by-id/...``, ``/dev/ttyAMA0``) or a URL (``socket://host:port`` for ser2net raw
mode and M-Bus TCP gateways, ``rfc2217://host:port``, ``esphome://...`` for ESPHome serial
proxies when ``aioesphomeapi`` is installed, as it is inside Home Assistant).

Every failure comes out as a :class:`~.errors.TransportError` subclass whose message tells the
user what to do (wrong path, not in ``dialout``, gateway refused, connection dropped).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import socket
import stat
from collections import deque
from dataclasses import dataclass
from types import TracebackType
from typing import Self

import serialx

from .errors import (
    ConnectionFailedError,
    ConnectionLostError,
    PortBusyError,
    PortNotFoundError,
    PortPermissionError,
    TransportError,
)

_PARITIES = {"N": "none", "E": "even", "O": "odd", "M": "mark", "S": "space"}
_NETWORK_SCHEMES = ("socket://", "tcp://", "rfc2217://", "esphome://")
DEFAULT_CONNECT_TIMEOUT = 10.0  # a TCP handshake to a gateway on the LAN takes milliseconds
# Received bytes nobody has read yet. Readers take everything at once, and between M-Bus polls
# stale input is discarded anyway; a HAN push is a few hundred bytes. A peer that streams
# faster than we read loses its oldest bytes beyond this (counted), never our memory.
MAX_PENDING_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class SerialSettings:
    """Line settings: M-Bus uses 8E1 at 300-38400 baud (2400 is the common default)."""

    baudrate: int = 2400
    bytesize: int = 8
    parity: str = "E"
    stopbits: float = 1

    def __post_init__(self) -> None:
        if not 50 <= self.baudrate <= 4_000_000:
            raise ValueError(f"baud rate {self.baudrate} is not a serial line speed")
        if self.bytesize not in (5, 6, 7, 8):
            raise ValueError(f"byte size {self.bytesize} is not 5, 6, 7 or 8 bits")
        parity = str(self.parity).upper()
        if parity not in _PARITIES:
            raise ValueError(f"parity {self.parity!r} is not one of {', '.join(_PARITIES)}")
        object.__setattr__(self, "parity", parity)
        if self.stopbits not in (1, 1.5, 2):
            raise ValueError(f"stop bits {self.stopbits} is not 1, 1.5 or 2")

    @property
    def bits_per_char(self) -> float:
        """Bits one character occupies on the wire: start, data, parity and stop bits (11)."""
        return 1 + self.bytesize + (self.parity != "N") + self.stopbits

    def char_time(self) -> float:
        """Seconds one character takes on the wire at this baud rate."""
        return self.bits_per_char / self.baudrate


def is_network_url(url: str) -> bool:
    """True for ports reached over TCP, whose latency the master must allow for."""
    return url.strip().lower().startswith(_NETWORK_SCHEMES)


class _ChunkProtocol(asyncio.Protocol):
    """Collects received chunks (at most MAX_PENDING_BYTES) and remembers why the line ended."""

    def __init__(self, url: str) -> None:
        self._url = url
        self.chunks: deque[bytes] = deque()
        self.pending = 0  # bytes in ``chunks``
        self.dropped_bytes = 0  # the oldest bytes, dropped because nobody read them in time
        self.lost: TransportError | None = None
        self._waiter: asyncio.Future[None] | None = None

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.pending += len(data)
        excess = self.pending - MAX_PENDING_BYTES
        while excess > 0:
            oldest = self.chunks[0]
            cut = min(excess, len(oldest))
            if cut == len(oldest):
                self.chunks.popleft()
            else:
                self.chunks[0] = oldest[cut:]
            self.pending -= cut
            self.dropped_bytes += cut
            excess -= cut
        self._wake()

    def take(self) -> bytes:
        """Every byte received so far, oldest first; the buffer is empty afterwards."""
        data = b"".join(self.chunks)
        self.clear()
        return data

    def clear(self) -> None:
        """Forget what was received and not read."""
        self.chunks.clear()
        self.pending = 0

    def connection_lost(self, exc: Exception | None) -> None:
        if self.lost is None:
            reason = f": {exc}" if exc else ""
            self.lost = ConnectionLostError(f"{self._url}: connection lost{reason}")
        self._wake()

    async def wait(self) -> None:
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            await self._waiter
        finally:
            self._waiter = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


class SerialPort:
    """An open port: read chunks, write bytes, discard stale input, close."""

    def __init__(
        self,
        url: str,
        settings: SerialSettings,
        transport: serialx.BaseSerialTransport,
        protocol: _ChunkProtocol,
    ) -> None:
        self.url = url
        self.settings = settings
        self._transport = transport
        self._protocol = protocol
        self._closed = False

    @property
    def is_network(self) -> bool:
        """True when the bus is reached through a TCP gateway (adds latency)."""
        return is_network_url(self.url)

    @property
    def is_open(self) -> bool:
        """True until closed by us or lost."""
        return not self._closed and self._protocol.lost is None

    async def read(self) -> bytes:
        """Return every byte received so far, waiting for at least one.

        Raises :class:`ConnectionLostError` when the device vanishes or the gateway hangs up,
        and :class:`TransportError` after :meth:`close`. Callers bound the wait with a timeout.
        """
        protocol = self._protocol
        while not protocol.chunks:
            self._check_usable()
            await protocol.wait()
        return protocol.take()

    def write(self, data: bytes) -> None:
        """Queue ``data`` for sending; it leaves at the line's pace after this returns."""
        self._check_usable()
        try:
            self._transport.write(data)
        except (OSError, serialx.SerialException) as exc:
            raise ConnectionLostError(f"{self.url}: write failed: {exc}") from exc

    def discard_input(self) -> None:
        """Forget received bytes nobody read: a late answer must not pass for the next one."""
        self._protocol.clear()

    @property
    def dropped_bytes(self) -> int:
        """Received bytes dropped unread because more than MAX_PENDING_BYTES were waiting."""
        return self._protocol.dropped_bytes

    async def set_baudrate(self, baudrate: int) -> None:
        """Change the line speed of the open port (after a meter was told to switch)."""
        self._check_usable()
        new = SerialSettings(
            baudrate, self.settings.bytesize, self.settings.parity, self.settings.stopbits
        )
        try:
            await self._transport.reconfigure_port(baudrate=baudrate)
        except (OSError, serialx.SerialException) as exc:
            raise TransportError(f"{self.url}: cannot switch to {baudrate} baud: {exc}") from exc
        self.settings = new

    async def close(self) -> None:
        """Close the port and wait until it is released; closing twice is harmless."""
        if self._closed:
            return
        self._closed = True
        self._protocol.clear()
        self._transport.close()
        # A device that is gone already has nothing left to release.
        with contextlib.suppress(OSError, serialx.SerialException):
            await self._transport.wait_closed()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        state = "open" if self.is_open else "closed"
        return f"<SerialPort {serialx.redact_uri(self.url)} {self.settings.baudrate} baud {state}>"

    def _check_usable(self) -> None:
        if self._closed:
            raise TransportError(f"{self.url}: port is closed")
        if self._protocol.lost is not None:
            raise self._protocol.lost


async def open_port(
    url: str,
    settings: SerialSettings | None = None,
    *,
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
) -> SerialPort:
    """Open ``url`` (device path or URL) with ``settings``; raise a clear TransportError."""
    url = url.strip()
    if not url:
        raise PortNotFoundError("no port given: name a device such as /dev/ttyUSB0 or a URL")
    settings = settings or SerialSettings()
    protocol = _ChunkProtocol(url)
    try:
        try:
            transport = await _connect(url, settings, settings.parity, protocol, connect_timeout)
        except OSError as exc:
            # A pseudo-terminal (e.g. our simulator) carries bytes, not bits: its driver drops
            # PARENB, and recent Linux kernels then refuse to set it again (EINVAL) when the
            # pty is reopened. Parity is meaningless there, so open it without.
            if exc.errno != errno.EINVAL or settings.parity == "N" or not await _is_pty(url):
                raise
            transport = await _connect(url, settings, "N", protocol, connect_timeout)
    except (OSError, ValueError, serialx.SerialException) as exc:
        raise _open_error(url, exc, connect_timeout) from exc
    return SerialPort(url, settings, transport, protocol)


async def _connect(
    url: str,
    settings: SerialSettings,
    parity: str,
    protocol: _ChunkProtocol,
    connect_timeout: float,
) -> serialx.BaseSerialTransport:
    transport, _ = await serialx.create_serial_connection(
        asyncio.get_running_loop(),
        lambda: protocol,
        url,
        baudrate=settings.baudrate,
        parity=serialx.Parity(parity),
        stopbits=serialx.StopBits(settings.stopbits),
        byte_size=settings.bytesize,
        connect_timeout=connect_timeout,
    )
    return transport


_PTY_SLAVE_MAJORS = range(136, 144)  # Linux Unix98 pty slaves (/dev/pts/N)


async def _is_pty(path: str) -> bool:
    loop = asyncio.get_running_loop()
    try:
        info = await loop.run_in_executor(None, os.stat, path)
    except OSError:
        return False
    return stat.S_ISCHR(info.st_mode) and os.major(info.st_rdev) in _PTY_SLAVE_MAJORS


def _open_error(url: str, exc: Exception, connect_timeout: float) -> TransportError:
    """Translate what the OS or the serial library raised into an error that says what to do."""
    network = is_network_url(url)
    if isinstance(exc, serialx.common.UnknownUriScheme):
        hint = (
            " (ESPHome serial proxies need the aioesphomeapi package, which Home Assistant has)"
            if url.lower().startswith("esphome://")
            else ""
        )
        return TransportError(
            f"{url}: unsupported port URL; use a device path, socket://host:port or "
            f"rfc2217://host:port{hint}"
        )
    if isinstance(exc, TimeoutError):
        return ConnectionFailedError(f"{url}: no connection within {connect_timeout:g} s")
    if isinstance(exc, socket.gaierror):
        return ConnectionFailedError(f"{url}: cannot resolve the host name ({exc.strerror})")
    if isinstance(exc, OSError):
        code = exc.errno
        if code in (errno.ENOENT, errno.ENODEV, errno.ENXIO) and not network:
            return PortNotFoundError(
                f"{url}: no such device; is the adapter plugged in? "
                "(stable names are under /dev/serial/by-id/)"
            )
        if code in (errno.EACCES, errno.EPERM):
            return PortPermissionError(
                f"{url}: permission denied; add the user to the 'dialout' group "
                "(sudo usermod -aG dialout $USER, then log in again)"
            )
        if code == errno.EBUSY:
            return PortBusyError(f"{url}: in use by another program")
        if code == errno.ENOTTY:
            return TransportError(f"{url}: not a serial port")
        if network:
            return ConnectionFailedError(f"{url}: cannot connect: {exc.strerror or exc}")
        return TransportError(f"{url}: cannot open: {exc.strerror or exc}")
    return TransportError(f"{url}: cannot open: {exc}")


@dataclass(frozen=True, slots=True)
class PortInfo:
    """A serial port found on this machine, for a user to pick from."""

    device: str  # the stable name where there is one (/dev/serial/by-id/...)
    description: str  # adapter make and model as the USB descriptor says
    vid: int | None = None
    pid: int | None = None
    serial_number: str | None = None


async def async_list_ports() -> list[PortInfo]:
    """Serial ports present now, by their stable names where the system has them."""
    ports = await serialx.async_list_serial_ports()
    return [
        PortInfo(
            device=str(port.device),
            description=port.description,
            vid=port.vid,
            pid=port.pid,
            serial_number=port.serial_number,
        )
        for port in ports
    ]
