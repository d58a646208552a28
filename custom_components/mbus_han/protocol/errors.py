"""The one error hierarchy of the protocol package.

Callers catch :class:`ProtocolError` (or a subclass) and nothing else: every decoder turns any
malformed input into one of these with a precise message, never into an ``IndexError`` or a
``struct.error``.
"""


class ProtocolError(Exception):
    """Base of every error the protocol package raises on purpose."""


class DecodeError(ProtocolError):
    """Bytes that cannot be decoded: bad checksum, length, structure or coding.

    ``raw`` is the message that failed, where the decoder knows it, so that the error can be
    logged with its bytes (hex) and reported upstream.
    """

    raw: bytes | None = None


class NoKnownValuesError(DecodeError):
    """A push that decodes, but holds no value we understand (unknown layout, codes or scaling).

    An error, never an empty success: an unsupported meter must show up, not look silent.
    """


class FrameError(DecodeError):
    """A link-layer frame is malformed (start/stop byte, length, checksum)."""


class DecoderFaultError(DecodeError):
    """The decoder itself failed on some input (a bug), reported like a bad frame.

    It carries the bytes, so a stream carries on with the next frame instead of ending.
    """


class TransportError(ProtocolError):
    """The port or network connection to the bus cannot be used."""


class PortNotFoundError(TransportError):
    """The serial device does not exist (unplugged adapter, wrong path)."""


class PortPermissionError(TransportError):
    """The serial device exists but may not be opened (user not in ``dialout``)."""


class PortBusyError(TransportError):
    """Another program holds the serial device."""


class ConnectionFailedError(TransportError):
    """A network gateway refused the connection, did not answer or has no such host."""


class ConnectionLostError(TransportError):
    """An open port went away: device unplugged or the gateway closed the connection."""


class BusError(ProtocolError):
    """A transaction on the M-Bus brought no usable answer."""


class NoAnswerError(BusError):
    """No slave answered within the window the standard allows, after every retry."""


class CollisionError(BusError):
    """Bytes came back but no valid frame: several slaves answered at once, or line noise."""


class UnexpectedAnswerError(BusError):
    """A valid frame came back that does not answer the request (wrong type or address)."""


class DecryptionError(DecodeError):
    """A ciphered HAN APDU could not be deciphered: unsupported security or wrong key."""


class EncryptionKeyRequiredError(DecryptionError):
    """The meter encrypts its push data and no encryption key (GUEK) was given."""


class AuthenticationTagError(DecryptionError):
    """The GCM authentication tag does not match: wrong authentication key or altered data."""
