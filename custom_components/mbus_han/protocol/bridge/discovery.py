"""Home Assistant MQTT discovery for the bridge's meters: topics and payloads, no I/O.

One device per meter, named and identified as the integration names it (``KAM-12345678``,
``HAN-6970631401234567``), so unique ids come from the meter and never from the host the
bridge runs on: a renamed or replaced bridge computer finds the same entities. Device-based
discovery (one retained message per meter, Home Assistant 2024.11 and later) by default;
per-entity discovery for older releases. Every entity is available only while both the
bridge (its last will) and its meter (answering, pushing) are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .config import MqttConfig
from .describe import EntitySpec, StateValue

ORIGIN = {
    "name": "mbus-han bridge",
    "support_url": "https://github.com/mbus-han/mbus-han",
}
ONLINE = "online"
OFFLINE = "offline"
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def slug(text: str) -> str:
    """Lower-case letters, digits, ``_`` and ``-`` only: fit for topics and ids."""
    return _UNSAFE.sub("_", text.lower()).strip("_") or "meter"


def _entity_slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class Topics:
    """Where the bridge publishes (``prefix`` is ``mqtt.topic_prefix``)."""

    prefix: str
    discovery_prefix: str
    bridge_id: str

    @property
    def bridge_availability(self) -> str:
        """``online`` while the bridge runs; the broker sends ``offline`` as its last will."""
        return f"{self.prefix}/bridge/{self.bridge_id}/availability"

    @property
    def index(self) -> str:
        """Retained: the meters this bridge has announced, so removed ones can be cleared."""
        return f"{self.prefix}/bridge/{self.bridge_id}/meters"

    @property
    def sync(self) -> str:
        """Echoed to itself to know that every retained message asked for has arrived."""
        return f"{self.prefix}/bridge/{self.bridge_id}/sync"

    def sensor(self, meter_slug: str, component: str) -> str:
        """One sensor's latest value, as text (``None`` while unknown); retained.

        A topic per sensor, sent only when its value changes: Home Assistant then handles
        only what changed (with one JSON object per meter, every sensor of the meter would
        render its template for every push; that is what limits one Home Assistant).
        """
        return f"{self.prefix}/{meter_slug}/sensor/{component}"

    def availability(self, meter_slug: str) -> str:
        """``online`` while the meter answers (M-Bus) or pushes (HAN)."""
        return f"{self.prefix}/{meter_slug}/availability"

    def han_raw(self, meter_slug: str) -> str:
        """Every HAN frame as received (binary, one whole frame per message)."""
        return f"{self.prefix}/{meter_slug}/han_raw"

    def device_config(self, meter_id: str) -> str:
        """Device-based discovery of one meter."""
        return f"{self.discovery_prefix}/device/{object_id(meter_id)}/config"

    def entity_config(self, meter_id: str, component: str, platform: str = "sensor") -> str:
        """Per-entity discovery of one sensor."""
        return f"{self.discovery_prefix}/{platform}/{object_id(meter_id)}/{component}/config"


def topics_for(config: MqttConfig, bridge_id: str) -> Topics:
    """The topics of one bridge."""
    return Topics(config.topic_prefix, config.discovery_prefix, bridge_id)


def object_id(meter_id: str) -> str:
    """The discovery object id of a meter: ``mbus_han_kam-12345678``."""
    return f"mbus_han_{slug(meter_id)}"


def component_id(key: str) -> str:
    """A sensor's id within its device: its key with ``:`` and ``.`` made safe."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", key)


@dataclass(slots=True)
class DeviceInfo:
    """What Home Assistant's device registry shows for a meter."""

    name: str
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    sw_version: str | None = None

    def payload(self, meter_id: str) -> dict[str, Any]:
        """The ``device`` mapping of a discovery payload."""
        device: dict[str, Any] = {"identifiers": [object_id(meter_id)], "name": self.name}
        for key in ("manufacturer", "model", "serial_number", "sw_version"):
            if (value := getattr(self, key)) is not None:
                device[key] = value
        return device


@dataclass(slots=True)
class MeterState:
    """One meter as the bridge knows it: identity, sensors (only ever more), latest values."""

    meter_id: str
    slug: str
    source: str  # which configured port and address it was found at (hashed)
    device: DeviceInfo
    entities: dict[str, EntitySpec] = field(default_factory=dict)
    values: dict[str, StateValue] = field(default_factory=dict)
    online: bool = False
    published: dict[str, str] = field(default_factory=dict)  # sensor topic -> last payload
    # components announced by an earlier run (from the retained discovery): kept, so that a
    # restart whose first push carries fewer values does not remove entities in between
    restored: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, spec: EntitySpec) -> bool:
        """Add a sensor; True when it is new (the discovery must be sent again)."""
        if spec.key in self.entities:
            return False
        self.entities[spec.key] = spec
        return True


def default_entity_id(meter: MeterState, spec: EntitySpec) -> str:
    """``sensor.han_6970631401234567_power_import``: from the meter's identity, not the host.

    Home Assistant 2025.10 replaced ``object_id`` by this (and 2026.4 dropped ``object_id``);
    older releases ignore it and name the entity after device and sensor.
    """
    name = _entity_slug(spec.name) or component_id(spec.key).lower()
    return f"{spec.platform}.{_entity_slug(meter.slug)}_{name}"


def component_config(meter: MeterState, spec: EntitySpec, topics: Topics) -> dict[str, Any]:
    """One sensor's discovery options (shared ones are in the device payload)."""
    config: dict[str, Any] = {
        "platform": spec.platform,
        "name": spec.name,
        "unique_id": f"mbus_han-{meter.meter_id}-{spec.key}",
        "default_entity_id": default_entity_id(meter, spec),
        "state_topic": topics.sensor(meter.slug, component_id(spec.key)),
    }
    if spec.device_class is not None:
        config["device_class"] = spec.device_class
    if spec.state_class is not None:
        config["state_class"] = spec.state_class
    if spec.unit is not None:
        config["unit_of_measurement"] = spec.unit
    if spec.precision is not None:
        config["suggested_display_precision"] = spec.precision
    if spec.entity_category is not None:
        config["entity_category"] = spec.entity_category
    if not spec.enabled:
        config["enabled_by_default"] = False
    return config


def _shared(meter: MeterState, topics: Topics) -> dict[str, Any]:
    return {
        "device": meter.device.payload(meter.meter_id),
        "origin": dict(ORIGIN),
        "availability": [
            {"topic": topics.bridge_availability},
            {"topic": topics.availability(meter.slug)},
        ],
        "availability_mode": "all",
        "qos": 1,
    }


def device_discovery(meter: MeterState, topics: Topics) -> tuple[str, dict[str, Any]]:
    """The retained device-based discovery message of ``meter``: topic and payload."""
    components = dict(meter.restored)
    for spec in meter.entities.values():
        components[component_id(spec.key)] = component_config(meter, spec, topics)
    payload = _shared(meter, topics)
    payload["components"] = components
    return topics.device_config(meter.meter_id), payload


def entity_discoveries(meter: MeterState, topics: Topics) -> list[tuple[str, dict[str, Any]]]:
    """Per-entity discovery messages of ``meter`` (Home Assistant before 2024.11)."""
    messages = []
    for spec in meter.entities.values():
        config = component_config(meter, spec, topics)
        platform = config.pop("platform")
        messages.append(
            (
                topics.entity_config(meter.meter_id, component_id(spec.key), platform),
                {**_shared(meter, topics), **config},
            )
        )
    return messages


def state_messages(meter: MeterState, topics: Topics) -> dict[str, str]:
    """Every sensor's topic and value text; ``None`` (Home Assistant's "unknown") when unknown."""
    return {
        topics.sensor(meter.slug, component_id(key)): state_text(meter.values.get(key))
        for key in meter.entities
    }


def state_text(value: StateValue) -> str:
    """A value as its sensor's payload: numbers exact, as shown (no binary rounding, no 1E+3)."""
    if value is None:
        return "None"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)
