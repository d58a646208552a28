"""HAN port of smart electricity meters: DLMS/COSEM push data in HDLC or M-Bus frames.

Pure Python, no Home Assistant imports. Entry points: :func:`decode_message` for one push,
:class:`HanStreamDecoder` for a byte stream, :class:`SecurityKeys` for encrypted meters.
"""

from .cipher import SecurityKeys
from .clock import MeterClock
from .decoder import HanStreamDecoder, StreamStats, Transport, decode_apdu, decode_message
from .obis import Quantity, Unit
from .reading import HanReading, HanValue, MeterIdentity, SecurityInfo

__all__ = [
    "HanReading",
    "HanStreamDecoder",
    "HanValue",
    "MeterClock",
    "MeterIdentity",
    "Quantity",
    "SecurityInfo",
    "SecurityKeys",
    "StreamStats",
    "Transport",
    "Unit",
    "decode_apdu",
    "decode_message",
]
