"""Bytes in, :class:`HanReading` out: one message, or a stream of any chunking.

A message is whatever one push is on its transport: an HDLC frame (or its segments, or the
frames of a general-block-transfer), one or more M-Bus long frames, the LLC payload
``E6 E7 00 ...`` or a bare APDU. Every step checks what it reads, so any input gives a reading
or a :class:`DecodeError` (or a subclass), nothing else. Errors carry the bytes that failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..chunking import PIECE_SIZE
from ..errors import DecodeError, DecoderFaultError, DecryptionError
from ..mbus.framer import MbusFramer
from ..mbus.frames import LongFrame
from .apdu import (
    APDU_TAGS,
    CIPHERED_TAGS,
    TAG_DATA_NOTIFICATION,
    parse_ciphered,
    parse_data_notification,
)
from .cipher import SC_AUTHENTICATED, SecurityKeys, decipher
from .clock import MeterClock, parse_clock
from .gbt import TAG_GENERAL_BLOCK_TRANSFER, BlockAssembler, parse_block
from .hdlc import FLAG, LLC_HEADER, HdlcFramer, SegmentAssembler
from .interpret import interpret
from .lists import FLAG_MANUFACTURERS
from .mbus_transport import MbusDlmsAssembler, apdu_from_mbus
from .reading import HanReading, SecurityInfo

MBUS_START = 0x68
NO_KEYS = SecurityKeys()
_FLAG_BYTE = bytes((FLAG,))
_GBT_TAG = bytes((TAG_GENERAL_BLOCK_TRANSFER,))


class Transport(StrEnum):
    """How the meter frames its pushes on the wire."""

    HDLC = "hdlc"
    MBUS = "mbus"


def _notification_time(raw: bytes | None) -> MeterClock | None:
    if raw is None:
        return None
    try:
        return parse_clock(raw)
    except DecodeError:
        return None


def decode_apdu(apdu: bytes, keys: SecurityKeys = NO_KEYS) -> HanReading:
    """Decode a data-notification, deciphering a general-glo/ded-ciphering wrapper first.

    A general-block-transfer APDU is decoded when it is the whole push (block 1, last block);
    a push split into several blocks needs all of them (:func:`decode_message` of all frames, or
    :class:`HanStreamDecoder`).
    """
    if not apdu:
        raise DecodeError("empty APDU")
    if apdu[0] == TAG_GENERAL_BLOCK_TRANSFER:
        whole = BlockAssembler().add(parse_block(apdu))
        if whole is None:
            raise DecodeError("general-block-transfer block 1 of several: the rest is missing")
        return decode_apdu(whole, keys)
    security = None
    manufacturer_hint = None
    if apdu[0] in CIPHERED_TAGS:
        ciphered = parse_ciphered(apdu)
        plaintext = decipher(ciphered, keys)
        authenticated = bool(
            ciphered.security_control & SC_AUTHENTICATED and keys.authentication_key
        )
        security = SecurityInfo(
            system_title=ciphered.system_title,
            security_control=ciphered.security_control,
            invocation_counter=ciphered.invocation_counter,
            authenticated=authenticated,
        )
        flag = ciphered.system_title[:3].decode("latin-1")
        manufacturer_hint = FLAG_MANUFACTURERS.get(flag)
        try:
            notification = parse_data_notification(plaintext)
        except DecodeError as err:
            if authenticated:
                raise
            # Without a tag, a wrong key yields random bytes: say what most likely happened.
            raise DecryptionError(
                f"deciphered data is no valid data-notification ({err}): wrong encryption key?"
            ) from None
    elif apdu[0] == TAG_DATA_NOTIFICATION:
        notification = parse_data_notification(apdu)
    else:
        raise DecodeError(f"APDU tag 0x{apdu[0]:02X} is not a data-notification")
    return interpret(
        notification.body,
        manufacturer_hint,
        _notification_time(notification.date_time),
        security,
    )


def decode_llc(payload: bytes, keys: SecurityKeys = NO_KEYS) -> HanReading:
    """Decode an HDLC information field: LLC header ``E6 E7 00`` followed by the APDU."""
    if payload[:3] != LLC_HEADER:
        raise DecodeError(f"information field starts {payload[:3].hex()}, not LLC e6e700")
    return decode_apdu(payload[3:], keys)


def _apdu_of(payload: bytes) -> bytes:
    """The APDU in an HDLC information field: after the LLC header, or a later block.

    Only the first frame of a general-block-transfer carries the LLC header.
    """
    if payload[:3] == LLC_HEADER:
        return payload[3:]
    if payload[:1] == _GBT_TAG:
        return payload
    raise DecodeError(f"information field starts {payload[:3].hex()}, not LLC e6e700")


def _join_blocks(payloads: list[bytes]) -> bytes:
    """The APDU of a push whose HDLC frames are general-block-transfer blocks 1..n."""
    blocks = BlockAssembler()
    if payloads[0][:3] != LLC_HEADER:
        raise DecodeError("first HDLC frame of the push has no LLC header e6e700")
    for index, payload in enumerate(payloads):
        apdu = _apdu_of(payload)
        if apdu[:1] != _GBT_TAG:
            raise DecodeError("data is not exactly one HDLC frame, segment set or block sequence")
        whole = blocks.add(parse_block(apdu))
        if whole is not None:
            if index != len(payloads) - 1:
                raise DecodeError("HDLC frames follow the last general-block-transfer block")
            return whole
    raise DecodeError("general-block-transfer push ends without its last block")


def decode_message(raw: bytes, keys: SecurityKeys = NO_KEYS) -> HanReading:
    """Decode exactly one push in whatever transport its first byte announces.

    Anything besides the push (junk, a second push, a broken frame) is an error here; use
    :class:`HanStreamDecoder` for streams. The error carries ``raw``.
    """
    try:
        return _decode_message(raw, keys)
    except DecodeError as err:
        if err.raw is None:
            err.raw = raw
        raise


def _decode_message(raw: bytes, keys: SecurityKeys) -> HanReading:
    if not raw:
        raise DecodeError("no data")
    first = raw[0]
    if first == FLAG:
        raw = _FLAG_BYTE + raw.lstrip(_FLAG_BYTE)  # fill flags before the frame are allowed
        trailing_flags = len(raw) - len(raw.rstrip(_FLAG_BYTE))  # (and after it)
        framer = HdlcFramer()
        assembler = SegmentAssembler(framer.stats)
        payloads = [p for f in framer.feed(raw) if (p := assembler.add(f)) is not None]
        if framer.stats.bad_frames:
            raise DecodeError("HDLC frame failed its check sequence or closing flag")
        # the closing flag stays buffered (it could open another frame), and any fill flags;
        # frames of one push may each have their own opening flag (``7E 7E`` between them)
        after_frame = framer.pending + framer.stats.discarded_bytes
        if after_frame > trailing_flags + framer.stats.frames - 1 or not payloads:
            raise DecodeError("data is not exactly one whole HDLC frame (or segment set)")
        if len(payloads) == 1:
            return decode_llc(payloads[0], keys)
        return decode_apdu(_join_blocks(payloads), keys)
    if first == MBUS_START:
        return decode_apdu(apdu_from_mbus(raw), keys)
    if raw.startswith(LLC_HEADER):
        return decode_llc(raw, keys)
    if first in APDU_TAGS or first == TAG_GENERAL_BLOCK_TRANSFER:
        return decode_apdu(raw, keys)
    raise DecodeError(f"0x{first:02X} starts no HDLC frame, M-Bus frame, LLC payload or APDU")


@dataclass(slots=True)
class StreamStats:
    """What a stream brought: readings, rejected frames, frames that did not decode, junk."""

    readings: int = 0
    bad_frames: int = 0  # failed check sequence (HDLC) or checksum (M-Bus): dropped unread
    undecodable: int = 0  # frame intact but its content did not decode (e.g. wrong key)
    discarded_bytes: int = 0
    decoder_faults: int = 0  # inputs the decoder failed on (a bug), counted in undecodable


def decoder_fault(err: Exception, data: bytes | bytearray) -> DecoderFaultError:
    """Wrap an exception no decoder should raise, with the bytes that caused it (``raw``)."""
    fault = DecoderFaultError(f"decoder fault {type(err).__name__}: {err}")
    fault.raw = bytes(data)
    fault.__cause__ = err  # keeps the traceback for the one log line that reports it
    return fault


class HanStreamDecoder:
    """Feed bytes as they arrive; get each push decoded exactly once, or the error it caused."""

    def __init__(self, transport: Transport = Transport.HDLC, keys: SecurityKeys = NO_KEYS) -> None:
        self.transport = transport
        self.keys = keys
        self._hdlc = HdlcFramer()
        self._segments = SegmentAssembler(self._hdlc.stats)
        self._mbus = MbusFramer()
        self._mbus_segments = MbusDlmsAssembler()
        self._blocks = BlockAssembler()
        self._undecodable = 0
        self._faults = 0
        self._readings = 0

    @property
    def stats(self) -> StreamStats:
        """Counters so far (a fresh snapshot)."""
        framer = self._hdlc.stats if self.transport is Transport.HDLC else self._mbus.stats
        return StreamStats(
            readings=self._readings,
            bad_frames=framer.bad_frames,
            undecodable=self._undecodable,
            discarded_bytes=framer.discarded_bytes,
            decoder_faults=self._faults,
        )

    def reset(self) -> None:
        """Forget a partial frame or push, e.g. after a silence longer than any push takes."""
        self._hdlc.reset()
        self._segments.reset()
        self._blocks.reset()
        self._mbus.reset()

    def flush(self) -> list[HanReading | DecodeError]:
        """Decode what an idle line leaves (call after ``hdlc.IDLE_CHARACTERS`` of silence).

        A frame cut short stops waiting for bytes that will not come, and intact frames behind
        it are decoded.
        """
        if self.transport is not Transport.HDLC:
            self._mbus.reset()  # M-Bus frames are at most 261 bytes: nothing worth saving
            return []
        results: list[HanReading | DecodeError] = []
        try:
            for frame in self._hdlc.flush():
                payload = self._segments.add(frame)
                if payload is not None:
                    self._information(payload, results)
        except Exception as err:  # noqa: BLE001 - as in feed: report it, keep the stream
            self.reset()
            results.append(self._fault(err, b""))
        return results

    def feed(self, chunk: bytes) -> list[HanReading | DecodeError]:
        """Decode every push ``chunk`` completes; errors are returned, not raised.

        Whatever the bytes, this returns: a decoder bug comes back as a
        :class:`DecoderFaultError` holding the input, the partial frame is dropped, and the
        next push decodes as usual.
        """
        results: list[HanReading | DecodeError] = []
        try:
            # Piece by piece: the frames of one piece are decoded before the next is framed,
            # so a megabyte read at once never becomes a megabyte of frames held in a list.
            for start in range(0, max(len(chunk), 1), PIECE_SIZE):
                piece = chunk[start : start + PIECE_SIZE]
                if self.transport is Transport.HDLC:
                    self._hdlc_piece(piece, results)
                else:
                    self._mbus_piece(piece, results)
        except Exception as err:  # noqa: BLE001 - a framer bug must not end the stream
            self.reset()
            results.append(self._fault(err, chunk))
        return results

    def _hdlc_piece(self, piece: bytes, results: list[HanReading | DecodeError]) -> None:
        for frame in self._hdlc.feed(piece):
            payload = self._segments.add(frame)
            if payload is not None:
                self._information(payload, results)

    def _mbus_piece(self, piece: bytes, results: list[HanReading | DecodeError]) -> None:
        for mbus_frame in self._mbus.feed(piece):
            if not isinstance(mbus_frame, LongFrame):
                continue  # an E5 or short frame in the noise: not a push
            try:
                apdu = self._mbus_segments.add(mbus_frame)
            except DecodeError as err:
                results.append(self._failed(err, mbus_frame.data))
                continue
            if apdu is not None:
                self._apdu(apdu, results)

    def _information(self, payload: bytes, results: list[HanReading | DecodeError]) -> None:
        """An HDLC information field: LLC header and APDU, or a later block of a push."""
        try:
            apdu = _apdu_of(payload)
        except DecodeError as err:
            results.append(self._failed(err, payload))
            return
        if apdu[:1] == _GBT_TAG:
            self._block(apdu, results)
        else:  # decoded with its LLC header, so that a failure reports the whole field
            self._end_blocks(apdu, results)
            results.append(self._decode(decode_llc, payload))

    def _apdu(self, apdu: bytes, results: list[HanReading | DecodeError]) -> None:
        """Decode an APDU, or gather it when it is one block of a general-block-transfer."""
        if apdu[:1] == _GBT_TAG:
            self._block(apdu, results)
        else:
            self._end_blocks(apdu, results)
            results.append(self._decode(decode_apdu, apdu))

    def _block(self, apdu: bytes, results: list[HanReading | DecodeError]) -> None:
        try:
            whole = self._blocks.add(parse_block(apdu))
        except DecodeError as err:
            results.append(self._failed(err, apdu))
            return
        if whole is not None:
            results.append(self._decode(decode_apdu, whole))

    def _end_blocks(self, apdu: bytes, results: list[HanReading | DecodeError]) -> None:
        """A push that is no block: a block-transfer push still open has lost its end."""
        if self._blocks.pending:
            self._blocks.reset()
            lost = DecodeError("general-block-transfer push ended without its last block")
            results.append(self._failed(lost, apdu))

    def _failed(self, err: DecodeError, data: bytes) -> DecodeError:
        self._undecodable += 1
        if err.raw is None:
            err.raw = data
        return err

    def _decode(
        self, decode: Callable[[bytes, SecurityKeys], HanReading], data: bytes
    ) -> HanReading | DecodeError:
        try:
            reading = decode(data, self.keys)
        except DecodeError as err:
            return self._failed(err, data)
        except Exception as err:  # noqa: BLE001 - one push the decoder fails on is one push
            return self._fault(err, data)
        self._readings += 1
        return reading

    def _fault(self, err: Exception, data: bytes | bytearray) -> DecoderFaultError:
        self._undecodable += 1
        self._faults += 1
        return decoder_fault(err, data)
