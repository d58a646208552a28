"""HAN frames from an MQTT topic, read through Home Assistant's MQTT integration.

A meter in another building is read by a small reader next to it (Tibber Pulse, an
amsleser.no board, our own bridge) that publishes the HAN port's bytes to a broker. This
module makes such a topic look like a serial port to the HAN coordinator: ``read`` returns
the bytes of the next message, so the same stream decoder, keys, silence watchdog, repair
issues and entities serve both. The payload formats are in :mod:`.protocol.han.payload`.

Home Assistant's MQTT integration is an after-dependency, not a dependency: users of serial
ports need no broker. It is imported where used, so that the integration loads without it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.core import HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError

from .protocol.errors import DecodeError, TransportError
from .protocol.han import HanReading, HanStreamDecoder, Transport
from .protocol.han.hdlc import IDLE_CHARACTERS
from .protocol.han.payload import PayloadError, PayloadFormat, candidates, unwrap

if TYPE_CHECKING:
    from homeassistant.components.mqtt.models import ReceiveMessage

_LOGGER = logging.getLogger(__name__)

# Messages waiting for the decoder: a meter pushes one every 2 s, so a backlog this long
# means the loop is stalled; the oldest go first (the newest values are the ones worth having).
MAX_QUEUED_MESSAGES = 64
# A frame split over messages arrives within milliseconds; after a second without a message
# a frame still incomplete will not be completed (the next push comes 2-10 s later).
MESSAGE_IDLE = 1.0
# The character time that makes the listener's idle wait (IDLE_CHARACTERS of them) MESSAGE_IDLE.
MQTT_CHAR_TIME = MESSAGE_IDLE / IDLE_CHARACTERS


class MqttUnavailableError(TransportError):
    """Home Assistant's MQTT integration is not set up, so no topic can be subscribed to."""


def topic_error(topic: str) -> str | None:
    """Why ``topic`` cannot be a HAN source, or None.

    Wildcards are refused: two meters' streams on one decoder would mix their bytes, and
    their values would be put on one device.
    """
    if not topic:
        return "the topic is empty"
    if "+" in topic or "#" in topic:
        return "wildcards (+, #) would mix several meters; give one meter's topic"
    if "\0" in topic:
        return "the topic holds a NUL character"
    if len(topic.encode("utf-8")) > 65535:
        return "the topic is longer than MQTT allows"
    return None


async def async_mqtt_available(hass: HomeAssistant) -> bool:
    """True when Home Assistant's MQTT integration is set up (waits while it is starting)."""
    if "mqtt" not in hass.config.components and not hass.config_entries.async_entries("mqtt"):
        return False
    from homeassistant.components import mqtt  # noqa: PLC0415 - optional integration

    return bool(await mqtt.async_wait_for_mqtt_client(hass))


@dataclass(slots=True)
class MqttCounters:
    """What happened to a topic's messages besides decoding, for diagnostics."""

    dropped: int = 0  # messages dropped because the reader fell behind (bounded inbox)
    retained: int = 0  # retained messages ignored: the broker's copy of an old push
    payload_errors: int = 0  # messages that did not carry bytes in the topic's format


class _Inbox:
    """The messages received and not yet read, bounded (the oldest are dropped first)."""

    def __init__(self, counters: MqttCounters) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(maxsize=MAX_QUEUED_MESSAGES)
        self.counters = counters

    @callback
    def put(self, message: ReceiveMessage) -> None:
        """Take one message (called by the MQTT integration, in the event loop)."""
        if message.retain:
            self.counters.retained += 1  # an old value, not what the meter says now
            return
        payload = message.payload
        data = payload if isinstance(payload, bytes) else str(payload).encode("utf-8")
        if self.queue.full():
            self.queue.get_nowait()
            self.counters.dropped += 1
        self.queue.put_nowait(data)


async def _subscribe(
    hass: HomeAssistant, topic: str, on_message: Callable[[ReceiveMessage], None]
) -> Callable[[], None]:
    if not await async_mqtt_available(hass):
        raise MqttUnavailableError("Home Assistant's MQTT integration is not set up")
    from homeassistant.components import mqtt  # noqa: PLC0415 - optional integration

    try:
        return await mqtt.async_subscribe(hass, topic, on_message, encoding=None)
    except HomeAssistantError as err:
        raise MqttUnavailableError(f"cannot subscribe to {topic}: {err}") from err


def _unsubscribe(unsubscribe: Callable[[], None]) -> None:
    """Unsubscribe; a subscription the MQTT integration dropped itself (reloaded) is gone."""
    try:
        unsubscribe()
    except HomeAssistantError as err:
        _LOGGER.debug("Subscription already gone: %s", err)


class MqttSource:
    """One topic's HAN bytes, read like a serial port: ``read`` gives the next message's."""

    char_time = MQTT_CHAR_TIME

    def __init__(
        self, topic: str, payload_format: PayloadFormat, counters: MqttCounters | None = None
    ) -> None:
        self.topic = topic
        self.payload_format = payload_format
        self.counters = counters or MqttCounters()
        self._inbox = _Inbox(self.counters)
        self._unsubscribe: Callable[[], None] | None = None

    @classmethod
    async def open(
        cls,
        hass: HomeAssistant,
        topic: str,
        payload_format: PayloadFormat,
        counters: MqttCounters | None = None,
    ) -> MqttSource:
        """Subscribe; :class:`MqttUnavailableError` when the MQTT integration is not there."""
        source = cls(topic, payload_format, counters)
        source._unsubscribe = await _subscribe(hass, topic, source._inbox.put)
        return source

    async def read(self) -> bytes:
        """The HAN bytes of the next message in the topic's format (others are skipped)."""
        while True:
            payload = await self._inbox.queue.get()
            try:
                return unwrap(payload, self.payload_format)
            except PayloadError as err:
                self.counters.payload_errors += 1
                _LOGGER.debug("Message on %s skipped: %s", self.topic, err)

    async def close(self) -> None:
        """Unsubscribe (idempotent)."""
        unsubscribe, self._unsubscribe = self._unsubscribe, None
        if unsubscribe is not None:
            _unsubscribe(unsubscribe)


@dataclass(frozen=True, slots=True)
class ProbeResult:
    """What the first messages of a topic showed: their format and the meter's framing."""

    payload_format: PayloadFormat
    transport: Transport
    reading: HanReading


async def async_probe_topic(
    hass: HomeAssistant,
    topic: str,
    decoder_factory: Callable[[Transport], HanStreamDecoder],
    *,
    timeout: float,
    fatal: tuple[type[DecodeError], ...] = (),
) -> ProbeResult:
    """Listen to ``topic`` until a message gives a valid push; learn its format from that.

    Every message is read in every format it fits (raw always; hex or JSON when it parses
    as such), each feeding its own decoders (one per framing), and the first valid push
    names the format. Raises ``TimeoutError`` when none came within ``timeout`` seconds, a
    ``fatal`` decode error at once (wrong keys), :class:`MqttUnavailableError` without MQTT.
    """
    inbox = _Inbox(MqttCounters())
    decoders = {
        (payload_format, transport): decoder_factory(transport)
        for payload_format in PayloadFormat
        for transport in Transport
    }
    unsubscribe = await _subscribe(hass, topic, inbox.put)
    try:
        async with asyncio.timeout(timeout):
            while True:
                payload = await inbox.queue.get()
                for payload_format, data in candidates(payload):
                    for transport in Transport:
                        for result in decoders[payload_format, transport].feed(data):
                            if isinstance(result, fatal):
                                raise result
                            if isinstance(result, HanReading):
                                return ProbeResult(payload_format, transport, result)
    finally:
        _unsubscribe(unsubscribe)
