"""General-block-transfer (Green Book 9.4.6.13, IEC 62056-5-3): one APDU split into blocks.

``general-block-transfer ::= E0 block-control(1) block-number(2) block-number-ack(2)
block-data`` where block-data is an octet-string with an A-XDR length. Block control: bit 7
last block, bit 6 streaming, bits 0-5 window size. Landis+Gyr E450 sends a push this way, one
block per HDLC frame (only the first frame carries the LLC header); the APDU inside is usually a
general-glo-ciphering. Blocks of one push are numbered 1, 2, ... without gaps; the push ends
with the block whose last-block bit is set.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import DecodeError
from .axdr import read_length

TAG_GENERAL_BLOCK_TRANSFER = 0xE0
LAST_BLOCK = 0x80
_HEADER_LENGTH = 6  # tag, block control, block number, acknowledged block number
# A push split into blocks is a few hundred bytes; more is noise or an attack.
MAX_BLOCKED_APDU = 64 * 1024


@dataclass(frozen=True, slots=True)
class Block:
    """One general-block-transfer APDU."""

    last: bool
    number: int
    data: bytes


def parse_block(apdu: bytes) -> Block:
    """Decode one general-block-transfer APDU; its length must cover exactly the rest."""
    if len(apdu) < _HEADER_LENGTH + 1 or apdu[0] != TAG_GENERAL_BLOCK_TRANSFER:
        raise DecodeError("not a general-block-transfer APDU (tag 0xE0 and header expected)")
    length, start = read_length(apdu, _HEADER_LENGTH)
    if length != len(apdu) - start:
        raise DecodeError(
            f"general-block-transfer block says {length} octets of data, has {len(apdu) - start}"
        )
    return Block(
        last=bool(apdu[1] & LAST_BLOCK),
        number=int.from_bytes(apdu[2:4]),
        data=apdu[start:],
    )


class BlockAssembler:
    """Join the blocks of one push in order; a gap or a stray block drops what was gathered."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0

    @property
    def pending(self) -> bool:
        """True while a push is half received."""
        return bool(self._parts)

    def reset(self) -> None:
        """Forget a half-received push (after a silence, or a damaged frame)."""
        self._parts.clear()
        self._size = 0

    def add(self, block: Block) -> bytes | None:
        """Return the whole APDU once its last block is in, else ``None``.

        Raises :class:`DecodeError` for a block that does not continue the push: a block
        after a gap, a block other than 1 with nothing before it, or too much data. Block 1
        always starts a new push (the one before it is dropped as incomplete).
        """
        lost = 0
        if block.number == 1 and self._parts:
            lost = len(self._parts)
            self.reset()
        expected = len(self._parts) + 1
        if block.number != expected:
            had = len(self._parts)
            self.reset()
            if had:
                raise DecodeError(
                    f"general-block-transfer block {block.number} follows block {had}: "
                    "a block is missing, the push is dropped"
                )
            raise DecodeError(
                f"general-block-transfer block {block.number} without its predecessors"
            )
        self._size += len(block.data)
        if self._size > MAX_BLOCKED_APDU:
            self.reset()
            raise DecodeError(f"general-block-transfer push exceeds {MAX_BLOCKED_APDU} octets")
        self._parts.append(block.data)
        if block.last:
            return self._finish()
        if lost:
            raise DecodeError(
                f"general-block-transfer push dropped after {lost} blocks: its last block "
                "never came"
            )
        return None

    def _finish(self) -> bytes:
        whole = b"".join(self._parts)
        self.reset()
        return whole
