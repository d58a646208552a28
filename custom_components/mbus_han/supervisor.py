"""The coordinators' safety net: an unexpected exception costs one frame, never the loop.

The protocol package promises a reading or a :class:`DecodeError` for any input, and entities
promise not to raise. When either promise is broken (a bug, or an input nobody foresaw), the
exception is caught here at the coordinator boundary: logged once per bug with its traceback
and the raw bytes that caused it, counted for diagnostics, and the listener or poller carries
on with the next frame. One failing entity never keeps the others from their update.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

from .protocol.errors import DecodeError, DecoderFaultError
from .protocol.han import HanReading, HanStreamDecoder, SecurityKeys, Transport
from .protocol.mbus.link import ByteChannel

# The bytes kept to report with a decoder failure: more than any push (a list 3 HDLC frame is
# under 1 kB), bounded so that junk between pushes cannot grow it.
CRASH_BYTES_KEPT = 4096

type CrashHandler = Callable[[Exception, bytes], None]


class DecoderCrash(DecoderFaultError):
    """The decoder raised what it never should: reported as one bad push, not a dead loop."""


class CrashLog:
    """Counts unexpected exceptions; logs each distinct one once, with traceback and bytes.

    A bug hit by every push would otherwise fill the log every few seconds: the first
    occurrence of an exception type at a code location is an error line, later ones debug.
    """

    def __init__(self, logger: logging.Logger, port: str) -> None:
        self._logger = logger
        self._port = port
        self._seen: set[tuple[str, str, int]] = set()
        self.count = 0

    def record(self, what: str, err: Exception, raw: bytes) -> None:
        """Count ``err`` raised while ``what``; log it unless the same bug was logged before."""
        self.count += 1
        frames = traceback.extract_tb(err.__traceback__)
        where = (frames[-1].filename, frames[-1].lineno or 0) if frames else ("", 0)
        signature = (type(err).__name__, *where)
        if signature in self._seen:
            self._logger.debug("Again while %s on %s: %r", what, self._port, err)
            return
        self._seen.add(signature)
        self._logger.error(
            "Unexpected error while %s on %s (the loop goes on with the next frame); raw bytes: %s",
            what,
            self._port,
            raw.hex(" ").upper() or "(none)",
            exc_info=err,
        )


class SupervisedDecoder(HanStreamDecoder):
    """A HAN stream decoder whose unexpected exceptions become a :class:`DecoderCrash` result.

    Two layers: decoding one framed push is guarded on its own (the failure is reported with
    exactly that push's bytes, and the other pushes of the same chunk still decode); a
    failure in the framing itself is reported with the bytes fed since the last result
    (bounded), and the decoder starts afresh with the next bytes.
    """

    def __init__(
        self,
        transport: Transport,
        keys: SecurityKeys,
        on_crash: CrashHandler | None = None,
    ) -> None:
        super().__init__(transport, keys)
        self._on_crash = on_crash
        self._recent = bytearray()

    def feed(self, chunk: bytes) -> list[HanReading | DecodeError]:
        """Decode as :meth:`HanStreamDecoder.feed`; a crash is one error result."""
        self._recent += chunk
        del self._recent[:-CRASH_BYTES_KEPT]
        return self._guarded(lambda: super(SupervisedDecoder, self).feed(chunk))

    def flush(self) -> list[HanReading | DecodeError]:
        """Decode what an idle line leaves, as :meth:`HanStreamDecoder.flush`."""
        return self._guarded(lambda: super(SupervisedDecoder, self).flush())

    def reset(self) -> None:
        """Forget a partial frame and the bytes kept for a report."""
        super().reset()
        self._recent.clear()

    def _fault(self, err: Exception, data: bytes | bytearray) -> DecoderFaultError:
        """The protocol decoder caught a bug on ``data``: report it here, once per bug."""
        super()._fault(err, data)  # counted in the stream statistics
        return self._crash(err, bytes(data) or bytes(self._recent))

    def _crash(self, err: Exception, raw: bytes) -> DecoderCrash:
        if self._on_crash is not None:
            self._on_crash(err, raw)
        return DecoderCrash(f"the decoder failed on this push ({type(err).__name__}: {err})")

    def _guarded(
        self, decode: Callable[[], list[HanReading | DecodeError]]
    ) -> list[HanReading | DecodeError]:
        try:
            results = decode()
        except Exception as err:  # noqa: BLE001 - the point: no exception ends the listener
            raw = bytes(self._recent)
            self.reset()
            return [self._crash(err, raw)]
        if results:
            self._recent.clear()
        return results


def call_listeners_isolated(
    listeners: list[Callable[[], None]], on_crash: Callable[[Exception], None]
) -> None:
    """Call every listener; one that raises is reported and the rest still run."""
    for update_callback in listeners:
        try:
            update_callback()
        except Exception as err:  # noqa: BLE001 - one broken entity must not freeze the rest
            on_crash(err)


class RecordingChannel:
    """Wraps a master's byte channel and keeps what the current exchange received.

    The link discards stale input before every request, so the bytes kept are those of the
    last answer: what to report when decoding it raises something unexpected.
    """

    def __init__(self, channel: ByteChannel) -> None:
        self._channel = channel
        self._received = bytearray()

    @property
    def received(self) -> bytes:
        """The bytes received since the last request (bounded)."""
        return bytes(self._received)

    async def read(self) -> bytes:
        """Read from the wrapped channel, keeping a copy."""
        chunk = await self._channel.read()
        self._received += chunk
        del self._received[:-CRASH_BYTES_KEPT]
        return chunk

    def write(self, data: bytes) -> None:
        """Write to the wrapped channel."""
        self._channel.write(data)

    def discard_input(self) -> None:
        """A new exchange starts: forget the last answer's bytes."""
        self._received.clear()
        self._channel.discard_input()
