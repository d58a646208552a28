"""Device identifiers of the meters: what their entities' unique ids begin with."""

from __future__ import annotations

from .protocol.mbus.model import Telegram


def meter_identifier(entry_id: str, address: str, telegram: Telegram) -> str:
    """A meter's device identifier: its manufacturer and ID, or its port's entry and address.

    The ID and manufacturer come from the meter itself, so a meter keeps its device (and
    history) when its primary address changes. A meter that names no manufacturer (CI 0x73,
    0x78, 0x51: no header) is known only by its address, which is unique on its port only.
    """
    header = telegram.header
    if header is not None and header.id_text is not None and header.manufacturer:
        return f"{header.manufacturer}-{header.id_text}"
    return f"{entry_id}-{UNSCOPED_ADDRESS_PREFIX}{address}"


# Meters without a manufacturer were once "address-N" on every port (issue 11, item 5).
UNSCOPED_ADDRESS_PREFIX = "address-"
