"""The bridge at work: polls the M-Bus buses, listens to the HAN ports, publishes to MQTT.

Each bus and each port is a task of its own with its own back-off, so one unplugged adapter
costs only its own meters. Meters are announced once the start-up clean-up has read what an
earlier run left on the broker (the retained index of this bridge's meters): meters gone from
the configuration get their retained discovery removed, and meters still there keep the
sensors they had, so that a restart never removes and re-adds entities.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import DecodeError, ProtocolError, TransportError
from ..han import HanReading, HanStreamDecoder, Transport
from ..han.hdlc import HdlcFramer, encode_hdlc_frame
from ..han.listen import listen
from ..han.weak_check import WeakCheckFilter
from ..mbus.framer import MbusFramer
from ..mbus.frames import LongFrame, encode_frame
from ..mbus.master import MbusMaster, parse_address
from ..transport import SerialPort, SerialSettings, open_port
from .config import BridgeConfig, HanPortConfig, MbusBusConfig
from .discovery import (
    OFFLINE,
    ONLINE,
    DeviceInfo,
    MeterState,
    Topics,
    component_id,
    device_discovery,
    entity_discoveries,
    slug,
    state_messages,
    topics_for,
)
from .meters import HanTracker, mbus_meter_id, mbus_take, source_ref
from .publisher import Publisher

if TYPE_CHECKING:
    import aiomqtt

_LOGGER = logging.getLogger(__name__)

HAN_SILENCE = 30.0  # s: three missed list-2 pushes (as the integration)
PORT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)  # reopen a lost port after these, then 60 s
SYNC_TIMEOUT = 10.0  # s to wait for the broker's retained messages at start-up


@dataclass(slots=True)
class BridgeStats:
    """Counters (logged at the end, and read by tests and the benchmark)."""

    readings: int = 0
    undecodable: int = 0
    unanswered: int = 0
    port_errors: int = 0
    raw_frames: int = 0
    removed_meters: list[str] = field(default_factory=list)


class Bridge:
    """One configuration's buses and ports, and their meters on the broker."""

    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.topics: Topics = topics_for(config.mqtt, config.bridge_id)
        self.publisher = Publisher(
            config.mqtt,
            client_id=config.mqtt.client_id
            or f"mbus-han-{config.bridge_id}-{uuid.uuid4().hex[:6]}",
            will_topic=self.topics.bridge_availability,
            on_connect=self._connected,
        )
        self.meters: dict[str, MeterState] = {}
        self.index: dict[str, dict[str, Any]] = {}  # meter id -> source, slug, components
        self.stats = BridgeStats()
        self.synced = asyncio.Event()  # the start-up clean-up is done
        self._sources = {
            source_ref(config.bridge_id, bus.port, address)
            for bus in config.mbus
            for address in bus.meters
        } | {source_ref(config.bridge_id, han.port) for han in config.han}
        self._restored: dict[str, dict[str, Any]] = {}  # meter id -> retained components

    async def run(self) -> None:
        """Run until cancelled."""
        async with asyncio.TaskGroup() as group:
            group.create_task(self.publisher.run(), name="mqtt")
            for bus in self.config.mbus:
                group.create_task(self._run_bus(bus), name=f"mbus {bus.port}")
            for han in self.config.han:
                group.create_task(self._run_han(han), name=f"han {han.port}")

    # --- the broker --------------------------------------------------------------------------

    async def _connected(self, client: aiomqtt.Client) -> None:
        """Every (re)connection: the first one cleans up after earlier runs, then announce."""
        if not self.synced.is_set():
            await self._clean_up(client)
            self.synced.set()
        for meter in self.meters.values():
            self._announce(meter)
            meter.published.clear()  # the broker may have lost them (restarted without disk)
            self._publish_states(meter)
        self._publish_index()

    async def _clean_up(self, client: aiomqtt.Client) -> None:
        retained = await _read_retained(client, [self.topics.index], self.topics.sync)
        try:
            index = json.loads(retained.get(self.topics.index, b"{}") or b"{}")
        except ValueError:
            index = {}
        if not isinstance(index, dict):
            index = {}
        for meter_id, entry in index.items():
            if not isinstance(entry, dict):
                continue
            if entry.get("source") in self._sources:
                self.index.setdefault(meter_id, entry)
            else:
                await self._remove(meter_id, entry)
        if self.config.mqtt.discovery == "device" and self.index:
            wanted = {self.topics.device_config(m): m for m in self.index}
            configs = await _read_retained(client, list(wanted), self.topics.sync)
            for topic, payload in configs.items():
                with contextlib.suppress(ValueError, AttributeError):
                    components = json.loads(payload).get("components")
                    if isinstance(components, dict):
                        self._restored[wanted[topic]] = components
        for meter in list(self.meters.values()):  # found while the broker was away
            meter.restored = self._restored.get(meter.meter_id, {})
            await self._supersede(meter)

    async def _remove(self, meter_id: str, entry: dict[str, Any]) -> None:
        """Clear a meter's retained discovery, state and availability (gone from the config)."""
        _LOGGER.info("Meter %s is no longer configured: removing it from Home Assistant", meter_id)
        self.stats.removed_meters.append(meter_id)
        self.index.pop(meter_id, None)
        meter_slug = str(entry.get("slug") or slug(meter_id))
        if self.config.mqtt.discovery == "device":
            topics = [self.topics.device_config(meter_id)]
        else:
            topics = [
                self.topics.entity_config(meter_id, str(comp))
                for comp in entry.get("components", [])
            ]
        if all(meter.slug != meter_slug for meter in self.meters.values()):
            # (a named HAN port keeps its topics for the meter that replaced this one)
            topics.append(self.topics.availability(meter_slug))
            topics += [
                self.topics.sensor(meter_slug, str(comp)) for comp in entry.get("components", [])
            ]
        for topic in topics:
            if self.publisher.connected or self.synced.is_set():
                self.publisher.publish(topic, b"")
            else:
                await self.publisher.publish_now(topic, b"")

    def _publish_index(self) -> None:
        self.publisher.publish(
            self.topics.index, json.dumps(self.index, sort_keys=True, separators=(",", ":"))
        )

    # --- meters ------------------------------------------------------------------------------

    def _update(self, meter: MeterState, changed: bool) -> None:
        """A meter's new reading (or outage): announce it when new, then its state."""
        known = self.meters.get(meter.meter_id)
        if known is not meter:
            self.meters[meter.meter_id] = meter
            meter.restored = self._restored.get(meter.meter_id, {})
            if self.synced.is_set():
                self._remove_later(meter)
            changed = True
        if changed and self.synced.is_set():
            self._announce(meter)
            self._publish_index()
        self.publisher.publish(
            self.topics.availability(meter.slug), ONLINE if meter.online else OFFLINE
        )
        self._publish_states(meter)

    def _publish_states(self, meter: MeterState) -> None:
        """Send the sensors whose value changed since it was last sent (retained)."""
        for topic, payload in state_messages(meter, self.topics).items():
            if meter.published.get(topic) != payload:
                meter.published[topic] = payload
                self.publisher.publish(topic, payload)

    async def _supersede(self, meter: MeterState) -> None:
        """Another meter answers where ``meter``'s predecessor was (a swap): remove the old one."""
        for other_id, entry in list(self.index.items()):
            if entry.get("source") == meter.source and other_id != meter.meter_id:
                self.meters.pop(other_id, None)
                await self._remove(other_id, entry)
                self._publish_index()

    def _remove_later(self, meter: MeterState) -> None:
        task = asyncio.get_running_loop().create_task(self._supersede(meter))
        task.add_done_callback(lambda t: t.exception() if not t.cancelled() else None)

    def _announce(self, meter: MeterState) -> None:
        """Send the meter's discovery (retained) and note it in the index."""
        if self.config.mqtt.discovery == "device":
            topic, payload = device_discovery(meter, self.topics)
            self.publisher.publish(topic, json.dumps(payload, separators=(",", ":")))
            components = sorted(payload["components"])
        else:
            messages = entity_discoveries(meter, self.topics)
            for topic, payload in messages:
                self.publisher.publish(topic, json.dumps(payload, separators=(",", ":")))
            components = sorted(component_id(key) for key in meter.entities)
        self.index[meter.meter_id] = {
            "source": meter.source,
            "slug": meter.slug,
            "components": components,
        }

    # --- M-Bus -------------------------------------------------------------------------------

    async def _run_bus(self, bus: MbusBusConfig) -> None:
        settings = SerialSettings(baudrate=bus.baudrate)
        meters: dict[str, MeterState] = {}
        master: MbusMaster | None = None
        failures = 0
        try:
            while True:
                try:
                    if master is None:
                        master = await MbusMaster.open(bus.port, settings)
                    await self._poll(bus, master, meters)
                    failures = 0
                    delay = bus.poll_interval
                except TransportError as err:
                    self.stats.port_errors += 1
                    if failures == 0:
                        _LOGGER.warning("M-Bus port %s: %s", _shown(bus.port), err)
                    if master is not None:
                        with contextlib.suppress(Exception):
                            await master.close()
                    master = None
                    for meter in meters.values():
                        if meter.online:
                            meter.online = False
                            self._update(meter, False)
                    delay = min(PORT_DELAYS[min(failures, len(PORT_DELAYS) - 1)], bus.poll_interval)
                    failures += 1
                await asyncio.sleep(delay)
        finally:
            if master is not None:
                await master.close()

    async def _poll(
        self, bus: MbusBusConfig, master: MbusMaster, meters: dict[str, MeterState]
    ) -> None:
        for address in bus.meters:
            try:
                reading = await master.read(parse_address(address))
            except TransportError:
                raise
            except ProtocolError as err:
                self.stats.unanswered += 1
                _LOGGER.debug("Meter %s on %s does not answer: %s", address, _shown(bus.port), err)
                if (meter := meters.get(address)) is not None and meter.online:
                    meter.online = False
                    self._update(meter, False)
                continue
            self.stats.readings += 1
            telegram = reading.telegram
            meter_id = mbus_meter_id(self.config.bridge_id, bus.port, address, telegram)
            meter = meters.get(address)
            if meter is None or meter.meter_id != meter_id:
                meter = MeterState(
                    meter_id=meter_id,
                    slug=slug(meter_id),
                    source=source_ref(self.config.bridge_id, bus.port, address),
                    device=DeviceInfo(name=""),
                )
                meters[address] = meter
            changed = mbus_take(meter, address, telegram)
            self._update(meter, changed)

    # --- HAN ---------------------------------------------------------------------------------

    async def _run_han(self, han: HanPortConfig) -> None:
        settings = SerialSettings(2400, parity=han.parity)
        tracker = HanTracker(self.config.bridge_id, han.port, han.name)
        decoder = HanStreamDecoder(han.transport, han.keys)
        weak = WeakCheckFilter()
        loop = asyncio.get_running_loop()
        failures = 0

        def on_result(result: HanReading | DecodeError) -> None:
            if isinstance(result, DecodeError):
                self.stats.undecodable += 1
                _LOGGER.debug("HAN port %s: undecodable push: %s", _shown(han.port), result)
                return
            self.stats.readings += 1
            authenticated = result.security is not None and result.security.authenticated
            if han.transport is Transport.MBUS and not authenticated:
                result = weak.confirm(result, loop.time())
            meter, changed = tracker.take(result, dt.datetime.now().astimezone())
            if meter is not None:
                self._update(meter, changed)

        while True:
            port: SerialPort | None = None
            readings = self.stats.readings
            try:
                port = await open_port(han.port, settings)
                decoder.reset()
                read = self._reader(port, tracker, han)
                await listen(
                    read,
                    decoder,
                    on_result,
                    char_time=settings.char_time(),
                    silence_timeout=HAN_SILENCE,
                )
                _LOGGER.warning("HAN port %s: the meter is silent", _shown(han.port))
            except TransportError as err:
                self.stats.port_errors += 1
                if failures == 0:
                    _LOGGER.warning("HAN port %s: %s", _shown(han.port), err)
            finally:
                if port is not None:
                    with contextlib.suppress(Exception):
                        await port.close()
            weak.reset()
            if (meter := tracker.outage()) is not None:
                self._update(meter, False)
            if self.stats.readings > readings:
                failures = 0
            await asyncio.sleep(PORT_DELAYS[min(failures, len(PORT_DELAYS) - 1)])
            failures += 1

    def _reader(
        self, port: SerialPort, tracker: HanTracker, han: HanPortConfig
    ) -> Callable[[], Awaitable[bytes]]:
        """The port's reads, every whole frame also published raw (when configured)."""
        framer = _RawFrames(han.transport)

        async def read() -> bytes:
            chunk = await port.read()
            if han.raw:
                self._raw(tracker, framer, chunk)
            return chunk

        return read

    def _raw(self, tracker: HanTracker, framer: _RawFrames, chunk: bytes) -> None:
        """Publish every whole frame in ``chunk`` on the meter's ``han_raw`` topic."""
        frames = framer.feed(chunk)
        meter_slug = tracker.name or (tracker.meter.slug if tracker.meter else None)
        if meter_slug is None:
            return  # the meter has not said who it is yet (list 1): its topic is not known
        topic = self.topics.han_raw(meter_slug)
        for frame in frames:
            self.stats.raw_frames += 1
            self.publisher.publish_stream(topic, frame)


class _RawFrames:
    """Cuts the byte stream into whole, checked frames (re-encoded exactly as checked)."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._hdlc = HdlcFramer()
        self._mbus = MbusFramer()

    def feed(self, chunk: bytes) -> list[bytes]:
        if self.transport is Transport.HDLC:
            return [
                encode_hdlc_frame(f.information, f.destination, f.source, f.control, f.segmented)
                for f in self._hdlc.feed(chunk)
            ]
        return [encode_frame(f) for f in self._mbus.feed(chunk) if isinstance(f, LongFrame)]


async def _read_retained(
    client: aiomqtt.Client, topics: list[str], sync_topic: str
) -> dict[str, bytes]:
    """The retained message of each of ``topics`` (absent: none), as the broker has them now.

    After subscribing, a message to ourselves on ``sync_topic`` comes back after every
    retained message the broker sends for the earlier subscriptions (one connection's
    messages stay in order), so no fixed wait is needed; ``SYNC_TIMEOUT`` guards the rest.
    """
    nonce = uuid.uuid4().hex
    found: dict[str, bytes] = {}
    wanted = set(topics)
    for topic in topics:
        await client.subscribe(topic, qos=1)
    await client.subscribe(sync_topic, qos=1)
    await client.publish(sync_topic, nonce, qos=1, retain=False)
    try:
        async with asyncio.timeout(SYNC_TIMEOUT):
            async for message in client.messages:
                topic = str(message.topic)
                payload = (
                    message.payload
                    if isinstance(message.payload, bytes)
                    else str(message.payload or "").encode()
                )
                if topic == sync_topic and payload == nonce.encode():
                    break
                if topic in wanted and payload:
                    found[topic] = payload
    except TimeoutError:
        _LOGGER.warning("The broker did not echo the start-up check within %.0f s", SYNC_TIMEOUT)
    for topic in [*topics, sync_topic]:
        await client.unsubscribe(topic)
    return found


def _shown(port: str) -> str:
    """A port for the log: a URL without its credentials."""
    if "@" in port and "://" in port:
        scheme, rest = port.split("://", 1)
        return f"{scheme}://{rest.rsplit('@', 1)[1]}"
    return port
