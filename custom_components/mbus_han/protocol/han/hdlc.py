"""HDLC frame format type 3 as HAN meters send it (IEC 62056-46), from one frame or a byte stream.

Layout between the 0x7E flags: format (type nibble 0xA, segmentation bit, 11-bit length),
destination and source address (1-4 bytes each, the last byte has bit 0 set), control, HCS, the
information field and FCS; HCS and FCS are CRC-16/X.25. A frame without information field has
one check sequence only. The meters do no octet stuffing, so a 0x7E or 0x7D inside a frame is
data: frames are delimited by their length field and accepted only when both check sequences
and the closing flag hold. A closing flag may open the next frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from ..chunking import pieces
from ..errors import FrameError
from .crc import StreamCrc, crc16_x25

FLAG = 0x7E
FORMAT_TYPE_3 = 0xA
SEGMENTED = 0x08
MAX_ADDRESS_BYTES = 4
MAX_FRAME_LENGTH = 0x7FF  # 11 bits
# A meter sends each frame back to back; this much silence means a frame still buffered is cut.
IDLE_CHARACTERS = 64
# Reassembled segments beyond this are an attack or line noise, not a meter list.
MAX_REASSEMBLED = 64 * 1024
# LLC header of every message the meters push: destination LSAP E6, source LSAP E7 (response),
# quality 00. It opens the information field of a message's first frame only.
LLC_HEADER = b"\xe6\xe7\x00"


class NotAFrameStartError(FrameError):
    """A 0x7E followed by no format field: an idle or closing flag, or junk; not a bad frame."""


@dataclass(frozen=True, slots=True)
class HdlcFrame:
    """One frame whose check sequences and closing flag hold."""

    segmented: bool
    destination: int
    source: int
    control: int
    information: bytes
    # the framer's bad-frame count when it accepted this frame: a rise since the frame before
    # means a damaged frame came in between (segment reassembly needs to know where)
    bad_frames_before: int = 0


class _Header(NamedTuple):  # internal and short-lived: a tuple is cheapest to build
    segmented: bool
    length: int  # frame length as the format field counts it (flags excluded)
    destination: int
    source: int
    control: int
    end: int  # offset after the control byte, counted from the opening flag


def _read_address(buf: bytes | bytearray, pos: int) -> tuple[int, int] | None:
    """Return (address, next offset), ``None`` if more bytes are needed; raise when too long."""
    value = 0
    for index in range(MAX_ADDRESS_BYTES):
        if pos + index >= len(buf):
            return None
        byte = buf[pos + index]
        value = (value << 7) | (byte >> 1)
        if byte & 1:
            return value, pos + index + 1
    raise FrameError(f"HDLC address longer than {MAX_ADDRESS_BYTES} bytes")


def _read_header(buf: bytes | bytearray, start: int) -> _Header | None:
    """Read the header of the frame whose opening flag is at ``start``; ``None`` = need more."""
    if len(buf) < start + 3:
        return None
    first = buf[start + 1]
    if first >> 4 != FORMAT_TYPE_3:
        raise NotAFrameStartError(f"format byte 0x{first:02X} is not HDLC frame format type 3")
    length = ((first & 0x07) << 8) | buf[start + 2]
    destination = _read_address(buf, start + 3)
    if destination is None:
        return None
    source = _read_address(buf, destination[1])
    if source is None:
        return None
    end = source[1] + 1
    if len(buf) < end + 2:  # HCS, or FCS of a frame without information field
        return None
    if length < end - start - 1 + 2:
        raise FrameError(f"HDLC length {length} is shorter than the frame header")
    return _Header(bool(first & SEGMENTED), length, destination[0], source[0], buf[end - 1], end)


def _little_endian(buf: bytes | bytearray, at: int) -> int:
    """The check sequence stored at ``at``: two bytes, low byte first."""
    return buf[at] | (buf[at + 1] << 8)


def _check_sequence_ok(buf: bytes | bytearray, start: int, end: int) -> bool:
    """True when the two bytes at ``end`` are the CRC of ``buf[start:end]``."""
    return crc16_x25(buf[start:end]) == _little_endian(buf, end)


def _has_header_check(header: _Header, start: int) -> bool:
    """A frame with an information field has an HCS after the control byte."""
    return header.length > header.end - start - 1 + 2


def _check_hcs(buf: bytes | bytearray, header: _Header, start: int) -> None:
    if _has_header_check(header, start) and not _check_sequence_ok(buf, start + 1, header.end):
        raise FrameError("HDLC header check sequence (HCS) is wrong")


def _frame(
    buf: bytes | bytearray, header: _Header, start: int, fcs_at: int, bad_frames_before: int = 0
) -> HdlcFrame:
    """Cut the information field out of a frame whose checks all hold."""
    info_at = header.end + 2 if _has_header_check(header, start) else header.end
    return HdlcFrame(
        header.segmented,
        header.destination,
        header.source,
        header.control,
        bytes(buf[info_at:fcs_at]),
        bad_frames_before,
    )


def parse_hdlc_frame(raw: bytes | bytearray) -> HdlcFrame:
    """Parse exactly one frame ``7E ... 7E``; raise :class:`FrameError` on any violation."""
    if len(raw) < 2 or raw[0] != FLAG:
        raise FrameError("HDLC frame does not start with the flag 0x7E")
    header = _read_header(raw, 0)
    if header is None:
        raise FrameError(f"HDLC frame truncated in its header ({len(raw)} bytes)")
    _check_hcs(raw, header, 0)
    if len(raw) != header.length + 2:
        raise FrameError(f"HDLC length field says {header.length + 2} bytes, have {len(raw)}")
    fcs_at = header.length - 1
    if not _check_sequence_ok(raw, 1, fcs_at):
        raise FrameError("HDLC frame check sequence (FCS) is wrong")
    if raw[fcs_at + 2] != FLAG:
        raise FrameError(f"HDLC frame ends in 0x{raw[fcs_at + 2]:02X}, not the flag 0x7E")
    return _frame(raw, header, 0, fcs_at)


@dataclass(slots=True)
class HdlcStats:
    """Counters for diagnostics: frames accepted, rejected, and junk skipped."""

    frames: int = 0
    bad_frames: int = 0  # a frame start whose HCS, FCS or closing flag failed
    discarded_bytes: int = 0
    dropped_segments: int = 0


class HdlcFramer:
    """Incremental HDLC frame extractor: feed chunks of any size, get whole valid frames back.

    A start that fails any check loses only its opening flag: the search restarts at the next
    0x7E, so a truncated or corrupted frame never hides an intact one behind it. The HCS is
    checked as soon as the header is in, so junk claiming a long length is thrown away at once
    instead of stalling the stream. Work is linear in the input whatever the bytes: each start
    costs a header's worth of work, the FCS of any candidate comes from :class:`StreamCrc` in
    constant time, and a large chunk is taken in pieces, so the buffer never holds more than
    one maximal frame plus one piece.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._crc = StreamCrc()
        self._offset = 0  # stream position of ``_buffer[0]``
        self.stats = HdlcStats()

    @property
    def pending(self) -> int:
        """Bytes buffered that do not yet form a whole frame."""
        return len(self._buffer)

    def reset(self) -> None:
        """Forget a partial frame (e.g. after a silence longer than a frame takes)."""
        self._discard(len(self._buffer))

    def feed(self, chunk: bytes | bytearray) -> list[HdlcFrame]:
        """Add ``chunk`` and return every frame that is now complete and valid."""
        frames: list[HdlcFrame] = []
        for piece in pieces(chunk):
            self._buffer += piece
            self._crc.extend(piece)
            self._scan(frames)
        return frames

    def flush(self) -> list[HdlcFrame]:
        """The line went idle: a frame still incomplete now never will be.

        A truncated frame whose header holds waits for as many bytes as its length field says,
        holding up intact frames behind it. Drop each such start and return whatever complete
        frames the buffer still has. Call it after a silence of :data:`IDLE_CHARACTERS`.
        """
        buf = self._buffer
        frames: list[HdlcFrame] = []
        while buf:
            start = buf.find(FLAG)
            if start < 0:
                self._discard(len(buf))
                break
            try:
                if _read_header(buf, start) is not None:
                    self.stats.bad_frames += 1
            except FrameError:
                pass
            self._discard(start + 1)
            self._scan(frames)
        return frames

    def _discard(self, count: int) -> None:
        """Drop ``count`` bytes from the front of the buffer, counted as junk."""
        self.stats.discarded_bytes += count
        self._consume(count)

    def _consume(self, count: int) -> None:
        del self._buffer[:count]
        self._offset += count
        self._crc.release(self._offset)

    def _scan(self, frames: list[HdlcFrame]) -> None:
        """Append every complete valid frame in the buffer; keep what may still become one."""
        buf = self._buffer
        start = 0
        while True:
            start = buf.find(FLAG, start)
            if start < 0:
                self._discard(len(buf))
                return
            if len(buf) < start + 3:
                break
            if buf[start + 1] >> 4 != FORMAT_TYPE_3:  # a closing or fill flag, or junk
                start += 1
                continue
            try:
                header = _read_header(buf, start)
                if header is None:
                    break
                _check_hcs(buf, header, start)
            except FrameError:
                self.stats.bad_frames += 1
                start += 1
                continue
            end = start + header.length + 2
            if len(buf) < end:
                break
            frame = self._complete_frame(header, start)
            if frame is None:
                self.stats.bad_frames += 1
                start += 1
                continue
            frames.append(frame)
            self.stats.frames += 1
            self.stats.discarded_bytes += start
            self._consume(end - 1)  # keep the closing flag: it may open the next frame
            start = 0
        if start > 0:
            self._discard(start)

    def _complete_frame(self, header: _Header, start: int) -> HdlcFrame | None:
        """The frame at ``start`` if its closing flag and FCS hold (the cheap check first)."""
        buf = self._buffer
        fcs_at = start + 1 + header.length - 2
        if buf[fcs_at + 2] != FLAG:
            return None
        offset = self._offset
        if self._crc.crc(offset + start + 1, offset + fcs_at) != _little_endian(buf, fcs_at):
            return None
        return _frame(buf, header, start, fcs_at, self.stats.bad_frames)


class SegmentAssembler:
    """Join the information fields of segmented frames (segmentation bit set on all but last).

    UI frames carry no sequence number, so a segment that failed its check sequence is seen
    only as a rise in the framer's bad-frame count (``HdlcFrame.bad_frames_before``) between
    two accepted frames. The partial message is then dropped, and so
    are the segments after it (they do not start with the LLC header) up to the damaged
    message's last one: joining them would splice two halves, and a message's tail must never
    swallow the intact frame after it. A frame that starts with the LLC header is always a new
    message.
    """

    def __init__(self, stats: HdlcStats) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._stats = stats
        self._bad_frames_seen = 0
        self._orphaned = False  # between a damaged segment and the end of its message

    def reset(self) -> None:
        """Forget a partial message (the line was silent, or the port reopened)."""
        self._drop()
        self._orphaned = False

    def add(self, frame: HdlcFrame) -> bytes | None:
        """Return the whole information field once its last segment is in, else ``None``."""
        if frame.bad_frames_before != self._bad_frames_seen:
            self._bad_frames_seen = frame.bad_frames_before
            self._drop()
            self._orphaned = True
        if self._orphaned:
            if not frame.information.startswith(LLC_HEADER):
                self._stats.dropped_segments += 1  # a segment without its predecessors
                self._orphaned = frame.segmented
                return None
            self._orphaned = False
        if not frame.segmented and not self._parts:
            return frame.information
        self._size += len(frame.information)
        if self._size > MAX_REASSEMBLED:
            self._stats.dropped_segments += 1
            self._drop()
            return None
        self._parts.append(frame.information)
        if frame.segmented:
            return None
        whole = b"".join(self._parts)
        self._parts.clear()
        self._size = 0
        return whole

    def _drop(self) -> None:
        self._stats.dropped_segments += len(self._parts)
        self._parts.clear()
        self._size = 0


def _encode_address(value: int) -> bytes:
    """Address in 7-bit groups, end bit on the last; 1, 2 or 4 bytes as DLMS allows."""
    size = next((n for n in (1, 2, 4) if value < 1 << (7 * n)), None)
    if size is None or value < 0:
        raise ValueError(f"HDLC address {value} does not fit in 4 bytes")
    groups = [(value >> (7 * shift)) & 0x7F for shift in range(size - 1, -1, -1)]
    return bytes(group << 1 for group in groups[:-1]) + bytes(((groups[-1] << 1) | 1,))


def encode_hdlc_frame(
    information: bytes,
    destination: int = 0x20,
    source: int = 0x241,
    control: int = 0x13,
    segmented: bool = False,
) -> bytes:
    """Build ``7E ... 7E`` with HCS and FCS (the simulator's frames; defaults as Aidon sends)."""
    header = _encode_address(destination) + _encode_address(source) + bytes((control,))
    check_sequences = 4 if information else 2
    length = 2 + len(header) + len(information) + check_sequences
    if length > MAX_FRAME_LENGTH:
        raise ValueError(f"HDLC frame of {length} bytes exceeds the 11-bit length field")
    first = (FORMAT_TYPE_3 << 4) | (SEGMENTED if segmented else 0) | (length >> 8)
    frame = bytearray((first, length & 0xFF)) + header
    if information:
        frame += crc16_x25(frame).to_bytes(2, "little") + information
    frame += crc16_x25(frame).to_bytes(2, "little")
    return bytes((FLAG,)) + bytes(frame) + bytes((FLAG,))
