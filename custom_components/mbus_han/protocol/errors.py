"""The one error hierarchy of the protocol package.

Callers catch :class:`ProtocolError` (or a subclass) and nothing else: every decoder turns any
malformed input into one of these with a precise message, never into an ``IndexError`` or a
``struct.error``.
"""


class ProtocolError(Exception):
    """Base of every error the protocol package raises on purpose."""


class DecodeError(ProtocolError):
    """Bytes that cannot be decoded: bad checksum, length, structure or coding."""


class FrameError(DecodeError):
    """A link-layer frame is malformed (start/stop byte, length, checksum)."""
