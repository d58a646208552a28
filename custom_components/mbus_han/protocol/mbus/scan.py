"""Find the meters on a bus: primary scan (0-250) and secondary wildcard tree search.

The secondary search selects ID masks with wildcards (``F``) and reads what answers:

- silence: no meter below this mask, prune;
- a clean acknowledge and then a valid RSP_UD: exactly one meter (several would garble the
  telegram, since their data differ), read its address from the header, prune;
- a garbled answer: several meters below this mask, split on the next digit (0-9).

Digits are split from the last to the first: meters installed together usually carry
consecutive serial numbers, which share the leading digits and differ in the last ones, so
this order separates them in one step where a left-to-right search descends seven levels.
When nine of ten children are silent the tenth must hold the collision, so it is split
without probing it. The probe count grows with the number of meters (about ten per split),
not with the 10^8 ID space.

A meter is identified by its 12-byte long header alone, so one whose records do not decode
is still found. A line that garbles every answer (noise, a gateway looping junk) would make
every mask collide down to full IDs; after :data:`MAX_UNRESOLVED` such IDs, more than any
installation has, the scan stops with a :class:`CollisionError` instead of probing 10^8 masks.

Progress goes to a callback; cancelling the task stops the scan between two probes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..errors import BusError, CollisionError, DecodeError
from .frames import ControlFrame, LongFrame
from .master import MbusMaster, Presence
from .model import Header, Telegram
from .requests import MAX_PRIMARY_ADDRESS, SecondaryAddress
from .telegram import (
    CI_LONG_HEADER,
    CI_LONG_HEADER_MODE2,
    decode_long_frame,
    decode_long_header,
)

ID_DIGITS = 8
DIGIT_ORDER = tuple(range(ID_DIGITS - 1, -1, -1))  # last digit first, see above
# Full IDs still answered by several meters. Two meters sharing an ID differ in manufacturer
# or medium and are rare; this many means the line garbles every answer.
MAX_UNRESOLVED = 16


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """Where a scan stands: ``done`` of ``total`` steps (total is an estimate for trees)."""

    done: int
    total: int
    found: int
    current: str  # the address or mask being probed


type ProgressCallback = Callable[[ScanProgress], None]


@dataclass(frozen=True, slots=True)
class PrimaryHit:
    """A primary address that answered."""

    address: int
    collision: bool = False  # several meters share this address


async def scan_primary(
    master: MbusMaster,
    addresses: Iterable[int] = range(MAX_PRIMARY_ADDRESS + 1),
    *,
    progress: ProgressCallback | None = None,
    retries_on_silence: int = 0,
) -> list[PrimaryHit]:
    """SND_NKE to each address; return those that acknowledged.

    Silence is not retried by default: it costs a full answer window per attempt, and a scan
    of 251 addresses would triple in time. A garbled answer is retried (something is there).
    """
    targets = list(addresses)
    hits: list[PrimaryHit] = []
    for done, address in enumerate(targets):
        if progress is not None:
            progress(ScanProgress(done, len(targets), len(hits), str(address)))
        presence = await master.ping(address, retries=retries_on_silence)
        if presence is Presence.SEVERAL:
            presence = await master.ping(address, retries=master.retries)
        if presence is not Presence.NONE:
            hits.append(PrimaryHit(address, collision=presence is Presence.SEVERAL))
    if progress is not None:
        progress(ScanProgress(len(targets), len(targets), len(hits), ""))
    return hits


@dataclass(frozen=True, slots=True)
class FoundMeter:
    """A meter found by secondary search: its address as read from its own header."""

    secondary_address: str  # libmbus's 16 hex digits: ID, manufacturer, version, medium
    identification: str
    manufacturer: str | None
    version: int | None
    medium: int | None
    primary_address: int | None  # the link address it answered with


@dataclass(slots=True)
class SecondaryScanResult:
    """Meters found, probes used, and masks that could not be split further."""

    meters: list[FoundMeter] = field(default_factory=list)
    probes: int = 0
    unresolved: list[str] = field(default_factory=list)  # same ID, several meters


class _SecondarySearch:
    def __init__(self, master: MbusMaster, progress: ProgressCallback | None) -> None:
        self.master = master
        self.progress = progress
        self.result = SecondaryScanResult()
        self._seen: set[str] = set()

    async def probe(self, mask: str) -> Presence:
        result = self.result
        result.probes += 1
        if self.progress is not None:
            estimate = max(result.probes + 10, 10 * (len(result.meters) + 1))
            self.progress(ScanProgress(result.probes, estimate, len(result.meters), mask))
        presence = await self.master.probe_secondary(SecondaryAddress(mask))
        if presence is not Presence.ONE:
            return presence
        # One clean E5 may still hide several meters acknowledging in unison: their
        # telegrams differ, so reading one tells one meter from several.
        try:
            frame = await self.master.read_selected_frame()
        except BusError:
            return Presence.SEVERAL
        header = _header_of(frame)
        if header is None or header.id_text is None:
            return Presence.SEVERAL  # no identity to report: treat as unresolved below
        address = header.secondary_address or header.id_text
        if address not in self._seen:
            self._seen.add(address)
            result.meters.append(
                FoundMeter(
                    address,
                    header.id_text,
                    header.manufacturer,
                    header.version,
                    header.medium_code,
                    frame.address,
                )
            )
        return Presence.ONE

    async def explore(self, mask: str, depth: int, known: Presence | None = None) -> Presence:
        presence = known or await self.probe(mask)
        if presence is not Presence.SEVERAL:
            return presence
        if depth == ID_DIGITS:
            self.result.unresolved.append(mask)
            if len(self.result.unresolved) > MAX_UNRESOLVED:
                raise CollisionError(
                    f"secondary scan stopped: {len(self.result.unresolved)} full IDs answered "
                    "by several meters at once; the line garbles every answer (noise?)"
                )
            return presence
        position = DIGIT_ORDER[depth]
        any_answer = False
        for digit in range(10):
            child = f"{mask[:position]}{digit}{mask[position + 1 :]}"
            if digit == 9 and not any_answer:
                # The parent collided and digits 0-8 are silent: 9 holds several meters.
                await self.explore(child, depth + 1, Presence.SEVERAL)
                continue
            if await self.explore(child, depth + 1) is not Presence.NONE:
                any_answer = True
        return presence


def _header_of(frame: LongFrame | ControlFrame) -> Header | None:
    """The identity header of an answer; only the header has to decode, not the records."""
    if isinstance(frame, LongFrame) and frame.ci in (CI_LONG_HEADER, CI_LONG_HEADER_MODE2):
        try:
            return decode_long_header(frame.data, big_endian=frame.ci == CI_LONG_HEADER_MODE2)
        except DecodeError:
            return None
    try:
        result = decode_long_frame(frame)  # fixed structure (0x73): its header is its data
    except DecodeError:
        return None
    return result.header if isinstance(result, Telegram) else None


async def scan_secondary(
    master: MbusMaster, *, progress: ProgressCallback | None = None
) -> SecondaryScanResult:
    """Find every meter by wildcard search over the ID digits."""
    search = _SecondarySearch(master, progress)
    await search.explore("F" * ID_DIGITS, 0)
    await master.deselect()
    search.result.meters.sort(key=lambda m: m.secondary_address)
    return search.result
