"""Discovery payloads, written out by hand from Home Assistant's MQTT discovery documentation.

https://www.home-assistant.io/integrations/mqtt/#device-discovery-payload (device-based, one
retained message per device with its ``components``, each with its ``platform``) and
#discovery-messages (per entity); ``default_entity_id`` replaces ``object_id`` (2025.10,
``object_id`` gone in 2026.4). Availability: a list of topics with ``availability_mode: all``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from custom_components.mbus_han.protocol.bridge.config import MqttConfig
from custom_components.mbus_han.protocol.bridge.describe import describe_han_value
from custom_components.mbus_han.protocol.bridge.discovery import (
    DeviceInfo,
    MeterState,
    device_discovery,
    entity_discoveries,
    state_messages,
    topics_for,
)
from custom_components.mbus_han.protocol.bridge.meters import HanTracker, accept
from custom_components.mbus_han.protocol.han import (
    HanReading,
    HanValue,
    MeterIdentity,
    Quantity,
    Unit,
)

TOPICS = topics_for(MqttConfig(host="broker"), "basement")
POWER = "1-0:1.7.0.255"
ENERGY = "1-0:1.8.0.255"


def _meter() -> MeterState:
    meter = MeterState(
        meter_id="HAN-6970631402614476",
        slug="han-6970631402614476",
        source="0123456789abcdef",
        device=DeviceInfo(
            name="Kaifa MA304H4",
            manufacturer="Kaifa",
            model="MA304H4",
            serial_number="6970631402614476",
        ),
    )
    for code, quantity in (
        (POWER, Quantity.ACTIVE_POWER_IMPORT),
        (ENERGY, Quantity.ACTIVE_ENERGY_IMPORT),
    ):
        spec = describe_han_value(code, quantity)
        assert spec is not None
        meter.add(spec)
    return meter


SHARED = {
    "device": {
        "identifiers": ["mbus_han_han-6970631402614476"],
        "name": "Kaifa MA304H4",
        "manufacturer": "Kaifa",
        "model": "MA304H4",
        "serial_number": "6970631402614476",
    },
    "origin": {"name": "mbus-han bridge", "support_url": "https://github.com/mbus-han/mbus-han"},
    "availability": [
        {"topic": "mbus_han/bridge/basement/availability"},
        {"topic": "mbus_han/han-6970631402614476/availability"},
    ],
    "availability_mode": "all",
    "qos": 1,
}
POWER_COMPONENT = {
    "name": "Power import",
    "unique_id": "mbus_han-HAN-6970631402614476-1-0:1.7.0.255",
    "default_entity_id": "sensor.han_6970631402614476_power_import",
    "state_topic": "mbus_han/han-6970631402614476/sensor/1-0_1_7_0_255",
    "device_class": "power",
    "state_class": "measurement",
    "unit_of_measurement": "W",
}
ENERGY_COMPONENT = {
    "name": "Energy import",
    "unique_id": "mbus_han-HAN-6970631402614476-1-0:1.8.0.255",
    "default_entity_id": "sensor.han_6970631402614476_energy_import",
    "state_topic": "mbus_han/han-6970631402614476/sensor/1-0_1_8_0_255",
    "device_class": "energy",
    "state_class": "total_increasing",
    "unit_of_measurement": "kWh",  # the integration's suggested unit: MQTT has none
    "suggested_display_precision": 2,
}


def test_device_based_discovery() -> None:
    topic, payload = device_discovery(_meter(), TOPICS)
    assert topic == "homeassistant/device/mbus_han_han-6970631402614476/config"
    assert payload == {
        **SHARED,
        "components": {
            "1-0_1_7_0_255": {"platform": "sensor", **POWER_COMPONENT},
            "1-0_1_8_0_255": {"platform": "sensor", **ENERGY_COMPONENT},
        },
    }


def test_per_entity_discovery() -> None:
    assert entity_discoveries(_meter(), TOPICS) == [
        (
            "homeassistant/sensor/mbus_han_han-6970631402614476/1-0_1_7_0_255/config",
            {**SHARED, **POWER_COMPONENT},
        ),
        (
            "homeassistant/sensor/mbus_han_han-6970631402614476/1-0_1_8_0_255/config",
            {**SHARED, **ENERGY_COMPONENT},
        ),
    ]


def test_restored_components_are_kept() -> None:
    """Sensors an earlier run announced stay in the device message (no remove and re-add)."""
    meter = _meter()
    meter.restored = {"1-0_32_7_0_255": {"platform": "sensor", "name": "Voltage L1"}}
    _, payload = device_discovery(meter, TOPICS)
    assert set(payload["components"]) == {"1-0_32_7_0_255", "1-0_1_7_0_255", "1-0_1_8_0_255"}


POWER_TOPIC = "mbus_han/han-6970631402614476/sensor/1-0_1_7_0_255"
ENERGY_TOPIC = "mbus_han/han-6970631402614476/sensor/1-0_1_8_0_255"


def test_a_topic_per_sensor_with_unknown_as_none() -> None:
    """ "None" is what Home Assistant's MQTT sensor takes for unknown (PAYLOAD_NONE)."""
    meter = _meter()
    meter.values[POWER] = 1234
    assert state_messages(meter, TOPICS) == {POWER_TOPIC: "1234", ENERGY_TOPIC: "None"}
    meter.values[ENERGY] = Decimal("12345.678000")
    assert state_messages(meter, TOPICS)[ENERGY_TOPIC] == "12345.678"
    meter.values[ENERGY] = Decimal("1.2E+4")
    assert state_messages(meter, TOPICS)[ENERGY_TOPIC] == "12000"


def test_han_pushes_become_sensors_in_the_shown_unit() -> None:
    """12 345 678 Wh from the meter is 12 345.678 kWh, exactly (hand calculation)."""
    tracker = HanTracker("basement", "/dev/ttyAMA0")
    list1 = HanReading(
        meter=MeterIdentity(),
        clock=None,
        values={POWER: HanValue(1500, Unit.WATT, Quantity.ACTIVE_POWER_IMPORT)},
    )
    assert tracker.take(list1, dt.datetime.now().astimezone()) == (None, False)  # who? not yet
    list3 = HanReading(
        meter=MeterIdentity("Kaifa", "6970631402614476", "MA304H4", "KFM_001"),
        clock=None,
        values={
            POWER: HanValue(1600, Unit.WATT, Quantity.ACTIVE_POWER_IMPORT),
            ENERGY: HanValue(12_345_678, Unit.WATT_HOUR, Quantity.ACTIVE_ENERGY_IMPORT),
        },
    )
    meter, changed = tracker.take(list3, dt.datetime.now().astimezone())
    assert changed
    assert meter is not None
    assert meter.meter_id == "HAN-6970631402614476"
    assert state_messages(meter, TOPICS)[ENERGY_TOPIC] == "12345.678"
    assert state_messages(meter, TOPICS)[POWER_TOPIC] == "1600"
    meter_id_topic = "mbus_han/han-6970631402614476/sensor/meter_id"
    assert state_messages(meter, TOPICS)[meter_id_topic] == "6970631402614476"
    # the same push again changes no sensor: no new discovery message
    assert tracker.take(list3, dt.datetime.now().astimezone())[1] is False
    # after an outage the power is no longer known; the counter is
    tracker.outage()
    assert meter.values.get(POWER) is None
    assert meter.values[ENERGY] == Decimal("12345.678")


def test_a_total_never_steps_back_by_a_glitch() -> None:
    """As the integration (sensor.py, GLITCH_FRACTION 1 %): a small drop keeps the last total."""
    spec = describe_han_value(ENERGY, Quantity.ACTIVE_ENERGY_IMPORT)
    assert spec is not None
    assert accept(spec, Decimal("1000"), Decimal("999")) == Decimal("1000")  # 0.1 % back
    assert accept(spec, Decimal("1000"), Decimal("500")) == Decimal("500")  # a reset: taken
    assert accept(spec, Decimal("1000"), Decimal("1001")) == Decimal("1001")
