"""DLMS APDUs carried in M-Bus long frames (EN 13757-2 link layer), as Austrian Kaifa meters push.

An APDU longer than one frame is split: CI 0x00..0x1F is the DLMS transport layer, its low
nibble the segment number and bit 0x10 the last segment. Each segment's user data starts with
STSAP and DTSAP (``01 67``). Frames come from the shared M-Bus link-layer framer, which has
already checked lengths, checksums and stop bytes.
"""

from __future__ import annotations

from ..errors import DecodeError
from ..mbus.framer import MbusFramer
from ..mbus.frames import LongFrame

CI_DLMS_MAX = 0x1F
CI_LAST_SEGMENT = 0x10
CI_SEQUENCE_MASK = 0x0F
SAP_HEADER_LENGTH = 2  # STSAP, DTSAP
MAX_APDU = 64 * 1024


class MbusDlmsAssembler:
    """Join the segments of one APDU; a gap in the sequence drops the partial APDU."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._address: int | None = None
        self.dropped_segments = 0

    def add(self, frame: LongFrame) -> bytes | None:
        """Take one long frame; return the whole APDU once its last segment is in."""
        if frame.ci > CI_DLMS_MAX:
            raise DecodeError(f"M-Bus CI 0x{frame.ci:02X} carries no DLMS transport segment")
        if len(frame.data) < SAP_HEADER_LENGTH:
            raise DecodeError("M-Bus DLMS segment shorter than its STSAP/DTSAP header")
        sequence = frame.ci & CI_SEQUENCE_MASK
        if sequence == 0 or sequence != len(self._parts) or frame.address != self._address:
            self._drop()
            if sequence != 0:
                self.dropped_segments += 1
                raise DecodeError(f"M-Bus DLMS segment {sequence} without its predecessors")
        self._address = frame.address
        self._parts.append(frame.data[SAP_HEADER_LENGTH:])
        self._size += len(frame.data) - SAP_HEADER_LENGTH
        if self._size > MAX_APDU:
            self._drop()
            raise DecodeError(f"M-Bus DLMS segments exceed {MAX_APDU} bytes")
        if not frame.ci & CI_LAST_SEGMENT:
            return None
        apdu = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return apdu

    def _drop(self) -> None:
        self.dropped_segments += len(self._parts)
        self._parts.clear()
        self._size = 0


def apdu_from_mbus(raw: bytes) -> bytes:
    """The APDU in one or more complete long frames (a whole capture, nothing else)."""
    framer = MbusFramer()
    frames = framer.feed(raw)
    if framer.pending or framer.stats.discarded_bytes or framer.stats.bad_frames:
        raise DecodeError("M-Bus data holds a broken frame or bytes outside frames")
    assembler = MbusDlmsAssembler()
    apdu = None
    for frame in frames:
        if not isinstance(frame, LongFrame):
            raise DecodeError("M-Bus data holds a frame that is not a long frame")
        if apdu is not None:
            raise DecodeError("M-Bus data holds more than one APDU")
        apdu = assembler.add(frame)
    if apdu is None:
        raise DecodeError("M-Bus frames end before the last DLMS segment")
    return apdu
