"""Listens to one HAN port: a background task pushes each decoded frame to the entities.

The meter pushes; nothing is polled. The task opens the port, hands every chunk to the pure
protocol decoder and publishes each valid reading at once. When the port is lost or the meter
stays silent for three of its list-2 intervals, the entities go unavailable (one warning), the
port is reopened with a growing delay, and one info line says when the readings are back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .const import (
    CONF_AUTH_KEY,
    CONF_KEY,
    CONF_PARITY,
    CONF_PAYLOAD_FORMAT,
    CONF_PORT,
    CONF_SOURCE,
    CONF_TRANSPORT,
    DOMAIN,
    HAN_BAUDRATE,
    HAN_DEFAULT_PARITY,
    SOURCE_MQTT,
)
from .issues import (
    clear_key_problem,
    clear_port_permission,
    report_key_problem,
    report_port_permission,
)
from .meter_claims import may_publish
from .mqtt_source import MqttCounters, MqttSource
from .protocol.errors import (
    AuthenticationTagError,
    DecodeError,
    DecryptionError,
    EncryptionKeyRequiredError,
    NoKnownValuesError,
    PortPermissionError,
    TransportError,
)
from .protocol.han import (
    HanReading,
    HanStreamDecoder,
    HanValue,
    MeterIdentity,
    SecurityKeys,
    Transport,
)
from .protocol.han.clock import MeterClock
from .protocol.han.listen import listen
from .protocol.han.payload import PayloadFormat
from .protocol.transport import SerialPort, SerialSettings, open_port
from .redact import redact_text, shown_port
from .supervisor import CrashLog, DecoderCrash, SupervisedDecoder, call_listeners_isolated
from .weak_check import COUNTERS, WeakCheckFilter

if TYPE_CHECKING:
    from . import MbusHanConfigEntry

_LOGGER = logging.getLogger(__name__)

# Every meter make pushes list 2 every 10 s; three missed pushes mean the line or meter is gone.
EXPECTED_INTERVAL = 10.0
SILENCE_TIMEOUT = 3 * EXPECTED_INTERVAL
# Reopen delays after a failure: quick for a short USB hiccup, capped so that a returning
# gateway is found again within half a minute.
RECONNECT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0)
RAW_BYTES_KEPT = 2048  # the last bytes received, for diagnostics
# Pushes in a row that the keys do not open before the user is asked for new keys: one could
# be a damaged frame whose check sequence happened to hold; three are not.
KEY_FAILURES_FOR_REAUTH = 3
# Errors meaning the configured key does not fit this meter's pushes.
KEY_ERRORS = (AuthenticationTagError, DecryptionError, EncryptionKeyRequiredError)


@dataclass(slots=True)
class HanData:
    """What the meter has told so far: its identity, clock and the latest value per OBIS code.

    Lists carry different values (list 1 power only, list 3 the energies once an hour), so
    values are merged: each keeps the last value the meter sent for it.
    """

    meter: MeterIdentity = field(default_factory=MeterIdentity)
    clock: MeterClock | None = None
    values: dict[str, HanValue] = field(default_factory=dict)
    not_present: set[str] = field(default_factory=set)
    # A full list without a meter ID (Swedish Aidon meters send none): the meter will not
    # say who it is, so its device is named after the port's config entry instead.
    anonymous: bool = False

    def merge(self, reading: HanReading) -> None:
        """Take in one push."""
        old, new = self.meter, reading.meter
        if new.meter_id and old.meter_id and new.meter_id != old.meter_id:
            # Another meter on the port (replaced, issue 18): nothing the old one said holds.
            old = MeterIdentity()
            self.clock = None
            self.values = {}
            self.not_present = set()
            self.anonymous = False
        self.meter = MeterIdentity(
            manufacturer=new.manufacturer or old.manufacturer,
            meter_id=new.meter_id or old.meter_id,
            meter_type=new.meter_type or old.meter_type,
            list_version=new.list_version or old.list_version,
        )
        if reading.clock is not None:
            self.clock = reading.clock
        if new.meter_id is None and len(reading.values) > 1:
            self.anonymous = True  # Norwegian list 1 (power only) is not a full list
        self.values.update(reading.values)
        self.not_present |= reading.not_present
        for code in reading.not_present:
            self.values.pop(code, None)

    def forget_instantaneous(self) -> None:
        """Drop power, currents and voltages after an outage: they are no longer true.

        Energy counters stay: the last total the meter sent is still its last known total
        (as after a restart), and the hourly list brings the next one.
        """
        self.values = {
            code: value for code, value in self.values.items() if value.quantity in COUNTERS
        }


@dataclass(slots=True)
class HanStats:
    """Counters for diagnostics."""

    connects: int = 0
    port_errors: int = 0
    silences: int = 0
    readings: int = 0
    undecodable: int = 0
    key_errors: int = 0
    crashes: int = 0  # unexpected exceptions caught by the supervisor (bugs)
    unconfirmed: int = 0  # values of weakly checked pushes held back (weak_check.py)
    listener_restarts: int = 0  # times the listening loop itself failed and was restarted


# Where the bytes come from: a serial port (or gateway), or an MQTT topic read like one.
type ByteSource = SerialPort | MqttSource


class HanCoordinator(DataUpdateCoordinator[HanData]):
    """One HAN port: owns the listening task; entities subscribe as to any coordinator.

    The port is a serial port, or an MQTT topic a reader near the meter publishes the port's
    bytes to (``source: mqtt``, the topic in ``port``): everything after ``read`` is the same.
    """

    config_entry: MbusHanConfigEntry
    _unknown_push_logged = False  # a meter layout we cannot read: warn once, count every push

    def __init__(self, hass: HomeAssistant, entry: MbusHanConfigEntry) -> None:
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"HAN {shown_port(entry.data[CONF_PORT])}",
            update_interval=None,  # pushed, never polled
        )
        self.port: str = entry.data[CONF_PORT]  # to open; never shown (it may hold a key)
        self.shown_port = shown_port(self.port)
        self.mqtt = entry.data.get(CONF_SOURCE) == SOURCE_MQTT
        self.mqtt_counters = MqttCounters()  # kept across resubscriptions, for diagnostics
        self.settings = SerialSettings(
            HAN_BAUDRATE, parity=entry.data.get(CONF_PARITY, HAN_DEFAULT_PARITY)
        )
        self.keys = SecurityKeys.from_hex(entry.data.get(CONF_KEY), entry.data.get(CONF_AUTH_KEY))
        self.port_device_id = ""  # the device registry id of the port, set at setup
        self.stats = HanStats()
        self.raw_bytes: deque[int] = deque(maxlen=RAW_BYTES_KEPT)
        self.crashes = CrashLog(_LOGGER, self.shown_port)
        self.decoder: HanStreamDecoder = SupervisedDecoder(
            Transport(entry.data.get(CONF_TRANSPORT, Transport.HDLC)),
            self.keys,
            on_crash=lambda err, raw: self._crashed("decoding a push", err, raw),
        )
        self.data = HanData()
        self._port: ByteSource | None = None
        self._task: asyncio.Task[None] | None = None
        self._restart: asyncio.TimerHandle | None = None  # a dead listener's restart
        self._outage_logged = False
        self._outage = ("han_silent", "")  # translation key and detail of the current outage
        self._key_failures = 0
        self._weak = WeakCheckFilter()
        # Called with every push as taken in, after the entities (hour_statistics.py)
        self.reading_listeners: list[Callable[[HanReading], None]] = []

    @property
    def device_identifier(self) -> str | None:
        """The meter's device identifier, once the pushes tell whose values they are."""
        meter_id = self.data.meter.meter_id
        if meter_id is not None:
            return f"HAN-{meter_id}"
        if self.data.anonymous:
            return f"HAN-entry-{self.config_entry.entry_id}"
        return None  # list 1 names no meter: list 2 (within 10 s) will

    async def async_open(self) -> None:
        """Open the port once at setup, so that a missing adapter retries the setup.

        A key issue from before (the user has just entered new keys, say) is withdrawn: the
        first push with these keys raises it again if they do not fit either.
        """
        clear_key_problem(self.hass, self.config_entry.entry_id)
        self._port = await self._open()

    @callback
    def async_start(self) -> None:
        """Start listening in the background; the task ends with the entry."""
        self._restart = None
        self._task = self.config_entry.async_create_background_task(
            self.hass, self._run(), f"{DOMAIN} listener {self.shown_port}"
        )
        self._task.add_done_callback(self._listener_ended)

    @callback
    def _listener_ended(self, task: asyncio.Task[None]) -> None:
        """The last line of the supervisor: a listening task that died is started again.

        ``_run`` catches everything its loop raises; this is for what escapes the catching
        itself. Entities go unavailable, and listening resumes after the longest delay.
        """
        if task.cancelled() or task is not self._task:
            return  # stopped on purpose (unload)
        err = task.exception()
        self.stats.listener_restarts += 1
        if isinstance(err, Exception):
            self._crashed("running the listener", err, self._recent_bytes())
        try:
            self._set_outage("listener_failed", self._redact(f"{type(err).__name__}: {err}"))
        except Exception:  # noqa: BLE001 - what may have killed it: at least go unavailable
            self.last_update_success = False
            self.async_update_listeners()
        self._restart = self.hass.loop.call_later(RECONNECT_DELAYS[-1], self.async_start)

    async def async_shutdown(self) -> None:
        """Stop listening and close the port."""
        await super().async_shutdown()
        if self._restart is not None:
            self._restart.cancel()
            self._restart = None
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._close()

    async def _open(self) -> ByteSource:
        self.stats.connects += 1
        if self.mqtt:
            payload_format = PayloadFormat(self.config_entry.data[CONF_PAYLOAD_FORMAT])
            return await MqttSource.open(self.hass, self.port, payload_format, self.mqtt_counters)
        try:
            port = await open_port(self.port, self.settings)
        except PortPermissionError:
            report_port_permission(self.hass, self.config_entry.entry_id, self.shown_port)
            raise
        clear_port_permission(self.hass, self.config_entry.entry_id)
        return port

    async def _close(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            await port.close()

    def _redact(self, text: str) -> str:
        return redact_text(text, self.port)

    def _crashed(self, what: str, err: Exception, raw: bytes) -> None:
        self.stats.crashes += 1
        self.crashes.record(what, err, raw)

    def _recent_bytes(self) -> bytes:
        return bytes(self.raw_bytes)[-512:]

    async def _run(self) -> None:
        """Listen, and after every loss reopen with a growing delay, until cancelled.

        The supervisor: whatever ends the listening (the port, a silent meter, or a bug
        raising anything at all) makes the entities unavailable and starts it again.
        """
        failures = 0
        while True:
            readings_before, silences_before = self.stats.readings, self.stats.silences
            try:
                await self._listen_until_lost()
            except Exception as err:  # noqa: BLE001 - a bug must not end listening for good
                self.stats.listener_restarts += 1
                self._crashed("listening", err, self._recent_bytes())
                self._set_outage("listener_failed", self._redact(f"{type(err).__name__}: {err}"))
            try:
                await self._close()
            except Exception as err:  # noqa: BLE001
                self._port = None
                self._crashed("closing the port", err, b"")
            if self.stats.readings > readings_before:  # it worked for a while: start over
                failures = 0
            delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
            if self.mqtt and self.stats.silences > silences_before:
                # A silent topic is subscribed to again at once: there is no device to spare,
                # and every push published while unsubscribed would be missed.
                delay = RECONNECT_DELAYS[0]
            failures += 1
            await asyncio.sleep(delay)

    async def _listen_until_lost(self) -> None:
        """Open the port if needed and listen until it fails or the meter falls silent."""
        try:
            if self._port is None:
                self._port = await self._open()
            silent = await self._listen(self._port)
        except TransportError as err:
            self.stats.port_errors += 1
            self._set_outage("port_lost", self._redact(str(err)))
        else:
            if silent:
                self.stats.silences += 1
                self._set_outage("han_silent", f"{SILENCE_TIMEOUT:.0f} s")
                # Reopen: a gateway's TCP connection can die without a word.

    async def _listen(self, port: ByteSource) -> bool:
        """Decode pushes until the port fails (raises) or the meter is silent (True)."""
        self.decoder.reset()  # no half frame from before

        async def read() -> bytes:
            chunk = await port.read()
            self.raw_bytes.extend(chunk)
            return chunk

        outcome = await listen(
            read,
            self.decoder,
            self._on_result,
            char_time=port.char_time if isinstance(port, MqttSource) else self.settings.char_time(),
            silence_timeout=SILENCE_TIMEOUT,
        )
        return outcome.silent

    @callback
    def _on_result(self, result: HanReading | DecodeError) -> None:
        try:
            self._take(result)
        except Exception as err:  # noqa: BLE001 - one push must not end the listener
            self._crashed("handling a push", err, self._recent_bytes())

    def _take(self, result: HanReading | DecodeError) -> None:
        if isinstance(result, DecodeError):
            self._on_decode_error(result)
            return
        self.stats.readings += 1
        if self._key_failures:  # the keys work again (not on every push: this is hot)
            self._key_failures = 0
            clear_key_problem(self.hass, self.config_entry.entry_id)
        if self._outage_logged:
            _LOGGER.info("Readings from the HAN port %s are back", self.shown_port)
            self._outage_logged = False
        if self._weakly_checked(result):
            result = self._weak.confirm(result, self.hass.loop.time())
            self.stats.unconfirmed = self._weak.rejected
        self.data.merge(result)
        meter_id = self.device_identifier
        if meter_id is not None and not may_publish(self.hass, self.config_entry, meter_id):
            return  # read on another port: its values are that port's (meter_claims.py)
        self.async_set_updated_data(self.data)
        for listener in self.reading_listeners:
            listener(result)

    def _weakly_checked(self, reading: HanReading) -> bool:
        """True for a push whose only check is an M-Bus frame's 8-bit sum (no tag, no CRC)."""
        authenticated = reading.security is not None and reading.security.authenticated
        return self.decoder.transport is Transport.MBUS and not authenticated

    def _on_decode_error(self, err: DecodeError) -> None:
        self.stats.undecodable += 1
        if isinstance(err, DecoderCrash):
            return  # logged (once) and counted by the supervisor
        if isinstance(err, KEY_ERRORS):
            self.stats.key_errors += 1
            self._key_failures += 1
            if self._key_failures == KEY_FAILURES_FOR_REAUTH:
                self.config_entry.async_start_reauth(self.hass)
            report_key_problem(
                self.hass, self.config_entry.entry_id, self.shown_port, self._redact(str(err))
            )
        data = err.raw.hex() if err.raw is not None else "-"
        if isinstance(err, NoKnownValuesError) and not self._unknown_push_logged:
            self._unknown_push_logged = True
            _LOGGER.warning(
                "HAN port %s: %s; data %s", self.shown_port, self._redact(str(err)), data
            )
        else:
            _LOGGER.debug(
                "Undecodable push on %s: %s; data %s", self.shown_port, self._redact(str(err)), data
            )

    def _set_outage(self, translation_key: str, error: str) -> None:
        """Entities unavailable; one warning per outage, not one per retry."""
        self._outage = (translation_key, error)
        self._weak.reset()  # the next push has no predecessor to be compared with
        self.last_exception = self._outage_error()
        if not self._outage_logged:
            _LOGGER.warning("HAN port %s: %s", self.shown_port, self.last_exception)
            self._outage_logged = True
            self.data.forget_instantaneous()
        if self.last_update_success:
            self.last_update_success = False
            self.async_update_listeners()

    @callback
    def async_update_listeners(self) -> None:
        """Tell every entity; one that raises is reported and the others still update."""
        call_listeners_isolated(
            [update for update, _ in list(self._listeners.values())],
            lambda err: self._crashed("updating an entity", err, self._recent_bytes()),
        )

    async def _async_update_data(self) -> HanData:
        """Nothing to fetch: the data is what the meter pushed last.

        During an outage (``update_entity``, say) the outage stands: stale values must not
        come back as available.
        """
        if self._outage_logged:
            raise self._outage_error()
        return self.data

    def _outage_error(self) -> UpdateFailed:
        translation_key, error = self._outage
        return UpdateFailed(
            translation_domain=DOMAIN,
            translation_key=translation_key,
            translation_placeholders={"port": self.shown_port, "error": error},
        )
