"""Which port a user most likely means, and whether a typed port can be a port at all.

A Raspberry Pi or a PC lists built-in UARTs (``/dev/ttyS0``, ``/dev/ttyAMA0``) beside the USB
adapter the user just plugged in. Offering the built-in one first sends a new user on a
minute-long search of a port with nothing on it, so USB adapters of the makes M-Bus masters
and HAN readers are built on come first, and only such an adapter is ever pre-selected.
"""

from __future__ import annotations

import re

from .transport import PortInfo

# USB vendor ids of the bridge chips M-Bus masters and HAN readers use:
# FTDI (FT232R, FT230X), Silicon Labs (CP210x), WCH (CH340/CH341).
ADAPTER_VENDOR_IDS = frozenset({0x0403, 0x10C4, 0x1A86})

_URL = re.compile(
    r"^(socket|rfc2217)://(?P<host>[^\s:/]+|\[[0-9A-Fa-f:.]+\]):(?P<port>\d{1,5})(\?\S*)?$"
)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def is_likely_adapter(port: PortInfo) -> bool:
    """A USB serial adapter of a make meter interfaces use, or one that says it is M-Bus."""
    description = port.description.lower().replace("-", "")
    return port.vid in ADAPTER_VENDOR_IDS or "mbus" in description


def ports_by_likelihood(ports: list[PortInfo]) -> list[PortInfo]:
    """Likely adapters first, then other USB ports, then built-in UARTs; stable within."""

    def rank(port: PortInfo) -> int:
        if is_likely_adapter(port):
            return 0
        return 1 if port.vid is not None else 2

    return sorted(ports, key=rank)


def likely_adapter(ports: list[PortInfo]) -> str | None:
    """The port to pre-select: the only likely adapter, else none (the user must choose)."""
    likely = [port.device for port in ports if is_likely_adapter(port)]
    return likely[0] if len(likely) == 1 else None


def port_syntax_error(text: str) -> str | None:
    """Why ``text`` cannot name a port, or None when it can (a path or a gateway URL).

    Checked before anything is opened, so a typo gets an answer at once. Other URL schemes
    serialx knows (e.g. ESPHome serial proxies) are left to serialx to judge.
    """
    if not text:
        return "enter a device path or a gateway URL"
    if text.startswith("/"):
        return None if not any(ch.isspace() for ch in text) else "a device path has no spaces"
    if text.lower().startswith(("socket://", "rfc2217://")):
        match = _URL.match(text)
        if match is None or not 0 < int(match["port"]) < 65536:
            return "a gateway URL is socket://host:port or rfc2217://host:port"
        return None
    if _SCHEME.match(text):
        return None
    return "not a device path (such as /dev/ttyUSB0) nor a gateway URL (socket://host:port)"
