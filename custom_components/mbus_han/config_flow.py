"""Config flow: pick a port, say what is on it, find or enter the meters, test, done."""

from __future__ import annotations

import asyncio
import logging
import string
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # Home Assistant 2026.x validates with probatio (and aliases voluptuous to it)
    import probatio as vol  # type: ignore[import-not-found,unused-ignore]
except ImportError:  # 2025.4
    import voluptuous as vol  # type: ignore[no-redef,unused-ignore]
from homeassistant.config_entries import (
    SOURCE_USB,
    SOURCE_USER,
    ConfigEntryState,
    ConfigFlow,
    ConfigFlowResult,
    OptionsFlow,
)
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.selector import (
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)
from homeassistant.helpers.service_info.usb import UsbServiceInfo

from . import MbusHanConfigEntry
from .const import (
    CONF_ADDRESSES,
    CONF_AUTH_KEY,
    CONF_BAUDRATE,
    CONF_KEY,
    CONF_KIND,
    CONF_METER,
    CONF_METERS,
    CONF_PARITY,
    CONF_PAYLOAD_FORMAT,
    CONF_PORT,
    CONF_SETUP_METHOD,
    CONF_SOURCE,
    CONF_TOPIC,
    CONF_TRANSPORT,
    DEFAULT_BAUDRATE,
    DOMAIN,
    ENTRY_MINOR_VERSION,
    ENTRY_VERSION,
    HAN_BAUDRATE,
    HAN_DEFAULT_PARITY,
    HAN_KEY_LENGTH,
    HAN_METER_PARITY,
    KIND_HAN,
    KIND_MBUS,
    MBUS_BAUD_RATES,
    METER_AUTO,
    SOURCE_MQTT,
    STEP_HAN_MQTT,
)
from .han_coordinator import KEY_ERRORS, SILENCE_TIMEOUT
from .mqtt_source import MqttUnavailableError, async_mqtt_available, async_probe_topic, topic_error
from .options_han import HanOptionsMixin
from .options_mbus import MbusOptionsMixin
from .protocol.errors import (
    AuthenticationTagError,
    BusError,
    ConnectionFailedError,
    DecodeError,
    DecryptionError,
    EncryptionKeyRequiredError,
    PortNotFoundError,
    PortPermissionError,
    ProtocolError,
    TransportError,
)
from .protocol.han import SecurityKeys, Transport
from .protocol.han.listen import wait_for_push
from .protocol.han.payload import PayloadFormat
from .protocol.mbus.master import MbusMaster, parse_address
from .protocol.mbus.requests import RequestError
from .protocol.mbus.scan import FoundMeter, scan_secondary
from .protocol.ports import likely_adapter, port_syntax_error, ports_by_likelihood
from .protocol.transport import PortInfo, SerialSettings, async_list_ports, open_port
from .redact import entry_title, port_unique_id, redact_text, shown_port
from .supervisor import DecoderCrash, SupervisedDecoder

try:  # Home Assistant 2026.x
    from homeassistant.helpers.selector import (  # type: ignore[attr-defined,unused-ignore]
        SerialPortSelector,
    )
except ImportError:  # 2025.4
    SerialPortSelector = None  # type: ignore[misc,assignment,unused-ignore]

_LOGGER = logging.getLogger(__name__)

METHOD_SCAN = "scan"
METHOD_MANUAL = "manual"
# Listening for a first push: every make sends list 2 every 10 s; allow for three of them,
# shared between the two parities when the make is unknown.
HAN_TEST_TIMEOUT = SILENCE_TIMEOUT
# A cancelled search stops at its next await and closes the port: a moment, not a protocol time.
SCAN_STOP_TIMEOUT = 5.0


async def _detected_ports() -> list[PortInfo]:
    """The serial ports present now, likely meter adapters first."""
    try:
        return ports_by_likelihood(await async_list_ports())
    except OSError:
        return []


def _port_selector(ports: list[PortInfo]) -> Any:
    """Detected ports to pick from; a path or socket:// / rfc2217:// URL may be typed.

    Home Assistant 2026.x has its own serial-port selector (with by-id names and serial
    proxies); 2025.4 gets a dropdown of the ports we list ourselves, adapters first.
    """
    if SerialPortSelector is not None:
        return SerialPortSelector()
    return SelectSelector(
        SelectSelectorConfig(
            options=[
                SelectOptionDict(value=p.device, label=f"{p.device} ({p.description})")
                for p in ports
            ],
            custom_value=True,
            mode=SelectSelectorMode.DROPDOWN,
        )
    )


def _port_field(ports: list[PortInfo], preset: str | None = None) -> vol.Required:
    """The port field, pre-set only to a port the user most likely means (never a UART)."""
    default = preset or likely_adapter(ports)
    return vol.Required(CONF_PORT, default=default) if default else vol.Required(CONF_PORT)


async def _open_error(port: str, baudrate: int) -> tuple[str, str] | None:
    """Open the port once, before any search: the form error key and its detail, or None.

    A missing device, a refused connection or a typo is answered within seconds instead of
    after a search that cannot find anything.
    """
    if (reason := port_syntax_error(port)) is not None:
        return "invalid_port", reason
    try:
        async with await open_port(port, SerialSettings(baudrate)):
            pass
    except ProtocolError as err:
        return _error_key(err), redact_text(str(err), port)
    return None


def _stopping_scans(hass: HomeAssistant) -> set[asyncio.Task[Any]]:
    """Searches of ended flows whose cancellation has not yet closed their port."""
    stopping: set[asyncio.Task[Any]] = hass.data.setdefault(f"{DOMAIN}_stopping_scans", set())
    return stopping


def _error_key(err: ProtocolError) -> str:
    """The translation key of the form error for a protocol failure."""
    if isinstance(err, DecoderCrash):
        return "decoder_failed"
    if isinstance(err, EncryptionKeyRequiredError):
        return "key_required"
    if isinstance(err, AuthenticationTagError):
        return "wrong_auth_key"
    if isinstance(err, DecryptionError):
        return "wrong_key"
    if isinstance(err, PortPermissionError):
        return "permission_denied"
    if isinstance(err, PortNotFoundError):
        return "port_not_found"
    if isinstance(err, ConnectionFailedError):
        return "cannot_connect"
    if isinstance(err, TransportError):
        return "cannot_open_port"
    if isinstance(err, BusError):
        return "no_answer"
    if isinstance(err, DecodeError):
        return "invalid_answer"
    return "unknown_protocol_error"


def parse_addresses(text: str) -> list[str]:
    """Split and validate hand-typed addresses (primary 0-250 or secondary IDs).

    Raises :class:`RequestError` naming the first address that is not valid.
    """
    addresses = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    if not addresses:
        raise RequestError("no address given")
    normalised = []
    for address in addresses:
        if not address.isascii():  # "²" is a digit to Python, but no address
            raise RequestError(f"{address!r} is not an address")
        try:
            parsed = parse_address(address)
        except RequestError:
            raise
        except ValueError as err:  # not ours to raise: the text is no address at all
            raise RequestError(f"{address!r} is not an address: {err}") from None
        # "00" is primary address 0: one form per meter, so none is read twice per poll
        normalised.append(str(parsed) if isinstance(parsed, int) else address.upper())
    if len(set(normalised)) != len(normalised):
        raise RequestError("an address is given twice")
    return normalised


def _stable_device_path(device: str, by_id: Path = Path("/dev/serial/by-id")) -> str:
    """The /dev/serial/by-id/ link to ``device``, which survives reboots and replugging.

    Blocking file-system access: run in the executor.
    """
    if by_id.is_dir():
        target = Path(device).resolve()
        for link in sorted(by_id.iterdir()):
            if link.resolve() == target:
                return str(link)
    return device


def _han_keys(user_input: dict[str, Any]) -> tuple[SecurityKeys, dict[str, str]]:
    """The keys typed for an encrypted meter, or the form errors saying which is wrong."""
    errors: dict[str, str] = {}
    texts: dict[str, str | None] = {}
    for field in (CONF_KEY, CONF_AUTH_KEY):
        text = "".join((user_input.get(field) or "").split())
        if text and not _is_key(text):
            errors[field] = "invalid_key"
        texts[field] = text or None
    if texts[CONF_AUTH_KEY] and not texts[CONF_KEY]:
        errors[CONF_KEY] = "key_required_with_auth_key"
    if errors:
        return SecurityKeys(), errors
    return SecurityKeys.from_hex(texts[CONF_KEY], texts[CONF_AUTH_KEY]), errors


# Keys are typed, never shown back: password fields, and no form is pre-filled with them.
# A blank field means "no key" wherever keys are asked for (the test listen then says
# "key required" for an encrypted meter), so an entry only ever holds keys that were tested.
_KEY_FIELDS: dict[Any, Any] = {
    vol.Optional(field): TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
    for field in (CONF_KEY, CONF_AUTH_KEY)
}


def _mqtt_schema() -> vol.Schema:
    return vol.Schema({vol.Required(CONF_TOPIC): TextSelector(), **_KEY_FIELDS})


def _without_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in data.items() if name not in (CONF_KEY, CONF_AUTH_KEY)}


def _is_key(text: str) -> bool:
    """32 hex characters: a 128-bit AES key as the grid company sends it."""
    return len(text) == HAN_KEY_LENGTH and all(c in string.hexdigits for c in text)


def _han_entry_data(
    port: str, user_input: Mapping[str, Any], found: _HanTestResult
) -> dict[str, Any]:
    data: dict[str, Any] = {
        CONF_KIND: KIND_HAN,
        CONF_PORT: port,
        CONF_METER: user_input[CONF_METER],
        CONF_PARITY: found.parity,
        CONF_TRANSPORT: found.transport.value,
    }
    for field in (CONF_KEY, CONF_AUTH_KEY):
        if text := "".join((user_input.get(field) or "").split()):
            data[field] = text.upper()
    return data


@dataclass(frozen=True, slots=True)
class _HanTestResult:
    """What listening to a HAN port found: the settings that worked, or the form error."""

    parity: str = HAN_DEFAULT_PARITY
    transport: Transport = Transport.HDLC
    error: str | None = None
    detail: str = ""


async def _han_test(port: str, meter: str, keys: SecurityKeys) -> _HanTestResult:
    """Wait for one valid push and learn the line's parity and the meter's framing.

    With the make unknown, both parities the meters use are tried in turn: the wrong one
    garbles every frame, so no push checks out. HDLC and M-Bus framing are tried at once on
    the same bytes (Austrian meters wrap DLMS in M-Bus long frames).
    """
    parities = [HAN_METER_PARITY[meter]] if meter in HAN_METER_PARITY else ["E", "N"]
    for parity in parities:
        decoders = [SupervisedDecoder(transport, keys, _log_crash) for transport in Transport]
        try:
            async with await open_port(port, SerialSettings(HAN_BAUDRATE, parity=parity)) as line:
                decoder, _ = await wait_for_push(
                    line.read,
                    decoders,
                    timeout=HAN_TEST_TIMEOUT / len(parities),
                    fatal=(*KEY_ERRORS, DecoderCrash),
                )
        except TimeoutError:
            continue
        except ProtocolError as err:
            detail = redact_text(str(err), port)
            _LOGGER.debug("Listening on %s failed: %s", shown_port(port), detail)
            return _HanTestResult(parity, error=_error_key(err), detail=detail)
        return _HanTestResult(parity, decoder.transport)
    return _HanTestResult(parities[0], error="no_data")


def _log_crash(err: Exception, raw: bytes) -> None:
    """A decoder bug met in a test listen: the form says so; the log keeps the evidence."""
    _LOGGER.error("The decoder failed on %s", raw.hex(" ").upper(), exc_info=err)


@dataclass(frozen=True, slots=True)
class _HanMqttTestResult:
    """What listening to an MQTT topic found: the payload format and framing, or the error."""

    payload_format: PayloadFormat = PayloadFormat.RAW
    transport: Transport = Transport.HDLC
    error: str | None = None
    detail: str = ""


async def _han_mqtt_test(hass: HomeAssistant, topic: str, keys: SecurityKeys) -> _HanMqttTestResult:
    """Wait for one valid push on ``topic``; learn the payload format and the framing.

    The deadline is a serial port's: a reader publishes every push the meter makes, so
    three list-2 intervals without a valid one mean a wrong topic or a reader not sending.
    """
    try:
        found = await async_probe_topic(
            hass,
            topic,
            lambda transport: SupervisedDecoder(transport, keys, _log_crash),
            timeout=HAN_TEST_TIMEOUT,
            fatal=(*KEY_ERRORS, DecoderCrash),
        )
    except TimeoutError:
        return _HanMqttTestResult(error="no_mqtt_data")
    except MqttUnavailableError as err:
        return _HanMqttTestResult(error="mqtt_unavailable", detail=str(err))
    except ProtocolError as err:
        _LOGGER.debug("Listening to %s failed: %s", topic, err)
        return _HanMqttTestResult(error=_error_key(err), detail=str(err))
    return _HanMqttTestResult(found.payload_format, found.transport)


def _han_mqtt_entry_data(
    topic: str, user_input: Mapping[str, Any], found: _HanMqttTestResult
) -> dict[str, Any]:
    """A HAN entry whose port is an MQTT topic (the make only sets a serial line: none)."""
    data: dict[str, Any] = {
        CONF_KIND: KIND_HAN,
        CONF_SOURCE: SOURCE_MQTT,
        CONF_PORT: topic,
        CONF_METER: METER_AUTO,
        CONF_TRANSPORT: found.transport.value,
        CONF_PAYLOAD_FORMAT: found.payload_format.value,
    }
    for field in (CONF_KEY, CONF_AUTH_KEY):
        if text := "".join((user_input.get(field) or "").split()):
            data[field] = text.upper()
    return data


def _is_mqtt(entry: MbusHanConfigEntry) -> bool:
    return bool(entry.data.get(CONF_SOURCE) == SOURCE_MQTT)


def _mqtt_title(topic: str) -> str:
    return f"HAN MQTT {topic}"


class MbusHanConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add one port: an M-Bus meter bus or a smart meter's HAN port."""

    VERSION = ENTRY_VERSION
    MINOR_VERSION = ENTRY_MINOR_VERSION

    def __init__(self) -> None:
        self._port: str = ""
        self._discovered_port: str | None = None
        self._released: str | None = None  # entry unloaded to test its port
        self._baudrate: int = DEFAULT_BAUDRATE
        self._found: list[FoundMeter] = []
        self._scan_task: asyncio.Task[list[FoundMeter]] | None = None
        self._scan_error: str | None = None

    @classmethod
    @callback
    def async_supports_options_flow(cls, config_entry: MbusHanConfigEntry) -> bool:
        """An M-Bus port's poll interval; a HAN port's settlement period and capacity tariff."""
        return config_entry.data[CONF_KIND] in (KIND_MBUS, KIND_HAN)

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: MbusHanConfigEntry) -> MbusHanOptionsFlow:
        """Options: the poll interval."""
        return MbusHanOptionsFlow()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """What is on the port: an M-Bus meter bus, or a smart meter's HAN port."""
        return self.async_show_menu(
            step_id="user", menu_options=[KIND_MBUS, KIND_HAN, STEP_HAN_MQTT]
        )

    async def async_step_han_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """A meter elsewhere: its HAN frames on an MQTT topic, through Home Assistant's MQTT.

        The topic is listened to until a valid push arrives; the format of the message it came
        in (raw, hex or a JSON wrapper) is kept and said in the success message.
        """
        if not await async_mqtt_available(self.hass):
            return self.async_abort(reason="mqtt_not_configured")
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            topic = user_input[CONF_TOPIC].strip()
            keys, errors = _han_keys(user_input)
            if (reason := topic_error(topic)) is not None:
                errors[CONF_TOPIC] = "invalid_topic"
                placeholders["error"] = reason
            elif not errors:
                await self.async_set_unique_id(topic)
                self._abort_if_unique_id_configured()
                found = await _han_mqtt_test(self.hass, topic, keys)
                if found.error is None:
                    return self.async_create_entry(
                        title=_mqtt_title(topic),
                        data=_han_mqtt_entry_data(topic, user_input, found),
                        description=f"mqtt_{found.payload_format.value}",
                        description_placeholders={
                            "topic": topic,
                            "framing": found.transport.value.upper(),
                        },
                    )
                errors["base"] = found.error
                placeholders["error"] = found.detail
        return self.async_show_form(
            step_id=STEP_HAN_MQTT,
            data_schema=self.add_suggested_values_to_schema(
                _mqtt_schema(), _without_keys(user_input or {})
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_han(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the HAN port, the meter make and the keys of an encrypted meter."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            port = user_input[CONF_PORT].strip()
            await self._claim_port(port)
            keys, errors = _han_keys(user_input)
            if (reason := port_syntax_error(port)) is not None:
                errors["base"] = "invalid_port"
                placeholders["error"] = reason
            elif not errors:
                found = await _han_test(port, user_input[CONF_METER], keys)
                if found.error is None:
                    return self.async_create_entry(
                        title=entry_title(KIND_HAN, port),
                        data=_han_entry_data(port, user_input, found),
                    )
                errors["base"] = found.error
                placeholders["error"] = found.detail
        return self.async_show_form(
            step_id="han",
            data_schema=self.add_suggested_values_to_schema(
                await self._han_schema(), user_input or {}
            ),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _han_schema(self) -> vol.Schema:
        ports = await _detected_ports()
        return vol.Schema(
            {
                _port_field(ports): _port_selector(ports),
                vol.Required(CONF_METER, default=METER_AUTO): SelectSelector(
                    SelectSelectorConfig(
                        options=[METER_AUTO, *HAN_METER_PARITY],
                        translation_key=CONF_METER,
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                **_KEY_FIELDS,
            }
        )

    async def async_step_usb(self, discovery_info: UsbServiceInfo) -> ConfigFlowResult:
        """An M-Bus master was plugged in: offer it, by its stable /dev/serial/by-id/ name."""
        port = await self.hass.async_add_executor_job(_stable_device_path, discovery_info.device)
        await self.async_set_unique_id(port_unique_id(port))
        self._abort_if_unique_id_configured()
        self._discovered_port = port
        self.context["title_placeholders"] = {"port": shown_port(port)}
        return await self.async_step_mbus()

    async def async_step_mbus(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Pick the port and the bus settings."""
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            self._port = user_input[CONF_PORT].strip()
            self._baudrate = int(user_input[CONF_BAUDRATE])
            await self._claim_port(self._port)
            if (failure := await _open_error(self._port, self._baudrate)) is None:
                if user_input[CONF_SETUP_METHOD] == METHOD_SCAN:
                    return await self.async_step_scan()
                return await self.async_step_manual()
            errors["base"], placeholders["error"] = failure
        ports = await _detected_ports()
        schema = vol.Schema(
            {
                _port_field(ports, self._discovered_port): _port_selector(ports),
                vol.Required(CONF_BAUDRATE, default=str(DEFAULT_BAUDRATE)): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(rate) for rate in MBUS_BAUD_RATES],
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
                vol.Required(CONF_SETUP_METHOD, default=METHOD_SCAN): SelectSelector(
                    SelectSelectorConfig(
                        options=[METHOD_SCAN, METHOD_MANUAL],
                        translation_key=CONF_SETUP_METHOD,
                        mode=SelectSelectorMode.LIST,
                    )
                ),
            }
        )
        return self.async_show_form(
            step_id="mbus",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _scan(self) -> list[FoundMeter]:
        async with await MbusMaster.open(self._port, SerialSettings(self._baudrate)) as master:
            result = await scan_secondary(master)
        return result.meters

    async def async_step_scan(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Search the bus for every meter (secondary address search), showing progress."""
        if self._scan_task is None:
            self._scan_task = self.hass.async_create_task(self._scan(), eager_start=False)
        if not self._scan_task.done():
            return self.async_show_progress(
                step_id="scan",
                progress_action="scan",
                progress_task=self._scan_task,
                description_placeholders={"port": shown_port(self._port)},
            )
        try:
            self._found = self._scan_task.result()
        except ProtocolError as err:
            self._scan_error = _error_key(err)
            _LOGGER.debug(
                "Scan of %s failed: %s", shown_port(self._port), redact_text(str(err), self._port)
            )
            return self.async_show_progress_done(next_step_id="scan_failed")
        finally:
            self._scan_task = None
        if not self._found:
            self._scan_error = "no_meter_found"
            return self.async_show_progress_done(next_step_id="scan_failed")
        return self.async_show_progress_done(next_step_id="select")

    async def async_step_scan_failed(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """The scan found nothing or could not run: say why, offer to enter addresses."""
        if user_input is not None:
            return await self.async_step_manual()
        return self.async_show_form(
            step_id="scan_failed",
            errors={"base": self._scan_error or "no_meter_found"},
            description_placeholders={"port": shown_port(self._port)},
        )

    async def async_step_select(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Tick the meters to add."""
        errors: dict[str, str] = {}
        if user_input is not None:
            chosen = user_input[CONF_METERS]
            if chosen:
                return await self._test_and_create(list(chosen))
            errors["base"] = "no_meter_selected"
        options = [
            SelectOptionDict(
                value=meter.secondary_address,
                label=f"{meter.manufacturer or '?'} {meter.identification}"
                + (f" (primary {meter.primary_address})" if meter.primary_address else ""),
            )
            for meter in self._found
        ]
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_METERS, default=[option["value"] for option in options]
                ): SelectSelector(SelectSelectorConfig(options=options, multiple=True))
            }
        )
        return self.async_show_form(
            step_id="select",
            data_schema=schema,
            errors=errors,
            description_placeholders={"count": str(len(options))},
        )

    async def async_step_manual(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Enter addresses by hand: primary 0-250 or 8/16-digit secondary, comma separated."""
        errors: dict[str, str] = {}
        placeholders = {"port": shown_port(self._port), "error": ""}
        if user_input is not None:
            try:
                addresses = parse_addresses(user_input[CONF_ADDRESSES])
            except RequestError as err:
                errors[CONF_ADDRESSES] = "invalid_address"
                placeholders["error"] = str(err)
            else:
                return await self._test_and_create(addresses, step_id="manual")
        schema = vol.Schema({vol.Required(CONF_ADDRESSES, default="0"): TextSelector()})
        return self.async_show_form(
            step_id="manual",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _test(self, port: str, baudrate: int, addresses: list[str]) -> str | None:
        """Read every meter once; return the form error key of the first failure."""
        try:
            async with await MbusMaster.open(port, SerialSettings(baudrate)) as master:
                for address in addresses:
                    await master.read(parse_address(address))
        except ProtocolError as err:
            _LOGGER.debug(
                "Test read on %s failed: %s", shown_port(port), redact_text(str(err), port)
            )
            return _error_key(err)
        return None

    async def _test_and_create(
        self, addresses: list[str], step_id: str = "select"
    ) -> ConfigFlowResult:
        error = await self._test(self._port, self._baudrate, addresses)
        if error is not None:
            if step_id == "manual":
                return self.async_show_form(
                    step_id="manual",
                    data_schema=vol.Schema(
                        {vol.Required(CONF_ADDRESSES, default=", ".join(addresses)): TextSelector()}
                    ),
                    errors={"base": error},
                    description_placeholders={"port": shown_port(self._port), "error": ""},
                )
            return self.async_abort(reason=error)
        return self.async_create_entry(
            title=entry_title(KIND_MBUS, self._port),
            data={
                CONF_KIND: KIND_MBUS,
                CONF_PORT: self._port,
                CONF_BAUDRATE: self._baudrate,
                CONF_METERS: addresses,
            },
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move the bus to another port (e.g. the adapter moved), keeping its meters."""
        entry = self._get_reconfigure_entry()
        if _is_mqtt(entry):
            return await self.async_step_reconfigure_han_mqtt()
        if entry.data[CONF_KIND] == KIND_HAN:
            return await self.async_step_reconfigure_han()
        errors: dict[str, str] = {}
        if user_input is not None:
            port = user_input[CONF_PORT].strip()
            baudrate = int(user_input[CONF_BAUDRATE])
            if port != entry.data[CONF_PORT]:
                await self.async_set_unique_id(port_unique_id(port))
                self._abort_if_unique_id_configured()
            await self._release_port(entry)
            error = await self._test(port, baudrate, entry.data[CONF_METERS])
            if error is None:
                self._released = None  # the update reloads it
                return self.async_update_reload_and_abort(
                    entry,
                    unique_id=port_unique_id(port),
                    title=entry_title(KIND_MBUS, port),
                    data_updates={CONF_PORT: port, CONF_BAUDRATE: baudrate},
                )
            errors["base"] = error
        schema = vol.Schema(
            {
                vol.Required(CONF_PORT, default=entry.data[CONF_PORT]): _port_selector(
                    await _detected_ports()
                ),
                vol.Required(
                    CONF_BAUDRATE, default=str(entry.data.get(CONF_BAUDRATE, DEFAULT_BAUDRATE))
                ): SelectSelector(
                    SelectSelectorConfig(
                        options=[str(rate) for rate in MBUS_BAUD_RATES],
                        mode=SelectSelectorMode.DROPDOWN,
                    )
                ),
            }
        )
        return self.async_show_form(step_id="reconfigure", data_schema=schema, errors=errors)

    async def _release_port(self, entry: MbusHanConfigEntry) -> None:
        """Unload the entry so its own connection does not hold the port during a test.

        Serial ports are opened exclusively; the entry is set up again afterwards, with the
        new settings on success (update and reload) or the old ones when the flow ends
        without success (:meth:`async_remove`).
        """
        if entry.state is ConfigEntryState.LOADED:
            await self.hass.config_entries.async_unload(entry.entry_id)
            self._released = entry.entry_id

    async def _claim_port(self, port: str) -> None:
        """Make this flow the one setting up ``port``; an older, abandoned one gives way.

        A set-up whose browser page was left (not closed) stays in progress with its search
        running; without this, the port would stay locked until Home Assistant restarts.
        The older flow is aborted, which cancels its search and closes the port.
        """
        await self.async_set_unique_id(port_unique_id(port), raise_on_progress=False)
        self._abort_if_unique_id_configured()
        for flow in self.hass.config_entries.flow.async_progress_by_handler(
            DOMAIN, include_uninitialized=True, match_context={"unique_id": port_unique_id(port)}
        ):
            if flow["flow_id"] != self.flow_id and flow["context"].get("source") in (
                SOURCE_USER,
                SOURCE_USB,
            ):
                _LOGGER.debug(
                    "A new set-up of %s replaces flow %s", shown_port(port), flow["flow_id"]
                )
                self.hass.config_entries.flow.async_abort(flow["flow_id"])
        # The aborted searches close the port only when their cancellation has run, which
        # Home Assistant 2026.x does not wait for: wait here, or this flow finds it locked.
        if stopping := [task for task in _stopping_scans(self.hass) if not task.done()]:
            await asyncio.wait(stopping, timeout=SCAN_STOP_TIMEOUT)

    @callback
    def async_remove(self) -> None:
        """The flow ends: its search stops (closing the port); a released entry runs again."""
        if self._scan_task is not None and not self._scan_task.done():
            self._scan_task.cancel()
            stopping = _stopping_scans(self.hass)
            stopping.add(self._scan_task)
            self._scan_task.add_done_callback(stopping.discard)
        self._scan_task = None
        if self._released is not None:
            self.hass.config_entries.async_schedule_reload(self._released)
            self._released = None

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:
        """The HAN meter's data no longer decrypts: ask for the current keys."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Enter the keys the grid company sent; the meter is listened to once to check."""
        entry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        placeholders = {"port": shown_port(entry.data[CONF_PORT]), "error": ""}
        if user_input is not None and _is_mqtt(entry):
            return await self._reauth_mqtt(entry, user_input)
        if user_input is not None:
            keys, errors = _han_keys(user_input)
            if not errors:
                await self._release_port(entry)
                # Exactly the keys just tested: a blank field is no key, never an old one.
                answer = {CONF_METER: entry.data[CONF_METER], **user_input}
                port, meter = entry.data[CONF_PORT], entry.data[CONF_METER]
                found = await _han_test(port, meter, keys)
                if found.error is None:
                    self._released = None  # the update reloads it
                    return self.async_update_reload_and_abort(
                        entry, data=_han_entry_data(port, answer, found)
                    )
                errors["base"] = found.error
                placeholders["error"] = found.detail
        schema = vol.Schema(_KEY_FIELDS)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=schema,
            errors=errors,
            description_placeholders=placeholders,
        )

    async def _reauth_mqtt(
        self, entry: MbusHanConfigEntry, user_input: dict[str, Any]
    ) -> ConfigFlowResult:
        """New keys for a meter read over MQTT: its topic is listened to once to check.

        The entry keeps running meanwhile: a topic, unlike a serial port, has many readers.
        """
        topic = entry.data[CONF_PORT]
        keys, errors = _han_keys(user_input)
        placeholders = {"port": topic, "error": ""}
        if not errors:
            found = await _han_mqtt_test(self.hass, topic, keys)
            if found.error is None:
                return self.async_update_reload_and_abort(
                    entry, data=_han_mqtt_entry_data(topic, user_input, found)
                )
            errors["base"] = found.error
            placeholders["error"] = found.detail
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=vol.Schema(_KEY_FIELDS),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure_han_mqtt(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the topic of a meter read over MQTT, or its keys."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            topic = user_input[CONF_TOPIC].strip()
            keys, errors = _han_keys(user_input)
            if (reason := topic_error(topic)) is not None:
                errors[CONF_TOPIC] = "invalid_topic"
                placeholders["error"] = reason
            elif not errors:
                if topic != entry.data[CONF_PORT]:
                    await self.async_set_unique_id(topic)
                    self._abort_if_unique_id_configured()
                found = await _han_mqtt_test(self.hass, topic, keys)
                if found.error is None:
                    return self.async_update_reload_and_abort(
                        entry,
                        unique_id=topic,
                        title=_mqtt_title(topic),
                        data=_han_mqtt_entry_data(topic, user_input, found),
                    )
                errors["base"] = found.error
                placeholders["error"] = found.detail
        suggested = _without_keys(user_input or {CONF_TOPIC: entry.data[CONF_PORT]})
        return self.async_show_form(
            step_id="reconfigure_han_mqtt",
            data_schema=self.add_suggested_values_to_schema(_mqtt_schema(), suggested),
            errors=errors,
            description_placeholders=placeholders,
        )

    async def async_step_reconfigure_han(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Move a HAN port, or change the meter make or its keys (e.g. new keys from the grid)."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        if user_input is not None:
            port = user_input[CONF_PORT].strip()
            if port != entry.data[CONF_PORT]:
                await self.async_set_unique_id(port_unique_id(port))
                self._abort_if_unique_id_configured()
            keys, errors = _han_keys(user_input)
            if not errors:
                await self._release_port(entry)
                found = await _han_test(port, user_input[CONF_METER], keys)
                if found.error is None:
                    self._released = None  # the update reloads it
                    return self.async_update_reload_and_abort(
                        entry,
                        unique_id=port_unique_id(port),
                        title=entry_title(KIND_HAN, port),
                        data=_han_entry_data(port, user_input, found),
                    )
                errors["base"] = found.error
                placeholders["error"] = found.detail
        return self.async_show_form(
            step_id="reconfigure_han",
            data_schema=self.add_suggested_values_to_schema(
                await self._han_schema(), user_input or _without_keys(entry.data)
            ),
            errors=errors,
            description_placeholders=placeholders,
        )


class MbusHanOptionsFlow(MbusOptionsMixin, HanOptionsMixin, OptionsFlow):
    """A port's options: M-Bus in options_mbus.py, HAN in options_han.py."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Start at the port kind's own options."""
        if self.config_entry.data[CONF_KIND] == KIND_HAN:
            return await self.async_step_han()
        return await self.async_step_mbus()
