"""Polls the meters of one M-Bus port in turn; all bus I/O stays in the protocol package."""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_BAUDRATE,
    CONF_METERS,
    CONF_PORT,
    CONF_SCAN_INTERVAL,
    DEFAULT_BAUDRATE,
    DEFAULT_SCAN_INTERVAL,
    DOMAIN,
)
from .issues import clear_port_permission, report_port_permission
from .meter_claims import may_publish
from .meter_ids import meter_identifier
from .protocol.errors import PortPermissionError, ProtocolError, TransportError
from .protocol.mbus.frames import Frame, encode_frame
from .protocol.mbus.master import Address, MbusMaster, Reading, parse_address
from .protocol.mbus.model import Record, Telegram
from .protocol.transport import SerialSettings
from .redact import redact_text, shown_port
from .supervisor import CrashLog, RecordingChannel, call_listeners_isolated

if TYPE_CHECKING:
    from . import MbusHanConfigEntry

_LOGGER = logging.getLogger(__name__)
RAW_FRAMES_KEPT = 10  # last raw frames kept for diagnostics
# After the port itself failed (adapter unplugged, gateway down), reopen sooner than the next
# poll: opening a port costs the meters nothing. Capped by the poll interval.
RECONNECT_DELAYS = (
    timedelta(seconds=5),
    timedelta(seconds=10),
    timedelta(seconds=30),
    timedelta(minutes=1),
    timedelta(minutes=5),
)


@dataclass(slots=True)
class MbusData:
    """The latest poll: a telegram per meter that answered, an error text per one that did not."""

    telegrams: dict[str, Telegram] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    records: dict[str, dict[str, Record]] = field(default_factory=dict)  # by address, key
    elsewhere: set[str] = field(default_factory=set)  # answered, but read on another port

    def add(self, address: str, telegram: Telegram) -> None:
        """Keep ``telegram`` and index its records by key."""
        self.telegrams[address] = telegram
        self.records[address] = {record.key: record for record in telegram.records}


@dataclass(slots=True)
class MbusStats:
    """Counters for diagnostics."""

    polls: int = 0
    reads_ok: int = 0
    reads_failed: int = 0
    port_errors: int = 0
    reconnects: int = 0  # connections found closed (idle gateways) and reopened at once
    crashes: int = 0  # unexpected exceptions caught by the supervisor (bugs)


class MbusCoordinator(DataUpdateCoordinator[MbusData]):
    """One bus: opens the port on demand, reads every configured meter each interval."""

    config_entry: MbusHanConfigEntry

    def __init__(self, hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
        interval = entry.options.get(CONF_SCAN_INTERVAL)
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"M-Bus {shown_port(entry.data[CONF_PORT])}",
            update_interval=timedelta(seconds=interval) if interval else DEFAULT_SCAN_INTERVAL,
        )
        self.port: str = entry.data[CONF_PORT]  # to open; never shown (it may hold a key)
        self.shown_port = shown_port(self.port)
        self.settings = SerialSettings(baudrate=entry.data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE))
        self.addresses: dict[str, Address] = {
            text: parse_address(text) for text in entry.data[CONF_METERS]
        }
        self.port_device_id = ""  # the device registry id of the port, set at setup
        self.poll_interval: timedelta = self.update_interval or DEFAULT_SCAN_INTERVAL
        self._port_failures = 0
        self._silent: set[str] = set()  # meters reported silent (one warning each)
        self.stats = MbusStats()
        self.raw_frames: deque[str] = deque(maxlen=RAW_FRAMES_KEPT)
        self.crashes = CrashLog(_LOGGER, self.shown_port)
        self._master: MbusMaster | None = None
        self._channel: RecordingChannel | None = None
        self._may_reconnect = True
        # Meters whose entities were told of this poll's reading as soon as it came in.
        self._published: set[str] = set()

    def set_poll_interval(self, interval: timedelta) -> None:
        """Poll every ``interval`` from now on (the options flow's setting)."""
        self.poll_interval = interval
        if not self._port_failures:
            self.update_interval = interval
            if self._listeners:
                self._schedule_refresh()  # count the new interval from now, not the old one

    def _port_failed(self) -> None:
        """Retry the port sooner than the next poll, a little later each time."""
        delay = RECONNECT_DELAYS[min(self._port_failures, len(RECONNECT_DELAYS) - 1)]
        self._port_failures += 1
        self.update_interval = min(delay, self.poll_interval)

    def _port_works(self) -> None:
        if self._port_failures:
            self._port_failures = 0
            self.update_interval = self.poll_interval

    @property
    def master(self) -> MbusMaster | None:
        """The open master, while the port is open."""
        return self._master

    async def _open_master(self) -> MbusMaster:
        if self._master is None:
            try:
                self._master = await MbusMaster.open(self.port, self.settings)
            except PortPermissionError as err:
                report_port_permission(self.hass, self.config_entry.entry_id, self.shown_port)
                self.stats.port_errors += 1
                self._port_failed()
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="port_permission",
                    translation_placeholders={"port": self.shown_port, "error": self._redact(err)},
                ) from err
            except TransportError as err:
                self.stats.port_errors += 1
                self._port_failed()
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="cannot_open_port",
                    translation_placeholders={"port": self.shown_port, "error": self._redact(err)},
                ) from err
            clear_port_permission(self.hass, self.config_entry.entry_id)
            self._channel = RecordingChannel(self._master.link.channel)
            self._master.link.channel = self._channel
        return self._master

    async def _close_master(self) -> None:
        master, self._master = self._master, None
        self._channel = None
        if master is not None:
            await master.close()

    async def _read(self, address: Address) -> Reading:
        """Read one meter; a connection found closed is reopened once, at once.

        Network gateways drop idle TCP connections (often after a minute or two), and the
        master only notices at the next request: that is no failed poll.
        """
        master = await self._open_master()
        try:
            return await master.read(address)
        except TransportError as err:
            await self._close_master()
            if not self._may_reconnect:
                # The port itself is gone (USB unplugged, gateway down): reopen next time.
                self.stats.port_errors += 1
                self._port_failed()
                raise UpdateFailed(
                    translation_domain=DOMAIN,
                    translation_key="port_lost",
                    translation_placeholders={"port": self.shown_port, "error": self._redact(err)},
                ) from err
            _LOGGER.debug("Reconnecting to %s at once: %s", self.shown_port, self._redact(err))
            self.stats.reconnects += 1
            self._may_reconnect = False  # once per poll: a second loss is a lost port
            return await self._read(address)

    async def _async_update_data(self) -> MbusData:
        self.stats.polls += 1
        await self._open_master()
        data = MbusData()
        self._may_reconnect = True
        self._published = set()
        live = self.data if self.last_update_success else None
        by_meter = self._meter_listeners() if live is not None else {}
        for text, address in self.addresses.items():
            try:
                reading = await self._read(address)
            except ProtocolError as err:
                self.stats.reads_failed += 1
                data.errors[text] = self._redact(err)
                continue
            except UpdateFailed:
                raise
            except Exception as err:  # noqa: BLE001 - a bug costs this meter's read, not the bus
                self.stats.reads_failed += 1
                self._crashed(f"reading meter {text}", err)
                data.errors[text] = f"unexpected error ({type(err).__name__}: {self._redact(err)})"
                continue
            self.stats.reads_ok += 1
            self.raw_frames.extend(_frame_hex(frame) for frame in reading.frames)
            meter_id = meter_identifier(self.config_entry.entry_id, text, reading.telegram)
            if not may_publish(self.hass, self.config_entry, meter_id):
                data.elsewhere.add(text)  # its values are that port's (meter_claims.py)
                continue
            data.add(text, reading.telegram)
            if live is not None:
                self._publish(live, text, reading.telegram, by_meter.get(text, []))
        self._port_works()  # the port carried every request, whether meters answered or not
        if not data.telegrams and not data.elsewhere:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="no_answer",
                translation_placeholders={
                    "port": self.shown_port,
                    "error": "; ".join(f"{k}: {v}" for k, v in data.errors.items()),
                },
            )
        self._log_meter_changes(data)
        return data

    def _log_meter_changes(self, data: MbusData) -> None:
        """One warning when a meter stops answering on a working bus, one line when back.

        When no meter answers, the coordinator's own error (and its "recovered" line) says
        it for the whole bus instead.
        """
        for address in sorted(set(data.errors) - self._silent):
            _LOGGER.warning(
                "Meter %s on %s does not answer: %s", address, self.shown_port, data.errors[address]
            )
        for address in sorted(self._silent & set(data.telegrams)):
            _LOGGER.info("Meter %s on %s answers again", address, self.shown_port)
        self._silent = set(data.errors)

    def _redact(self, err: Exception) -> str:
        return redact_text(str(err), self.port)

    def _crashed(self, what: str, err: Exception) -> None:
        self.stats.crashes += 1
        self.crashes.record(what, err, self._channel.received if self._channel else b"")

    def _meter_listeners(self) -> dict[str, list[CALLBACK_TYPE]]:
        """The update callbacks of each meter's entities (their context is the address)."""
        by_meter: dict[str, list[CALLBACK_TYPE]] = {}
        for update, context in list(self._listeners.values()):
            if isinstance(context, str) and context in self.addresses:
                by_meter.setdefault(context, []).append(update)
        return by_meter

    def _publish(
        self, live: MbusData, address: str, telegram: Telegram, listeners: list[CALLBACK_TYPE]
    ) -> None:
        """Show one meter's new reading now, not with the whole bus at the end of the poll.

        Users see each value as soon as it is read (a 250-meter bus at 2400 baud takes
        minutes per poll), and the event loop writes a dozen states at a time instead of
        thousands in one step.
        """
        live.add(address, telegram)
        live.errors.pop(address, None)
        self._published.add(address)
        self._call_isolated(listeners)

    @callback
    def async_update_listeners(self) -> None:
        """Tell every entity not told during the poll; one that raises does not stop the rest.

        After a successful poll the meters already published keep their state: the reading
        they showed is the one in the new data. After a failed one every entity is told.
        """
        skip = self._published if self.last_update_success else set()
        self._published = set()
        self._call_isolated(
            [update for update, context in list(self._listeners.values()) if context not in skip]
        )

    def _call_isolated(self, listeners: list[CALLBACK_TYPE]) -> None:
        call_listeners_isolated(listeners, lambda err: self._crashed("updating an entity", err))

    async def async_shutdown(self) -> None:
        """Stop polling and close the port."""
        await super().async_shutdown()
        await self._close_master()


def _frame_hex(frame: Frame) -> str:
    return encode_frame(frame).hex(" ").upper()
