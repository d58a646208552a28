"""Encoders for the requests an M-Bus master sends (EN 13757-2 / -3).

Each function returns the frame object; :func:`~.frames.encode_frame` turns it into bytes.
Addresses: 0 is the factory default, 1-250 primary addresses, 253 the selected secondary
address (network layer), 254 and 255 broadcasts (254: every slave answers, 255: none does).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ProtocolError
from .frames import C_FCB, C_REQ_UD2, C_SND_NKE, C_SND_UD, ControlFrame, LongFrame, ShortFrame
from .manufacturer import decode_manufacturer, encode_manufacturer

MAX_PRIMARY_ADDRESS = 250
ADDRESS_NETWORK_LAYER = 253  # the slave selected by secondary address
ADDRESS_BROADCAST_REPLY = 254
ADDRESS_BROADCAST_NO_REPLY = 255

CI_APPLICATION_RESET = 0x50
CI_DATA_SEND = 0x51
CI_SELECT_SECONDARY = 0x52

# CI codes that switch the slave's baud rate (EN 13757-3 table 3).
BAUD_RATE_CI: dict[int, int] = {
    300: 0xB8,
    600: 0xB9,
    1200: 0xBA,
    2400: 0xBB,
    4800: 0xBC,
    9600: 0xBD,
    19200: 0xBE,
    38400: 0xBF,
}

WILDCARD = "F"


class RequestError(ProtocolError, ValueError):
    """A request cannot be built from the given arguments (bad address, ID or mask)."""


def _check_address(address: int, *, allow_special: bool = True) -> int:
    highest = 255 if allow_special else MAX_PRIMARY_ADDRESS
    if not 0 <= address <= highest:
        raise RequestError(f"address {address} is outside 0-{highest}")
    return address


def snd_nke(address: int) -> ShortFrame:
    """SND_NKE: link reset; the slave answers E5 and resets its FCB expectation."""
    return ShortFrame(C_SND_NKE, _check_address(address))


def req_ud2(address: int, *, fcb: bool) -> ShortFrame:
    """REQ_UD2 (class 2 data request) with FCV set and the frame count bit ``fcb``."""
    return ShortFrame(C_REQ_UD2 | (C_FCB if fcb else 0), _check_address(address))


@dataclass(frozen=True, slots=True)
class SecondaryAddress:
    """A secondary address mask: 8 ID digits plus manufacturer, version and medium.

    ``id_mask`` holds eight characters, each a decimal digit or ``F`` (wildcard). ``None``
    for the other fields means "any" (sent as 0xFF bytes). ``manufacturer`` is three letters
    or, for a code that holds none, ``0xHHHH`` (see :mod:`.manufacturer`).
    """

    id_mask: str
    manufacturer: str | None = None
    version: int | None = None
    medium: int | None = None

    def __post_init__(self) -> None:
        mask = self.id_mask.upper()
        if len(mask) != 8 or any(c not in "0123456789F" for c in mask):
            raise RequestError(f"secondary ID {self.id_mask!r} is not 8 digits (F = wildcard)")
        object.__setattr__(self, "id_mask", mask)
        if self.manufacturer is not None:
            try:
                code = encode_manufacturer(self.manufacturer)
            except ProtocolError as err:
                raise RequestError(str(err)) from None
            object.__setattr__(self, "manufacturer", decode_manufacturer(code))
        for name, value in (("version", self.version), ("medium", self.medium)):
            if value is not None and not 0 <= value <= 0xFE:
                raise RequestError(f"{name} {value} is outside 0-254")

    @classmethod
    def parse(cls, text: str) -> SecondaryAddress:
        """Parse libmbus's 16-character form ``IIIIIIIIMMMMVVMM`` (hex, F = wildcard).

        ``MMMM`` are the manufacturer's two bytes as sent, low byte first (libmbus's
        ``mbus_frame_select_secondary_pack`` copies them to the frame in this order): SLB,
        code 0x4D82, is ``824D``. An 8-character string is an ID mask alone.
        """
        text = text.strip().upper()
        if len(text) == 8:
            return cls(text)
        if len(text) != 16 or any(c not in "0123456789ABCDEF" for c in text):
            raise RequestError(f"secondary address {text!r} is not 8 or 16 hex digits")
        man_code = int.from_bytes(bytes.fromhex(text[8:12]), "little")
        version = int(text[12:14], 16)
        medium = int(text[14:16], 16)
        return cls(
            text[:8],
            manufacturer=None if man_code == 0xFFFF else decode_manufacturer(man_code),
            version=None if version == 0xFF else version,
            medium=None if medium == 0xFF else medium,
        )

    def to_bytes(self) -> bytes:
        """The 8 bytes of CI 0x52 data: ID (BCD, LSB first), manufacturer, version, medium."""
        digits = self.id_mask
        # Two digits per byte, least significant byte first; F nibbles stay F (wildcards).
        id_bytes = bytes(int(digits[i : i + 2], 16) for i in (6, 4, 2, 0))
        man = 0xFFFF if self.manufacturer is None else encode_manufacturer(self.manufacturer)
        return (
            id_bytes
            + man.to_bytes(2, "little")
            + bytes((0xFF if self.version is None else self.version,))
            + bytes((0xFF if self.medium is None else self.medium,))
        )


def select_secondary(address: SecondaryAddress) -> LongFrame:
    """SND_UD to 253 with CI 0x52: select the slave(s) matching ``address``."""
    return LongFrame(C_SND_UD, ADDRESS_NETWORK_LAYER, CI_SELECT_SECONDARY, address.to_bytes())


def application_reset(address: int, subcode: int | None = None) -> LongFrame | ControlFrame:
    """SND_UD with CI 0x50: application reset, optionally with a subcode byte."""
    _check_address(address)
    if subcode is None:
        return ControlFrame(C_SND_UD, address, CI_APPLICATION_RESET)
    if not 0 <= subcode <= 0xFF:
        raise RequestError(f"application reset subcode {subcode} is outside 0-255")
    return LongFrame(C_SND_UD, address, CI_APPLICATION_RESET, bytes((subcode,)))


def set_primary_address(address: int, new_address: int) -> LongFrame:
    """SND_UD with CI 0x51, DIF 01 VIF 7A: write a new primary address (0-250)."""
    _check_address(address)
    _check_address(new_address, allow_special=False)
    return LongFrame(C_SND_UD, address, CI_DATA_SEND, bytes((0x01, 0x7A, new_address)))


def switch_baud_rate(address: int, baud_rate: int) -> ControlFrame:
    """SND_UD control frame with CI 0xB8-0xBF: the slave answers E5, then uses ``baud_rate``."""
    _check_address(address)
    try:
        ci = BAUD_RATE_CI[baud_rate]
    except KeyError:
        raise RequestError(
            f"baud rate {baud_rate} is not one of {', '.join(map(str, BAUD_RATE_CI))}"
        ) from None
    return ControlFrame(C_SND_UD, address, ci)
