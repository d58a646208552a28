"""M-Bus link-layer frames (EN 13757-2, FT1.2): build and parse every frame type.

Four frame types share the wire:

- single character ``E5`` (acknowledge),
- short frame ``10 C A CS 16``,
- control frame ``68 03 03 68 C A CI CS 16``,
- long frame ``68 L L 68 C A CI data... CS 16``.

``CS`` is the arithmetic sum of C, A, CI and data modulo 256, and ``L`` counts C, A, CI and
data. Anything that breaks these rules raises :class:`FrameError`; a frame that parses is
structurally sound but its user data is not yet interpreted (see :mod:`.telegram`).
Frames are named tuples: immutable, and cheap to build on every poll.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import FrameError

ACK = 0xE5
SHORT_START = 0x10
LONG_START = 0x68
STOP = 0x16

SHORT_FRAME_LENGTH = 5
LONG_HEADER_LENGTH = 4  # 68 L L 68
MAX_LONG_FRAME_LENGTH = 255 + 6  # L may count up to 255 bytes, plus 68 L L 68 and CS 16
MAX_USER_DATA = 252  # L - 3 (C, A, CI)

# Control field (C) bits.
C_PRM = 0x40  # primary station: set in every master -> slave frame
C_FCB = 0x20  # frame count bit (master -> slave)
C_FCV = 0x10  # frame count bit valid (master -> slave)
C_ACD = 0x20  # access demand (slave -> master)
C_DFC = 0x10  # data flow control (slave -> master)
C_FUNCTION_MASK = 0x0F

# Control field values of the requests and responses we use.
C_SND_NKE = 0x40
C_SND_UD = 0x53
C_REQ_UD2 = 0x5B
C_REQ_UD1 = 0x5A
C_RSP_UD = 0x08


def checksum(data: bytes | bytearray | memoryview) -> int:
    """Return the FT1.2 checksum: the byte sum modulo 256."""
    return sum(data) & 0xFF


class AckFrame(NamedTuple):
    """The single character ``E5``: a slave's acknowledge."""

    @property
    def from_master(self) -> bool:
        """Only slaves send ``E5``."""
        return False


class ShortFrame(NamedTuple):
    """``10 C A CS 16``: SND_NKE, REQ_UD1/2 and other requests without data."""

    control: int
    address: int

    @property
    def from_master(self) -> bool:
        """True when the PRM bit marks a master -> slave frame (e.g. our own echo)."""
        return bool(self.control & C_PRM)


class ControlFrame(NamedTuple):
    """``68 03 03 68 C A CI CS 16``: a long frame with a CI field and no data."""

    control: int
    address: int
    ci: int

    @property
    def from_master(self) -> bool:
        """True when the PRM bit marks a master -> slave frame."""
        return bool(self.control & C_PRM)


class LongFrame(NamedTuple):
    """``68 L L 68 C A CI data CS 16``: SND_UD from the master, RSP_UD from a slave."""

    control: int
    address: int
    ci: int
    data: bytes

    @property
    def from_master(self) -> bool:
        """True when the PRM bit marks a master -> slave frame."""
        return bool(self.control & C_PRM)


type Frame = AckFrame | ShortFrame | ControlFrame | LongFrame


def _check_byte(name: str, value: int) -> None:
    if not 0 <= value <= 0xFF:
        raise FrameError(f"{name} {value} does not fit in one byte")


def encode_frame(frame: Frame) -> bytes:
    """Serialise ``frame`` to the bytes that go on the wire."""
    if isinstance(frame, AckFrame):
        return bytes((ACK,))
    _check_byte("control", frame.control)
    _check_byte("address", frame.address)
    if isinstance(frame, ShortFrame):
        body = bytes((frame.control, frame.address))
        return bytes((SHORT_START, *body, checksum(body), STOP))
    _check_byte("CI", frame.ci)
    data = frame.data if isinstance(frame, LongFrame) else b""
    if len(data) > MAX_USER_DATA:
        raise FrameError(f"{len(data)} bytes of user data exceed the {MAX_USER_DATA} a frame holds")
    body = bytes((frame.control, frame.address, frame.ci)) + data
    length = len(body)
    return bytes((LONG_START, length, length, LONG_START)) + body + bytes((checksum(body), STOP))


def frame_length(buffer: bytes | bytearray | memoryview) -> int | None:
    """Return the total length of the frame starting at ``buffer[0]``.

    Returns ``None`` while too few bytes are there to tell, and raises :class:`FrameError`
    when the first bytes cannot start a frame. Used by the stream framer to know how much to
    wait for.
    """
    if not buffer:
        return None
    start = buffer[0]
    if start == ACK:
        return 1
    if start == SHORT_START:
        return SHORT_FRAME_LENGTH
    if start != LONG_START:
        raise FrameError(f"0x{start:02X} starts no M-Bus frame")
    if len(buffer) < LONG_HEADER_LENGTH:
        return None
    length = buffer[1]
    if buffer[2] != length:
        raise FrameError(f"long frame length bytes differ (0x{length:02X}, 0x{buffer[2]:02X})")
    if buffer[3] != LONG_START:
        raise FrameError(f"long frame header ends in 0x{buffer[3]:02X}, not 0x68")
    if length < 3:
        raise FrameError(f"long frame length {length} is shorter than C, A and CI")
    return length + 6


def parse_frame(raw: bytes | bytearray | memoryview) -> Frame:
    """Parse exactly one whole frame; raise :class:`FrameError` on any violation."""
    raw = bytes(raw)
    if not raw:
        raise FrameError("empty frame")
    expected = frame_length(raw)
    if expected is None or len(raw) < expected:
        raise FrameError(f"frame truncated: {len(raw)} bytes, expected {expected or 'more'}")
    if len(raw) > expected:
        raise FrameError(f"{len(raw) - expected} bytes after the end of the frame")
    if expected == 1:
        return AckFrame()
    if raw[-1] != STOP:
        raise FrameError(f"frame ends in 0x{raw[-1]:02X}, not the stop byte 0x16")
    body = raw[1:3] if raw[0] == SHORT_START else raw[4:-2]
    if checksum(body) != raw[-2]:
        raise FrameError(f"checksum 0x{raw[-2]:02X} is wrong, expected 0x{checksum(body):02X}")
    if raw[0] == SHORT_START:
        return ShortFrame(control=raw[1], address=raw[2])
    if len(body) == 3:
        return ControlFrame(control=body[0], address=body[1], ci=body[2])
    return LongFrame(control=body[0], address=body[1], ci=body[2], data=body[3:])
