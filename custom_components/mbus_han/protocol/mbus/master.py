"""The M-Bus master: sessions with meters by primary or secondary address (EN 13757-2/-3).

What the known masters get wrong, and what this one does:

- One transaction at a time per bus: a lock covers a whole session (reset, requests, every
  telegram of a multi-telegram read), so two readers never interleave their FCB state.
- SND_NKE starts every primary-address session, so the meter's frame count bit (FCB) is in a
  known state; the first REQ_UD2 then carries FCB=1 and every further telegram toggles it. A
  retry after a lost answer keeps the FCB, so the meter repeats the same telegram (as the
  standard intends) instead of skipping one.
- A telegram identical to the previous one after a toggle means the meter did not see the
  toggle: detected and re-requested with the FCB toggled once more. If it persists (a meter
  that announces more records but has only one telegram, e.g. the Elvaco CMa10), the
  telegrams read so far are kept and the reading is marked incomplete.
- Our own request echoed by the level converter is skipped (PRM bit), not taken for an answer
  or a collision.
- Timeouts come from :mod:`.timing`, retries are bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from ..errors import CollisionError, NoAnswerError, UnexpectedAnswerError
from ..transport import SerialPort, SerialSettings, open_port
from .frames import C_FUNCTION_MASK, C_RSP_UD, AckFrame, ControlFrame, Frame, LongFrame
from .link import ByteChannel, MbusLink, Reception
from .model import ApplicationError, Telegram
from .requests import (
    ADDRESS_BROADCAST_NO_REPLY,
    ADDRESS_BROADCAST_REPLY,
    ADDRESS_NETWORK_LAYER,
    BAUD_RATE_CI,
    MAX_PRIMARY_ADDRESS,
    RequestError,
    SecondaryAddress,
    application_reset,
    req_ud2,
    select_secondary,
    set_primary_address,
    snd_nke,
    switch_baud_rate,
)
from .telegram import decode_long_frame
from .timing import DEFAULT_NETWORK_MARGIN, DEFAULT_SERIAL_MARGIN, BusTiming

DEFAULT_RETRIES = 2  # three attempts in all, as libmbus and most vendor tools do
DEFAULT_MAX_TELEGRAMS = 16  # bound on DIF 0x1F "more records follow" chains

type Address = int | SecondaryAddress


class Presence(Enum):
    """What a probe (SND_NKE or secondary selection) found."""

    NONE = "none"  # silence
    ONE = "one"  # a clean acknowledge
    SEVERAL = "several"  # a garbled answer: more than one slave answered


@dataclass(frozen=True, slots=True)
class Reading:
    """Every telegram of one read, in order, and their records merged into one telegram."""

    address: Address
    telegrams: tuple[Telegram, ...]
    frames: tuple[LongFrame | ControlFrame, ...]
    # False when the meter still announced more after the bound, or kept repeating a telegram
    complete: bool = True
    repeats_detected: int = 0  # telegrams the meter sent again because it missed a toggle

    @property
    def telegram(self) -> Telegram:
        """One telegram: the first header and the records of all, keys kept unique."""
        first = self.telegrams[0]
        if len(self.telegrams) == 1:
            return first
        records = []
        counts: dict[str, int] = {}
        for telegram in self.telegrams:
            for record in telegram.records:
                base = record.key
                key = base
                if base in counts:
                    counts[base] += 1
                    key = f"{base}_{counts[base]}"
                    while key in counts:  # a key like "energy_2" may exist already
                        counts[base] += 1
                        key = f"{base}_{counts[base]}"
                counts.setdefault(key, 1)
                records.append(record._replace(key=key) if key != base else record)
        last = self.telegrams[-1]
        return first._replace(
            records=tuple(records),
            manufacturer_data=last.manufacturer_data,
            more_records_follow=last.more_records_follow,
        )


@dataclass(slots=True)
class MasterStats:
    """What the master had to do beyond the plain exchanges."""

    retries: int = 0
    repeated_telegrams: int = 0
    sessions: int = 0


def _is_ack(frame: Frame) -> bool:
    return isinstance(frame, AckFrame)


def _rsp_ud_from(address: int) -> Callable[[Frame], bool]:
    def accept(frame: Frame) -> bool:
        if not isinstance(frame, LongFrame | ControlFrame):
            return False
        if frame.control & C_FUNCTION_MASK != C_RSP_UD:
            return False
        # Answers via 253/254 carry the slave's own primary address, so any address goes.
        return address > MAX_PRIMARY_ADDRESS or frame.address == address

    return accept


def _check_primary(address: int, *, allow_broadcast: bool = True) -> int:
    highest = ADDRESS_BROADCAST_REPLY if allow_broadcast else MAX_PRIMARY_ADDRESS
    if not 0 <= address <= highest or address in (251, 252, ADDRESS_NETWORK_LAYER):
        raise RequestError(
            f"primary address {address} is not 0-{MAX_PRIMARY_ADDRESS}"
            + (
                f" or {ADDRESS_BROADCAST_REPLY} (the one meter on the bus)"
                if allow_broadcast
                else ""
            )
        )
    return address


class MbusMaster:
    """Bus master on one port. Use :meth:`open` for a port by name, or wrap a channel."""

    def __init__(
        self,
        channel: ByteChannel,
        timing: BusTiming,
        *,
        retries: int = DEFAULT_RETRIES,
        max_telegrams: int = DEFAULT_MAX_TELEGRAMS,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must not be negative, got {retries}")
        if max_telegrams < 1:
            raise ValueError(f"max_telegrams must be at least 1, got {max_telegrams}")
        self.link = MbusLink(channel, timing)
        self.retries = retries
        self.max_telegrams = max_telegrams
        self.stats = MasterStats()
        self._lock = asyncio.Lock()
        self._port: SerialPort | None = None

    @classmethod
    async def open(
        cls,
        url: str,
        settings: SerialSettings | None = None,
        *,
        extra_margin: float | None = None,
        retries: int = DEFAULT_RETRIES,
        max_telegrams: int = DEFAULT_MAX_TELEGRAMS,
    ) -> MbusMaster:
        """Open ``url`` and return a master that owns (and closes) the port."""
        settings = settings or SerialSettings()
        if settings.baudrate not in BAUD_RATE_CI:
            rates = ", ".join(map(str, BAUD_RATE_CI))
            raise RequestError(f"{settings.baudrate} baud is not an M-Bus rate ({rates})")
        port = await open_port(url, settings)
        if extra_margin is None:
            extra_margin = DEFAULT_NETWORK_MARGIN if port.is_network else DEFAULT_SERIAL_MARGIN
        timing = BusTiming(settings.baudrate, settings.bits_per_char, extra_margin)
        master = cls(port, timing, retries=retries, max_telegrams=max_telegrams)
        master._port = port
        return master

    @property
    def timing(self) -> BusTiming:
        """The bus timing in use."""
        return self.link.timing

    async def close(self) -> None:
        """Close the port if this master opened it."""
        if self._port is not None:
            await self._port.close()

    async def __aenter__(self) -> MbusMaster:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- transactions -------------------------------------------------------------------

    async def _transact(
        self,
        request: Frame,
        accept: Callable[[Frame], bool],
        what: str,
        *,
        retries: int | None = None,
    ) -> Frame:
        """Send ``request`` until an accepted answer comes back; bounded retries."""
        attempts = 1 + (self.retries if retries is None else retries)
        failures: list[str] = []
        last: Reception | None = None
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
                if last is not None and last.garbled:
                    await self.link.wait_for_silence()
            last = await self.link.exchange(request)
            if last.frame is not None and accept(last.frame):
                return last.frame
            failures.append(_describe(last))
        assert last is not None
        summary = f"{what}: {', '.join(failures)} ({attempts} attempt{'s' * (attempts > 1)})"
        if last.frame is not None:
            raise UnexpectedAnswerError(summary)
        if last.garbled:
            raise CollisionError(summary + "; several meters answering, or line noise")
        raise NoAnswerError(summary)

    async def _reset_link(self, address: int) -> None:
        await self._transact(snd_nke(address), _is_ack, f"SND_NKE to {address}")

    async def _select(self, address: SecondaryAddress, *, retries: int | None = None) -> None:
        await self._transact(
            select_secondary(address),
            _is_ack,
            f"select {_secondary_text(address)}",
            retries=retries,
        )

    # -- public API ---------------------------------------------------------------------

    async def ping(self, address: int, *, retries: int | None = None) -> Presence:
        """SND_NKE to ``address``: is a meter there? It also resets the meter's FCB."""
        _check_primary(address)
        async with self._lock:
            return await self._probe(snd_nke(address), retries=retries)

    async def probe_secondary(
        self, address: SecondaryAddress, *, retries: int | None = 0
    ) -> Presence:
        """Select ``address`` (wildcards allowed): none, one or several meters acknowledged."""
        async with self._lock:
            return await self._probe(select_secondary(address), retries=retries)

    async def _probe(self, request: Frame, *, retries: int | None) -> Presence:
        attempts = 1 + (self.retries if retries is None else retries)
        garbled_seen = False
        for attempt in range(attempts):
            if attempt:
                self.stats.retries += 1
                if garbled_seen:
                    await self.link.wait_for_silence()
            reception = await self.link.exchange(request, whole_window=True)
            if isinstance(reception.frame, AckFrame) and not reception.garbled:
                return Presence.ONE
            if reception.frame is not None or reception.garbled:
                garbled_seen = True
        return Presence.SEVERAL if garbled_seen else Presence.NONE

    async def read_selected(self) -> Telegram:
        """REQ_UD2 to 253 after a selection: raises CollisionError if several are selected."""
        return _decode(await self.read_selected_frame())

    async def read_selected_frame(self) -> LongFrame | ControlFrame:
        """The selected meter's answer to REQ_UD2, checked as a frame but not decoded.

        A scan needs only the header; a meter whose records do not decode is still found.
        """
        async with self._lock:
            frame = await self._transact(
                req_ud2(ADDRESS_NETWORK_LAYER, fcb=True),
                _rsp_ud_from(ADDRESS_NETWORK_LAYER),
                "REQ_UD2 to the selected meter",
                retries=0,
            )
        assert isinstance(frame, LongFrame | ControlFrame)  # what _rsp_ud_from accepts
        return frame

    async def deselect(self) -> None:
        """SND_NKE to 253: the selected meter (if any) leaves the selected state."""
        async with self._lock:
            await self.link.exchange(snd_nke(ADDRESS_NETWORK_LAYER))

    async def read(self, address: Address) -> Reading:
        """Read every telegram of one meter, by primary (0-250, 254) or secondary address."""
        target = self._target(address)
        async with self._lock:
            self.stats.sessions += 1
            if isinstance(address, SecondaryAddress):
                await self._select(address)
            else:
                await self._reset_link(target)
            return await self._read_telegrams(address, target)

    async def _read_telegrams(self, address: Address, target: int) -> Reading:
        accept = _rsp_ud_from(target)
        fcb = True  # the first request after a reset carries FCB=1
        frames: list[LongFrame | ControlFrame] = []
        telegrams: list[Telegram] = []
        repeats = 0
        while True:
            number = len(frames) + 1
            frame = await self._transact(
                req_ud2(target, fcb=fcb), accept, f"REQ_UD2 #{number} to {target}"
            )
            assert isinstance(frame, LongFrame | ControlFrame)
            if frames and frame == frames[-1]:
                # The meter answered our toggled request with the same telegram: it did not
                # take the toggle. Toggle once more; if it keeps doing it, what it sent so far
                # is all it will send: keep it, marked incomplete.
                repeats += 1
                self.stats.repeated_telegrams += 1
                if repeats > self.retries:
                    return Reading(address, tuple(telegrams), tuple(frames), False, repeats)
                fcb = not fcb
                continue
            telegram = _decode(frame)
            frames.append(frame)
            telegrams.append(telegram)
            if not telegram.more_records_follow:
                return Reading(address, tuple(telegrams), tuple(frames), True, repeats)
            if len(frames) >= self.max_telegrams:
                return Reading(address, tuple(telegrams), tuple(frames), False, repeats)
            fcb = not fcb

    # -- configuration commands ---------------------------------------------------------

    async def set_primary_address(self, address: Address, new_address: int) -> None:
        """Give the meter at ``address`` the primary address ``new_address`` (0-250)."""
        _check_primary(new_address, allow_broadcast=False)
        target = self._target(address)
        async with self._lock:
            if isinstance(address, SecondaryAddress):
                await self._select(address)
            await self._transact(
                set_primary_address(target, new_address),
                _is_ack,
                f"set primary address {new_address} at {target}",
            )

    async def application_reset(self, address: Address, subcode: int | None = None) -> None:
        """SND_UD CI 0x50: restart the meter's application (and its telegram sequence)."""
        target = self._target(address)
        async with self._lock:
            if isinstance(address, SecondaryAddress):
                await self._select(address)
            await self._transact(
                application_reset(target, subcode), _is_ack, f"application reset at {target}"
            )

    async def switch_baud_rate(self, address: Address, baudrate: int) -> None:
        """Tell the meter to use ``baudrate`` from now on, then follow it on our side.

        The meter acknowledges at the old rate and switches after. Only possible when the
        master opened the port itself, and only sensible with one meter or all switched.
        """
        target = self._target(address)
        async with self._lock:
            if isinstance(address, SecondaryAddress):
                await self._select(address)
            await self._transact(
                switch_baud_rate(target, baudrate), _is_ack, f"switch {target} to {baudrate} baud"
            )
            if self._port is not None:
                await self._port.set_baudrate(baudrate)
            timing = self.link.timing
            self.link.timing = BusTiming(baudrate, timing.bits_per_char, timing.extra_margin)

    async def broadcast_no_reply(self, request: Frame) -> None:
        """Send a frame to 255 (every meter acts, none answers)."""
        if getattr(request, "address", None) != ADDRESS_BROADCAST_NO_REPLY:
            raise RequestError("broadcast_no_reply needs a frame addressed to 255")
        async with self._lock:
            await self.link.exchange(request, expect_answer=False)

    @staticmethod
    def _target(address: Address) -> int:
        if isinstance(address, SecondaryAddress):
            return ADDRESS_NETWORK_LAYER
        return _check_primary(address)


def _decode(frame: Frame) -> Telegram:
    assert isinstance(frame, LongFrame | ControlFrame)
    result = decode_long_frame(frame)
    if isinstance(result, ApplicationError):
        raise UnexpectedAnswerError(
            f"meter at {frame.address} reports an application error: {result.reason}"
        )
    return result


def _describe(reception: Reception) -> str:
    if reception.frame is not None:
        return f"unexpected {type(reception.frame).__name__}"
    if reception.overrun:
        return "the line was still sending when the longest answer would have ended"
    if reception.garbled:
        return f"garbled answer ({len(reception.raw)} bytes)"
    return "no answer"


def _secondary_text(address: SecondaryAddress) -> str:
    parts = [address.id_mask]
    if address.manufacturer:
        parts.append(address.manufacturer)
    if address.version is not None:
        parts.append(f"version {address.version}")
    if address.medium is not None:
        parts.append(f"medium 0x{address.medium:02X}")
    return " ".join(parts)


_ASCII_DIGITS = frozenset("0123456789")


def _is_ascii_number(text: str) -> bool:
    # Not str.isdigit: it accepts "²" and other scripts' digits, which int() then refuses.
    return bool(text) and all(character in _ASCII_DIGITS for character in text)


def parse_address(text: str) -> Address:
    """A primary address (``0``-``250``, ``254``) or a secondary one (8 or 16 hex digits).

    Raises :class:`RequestError` (a ``ValueError``) for anything else.
    """
    text = text.strip()
    if _is_ascii_number(text) and len(text) <= 3:
        return _check_primary(int(text))
    return SecondaryAddress.parse(text)


def parse_address_list(text: str) -> list[str]:
    """Hand-typed addresses, separated by commas or semicolons, each in its canonical text.

    Duplicates are found by what the addresses mean, not how they are typed: ``0`` and
    ``00``, or ``12345678`` and ``12345678FFFFFFFF``, are the same meter and would be read
    twice per poll. Raises :class:`RequestError` naming the first bad or repeated address.
    """
    parts = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if not parts:
        raise RequestError("no address given")
    seen: dict[Address, str] = {}
    for part in parts:
        address = parse_address(part)
        if address in seen:
            raise RequestError(f"address {part} is the same meter as {seen[address]}")
        seen[address] = part
    return [
        str(address) if isinstance(address, int) else part.upper() for address, part in seen.items()
    ]
