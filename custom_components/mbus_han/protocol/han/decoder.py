"""Bytes in, :class:`HanReading` out: one message, or a stream of any chunking.

A message is whatever one push is on its transport: an HDLC frame (or its segments), one or more
M-Bus long frames, the LLC payload ``E6 E7 00 ...`` or a bare APDU. Every step checks what it
reads, so any input gives a reading or a :class:`DecodeError` (or a subclass), nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from ..errors import DecodeError, DecryptionError
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
from .hdlc import FLAG, HdlcFramer, SegmentAssembler
from .interpret import interpret
from .lists import FLAG_MANUFACTURERS
from .mbus_transport import MbusDlmsAssembler, apdu_from_mbus
from .reading import HanReading, SecurityInfo

LLC_HEADER = b"\xe6\xe7\x00"  # destination LSAP E6, source LSAP E7 (response), quality 00
MBUS_START = 0x68
NO_KEYS = SecurityKeys()
_FLAG_BYTE = bytes((FLAG,))


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
    """Decode a data-notification, deciphering a general-glo/ded-ciphering wrapper first."""
    if not apdu:
        raise DecodeError("empty APDU")
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


def decode_message(raw: bytes, keys: SecurityKeys = NO_KEYS) -> HanReading:
    """Decode exactly one push in whatever transport its first byte announces.

    Anything besides the push (junk, a second push, a broken frame) is an error here; use
    :class:`HanStreamDecoder` for streams.
    """
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
        # the closing flag stays buffered (it could open another frame), and any fill flags
        after_frame = framer.pending + framer.stats.discarded_bytes
        if after_frame > trailing_flags or len(payloads) != 1:
            raise DecodeError("data is not exactly one whole HDLC frame (or segment set)")
        return decode_llc(payloads[0], keys)
    if first == MBUS_START:
        return decode_apdu(apdu_from_mbus(raw), keys)
    if raw.startswith(LLC_HEADER):
        return decode_llc(raw, keys)
    if first in APDU_TAGS:
        return decode_apdu(raw, keys)
    raise DecodeError(f"0x{first:02X} starts no HDLC frame, M-Bus frame, LLC payload or APDU")


@dataclass(slots=True)
class StreamStats:
    """What a stream brought: readings, rejected frames, frames that did not decode, junk."""

    readings: int = 0
    bad_frames: int = 0  # failed check sequence (HDLC) or checksum (M-Bus): dropped unread
    undecodable: int = 0  # frame intact but its content did not decode (e.g. wrong key)
    discarded_bytes: int = 0


class HanStreamDecoder:
    """Feed bytes as they arrive; get each push decoded exactly once, or the error it caused."""

    def __init__(self, transport: Transport = Transport.HDLC, keys: SecurityKeys = NO_KEYS) -> None:
        self.transport = transport
        self.keys = keys
        self._hdlc = HdlcFramer()
        self._segments = SegmentAssembler(self._hdlc.stats)
        self._mbus = MbusFramer()
        self._mbus_segments = MbusDlmsAssembler()
        self._undecodable = 0
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
        )

    def reset(self) -> None:
        """Forget a partial frame, e.g. after a silence longer than any frame takes."""
        self._hdlc.reset()
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
        for frame in self._hdlc.flush():
            payload = self._segments.add(frame)
            if payload is not None:
                results.append(self._decode(decode_llc, payload))
        return results

    def feed(self, chunk: bytes) -> list[HanReading | DecodeError]:
        """Decode every push ``chunk`` completes; errors are returned, not raised."""
        results: list[HanReading | DecodeError] = []
        if self.transport is Transport.HDLC:
            for frame in self._hdlc.feed(chunk):
                payload = self._segments.add(frame)
                if payload is not None:
                    results.append(self._decode(decode_llc, payload))
        else:
            for mbus_frame in self._mbus.feed(chunk):
                if not isinstance(mbus_frame, LongFrame):
                    continue  # an E5 or short frame in the noise: not a push
                try:
                    apdu = self._mbus_segments.add(mbus_frame)
                except DecodeError as err:
                    self._undecodable += 1
                    results.append(err)
                    continue
                if apdu is not None:
                    results.append(self._decode(decode_apdu, apdu))
        return results

    def _decode(
        self, decode: Callable[[bytes, SecurityKeys], HanReading], data: bytes
    ) -> HanReading | DecodeError:
        try:
            reading = decode(data, self.keys)
        except DecodeError as err:
            self._undecodable += 1
            return err
        self._readings += 1
        return reading
