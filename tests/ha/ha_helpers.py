"""Constants and helpers shared by the Home Assistant tests (not fixtures)."""

from __future__ import annotations

from pathlib import Path

from custom_components.mbus_han.const import (
    CONF_BAUDRATE,
    CONF_KIND,
    CONF_METERS,
    CONF_PORT,
    KIND_MBUS,
)

# 38400 baud keeps the answer windows of silent addresses short, so tests stay fast.
TEST_BAUD = 38400
SLB_ID = 12345678
CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
KAMSTRUP_601 = CORPUS / "mbus" / "libmbus" / "test-frames" / "kamstrup_multical_601.hex"


def mbus_entry_data(port: str, meters: list[str]) -> dict[str, object]:
    """Config entry data of an M-Bus port."""
    return {
        CONF_KIND: KIND_MBUS,
        CONF_PORT: port,
        CONF_BAUDRATE: TEST_BAUD,
        CONF_METERS: meters,
    }
