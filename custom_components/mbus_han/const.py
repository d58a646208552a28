"""Constants shared by the Home Assistant glue of the integration."""

from datetime import timedelta
from typing import Final

DOMAIN: Final = "mbus_han"

# Config entry version: 2 stores secondary addresses in libmbus's form (see migration.py).
ENTRY_VERSION: Final = 2
ENTRY_MINOR_VERSION: Final = 1

# What a config entry's port carries.
CONF_KIND: Final = "kind"
KIND_MBUS: Final = "mbus"  # a wired M-Bus meter bus: we are the master and poll
KIND_HAN: Final = "han"  # a smart meter's HAN port: the meter pushes, we listen

# HAN: where the meter's bytes come from: a serial port (the default, also for entries made
# before MQTT sources existed) or an MQTT topic, which the entry's "port" then names.
CONF_SOURCE: Final = "source"
SOURCE_SERIAL: Final = "serial"
SOURCE_MQTT: Final = "mqtt"
CONF_PAYLOAD_FORMAT: Final = "payload_format"  # HAN over MQTT: raw, hex or json (the flow finds it)
CONF_TOPIC: Final = "topic"  # flow field: the MQTT topic (stored as the entry's port)
STEP_HAN_MQTT: Final = "han_mqtt"  # the set-up menu's third kind: HAN frames from MQTT

CONF_PORT: Final = "port"
CONF_BAUDRATE: Final = "baudrate"
CONF_PARITY: Final = "parity"
CONF_METERS: Final = "meters"  # M-Bus: the configured meters' addresses
# M-Bus: per configured address, the device identifier its meter last answered with
CONF_METER_DEVICES: Final = "meter_devices"
CONF_ADDRESSES: Final = "addresses"  # flow field: addresses typed by hand
CONF_SETUP_METHOD: Final = "setup_method"  # flow field: scan or manual
CONF_KEY: Final = "key"  # HAN: encryption key (GUEK), 32 hex characters
CONF_AUTH_KEY: Final = "auth_key"  # HAN: authentication key (GAK), 32 hex characters
CONF_SCAN_INTERVAL: Final = "scan_interval"
CONF_METER: Final = "meter"  # HAN: the meter's make, which fixes its serial settings
CONF_TRANSPORT: Final = "transport"  # HAN: "hdlc" or "mbus" framing, found by the flow

# HAN ports run at 2400 baud; Aidon and Kaifa send 8E1, Kamstrup 8N1.
HAN_BAUDRATE: Final = 2400
HAN_DEFAULT_PARITY: Final = "E"
METER_AUTO: Final = "auto"  # parity unknown: the config flow listens to find it
HAN_METER_PARITY: Final = {"aidon": "E", "kaifa": "E", "kamstrup": "N"}
HAN_KEY_LENGTH: Final = 32  # hex characters of a 128-bit AES key

MBUS_BAUD_RATES: Final = (300, 600, 1200, 2400, 4800, 9600, 19200, 38400)
DEFAULT_BAUDRATE: Final = 2400
# Battery-powered heat meters allow a limited number of reads (many count them against a
# budget of a few thousand a year); every 15 minutes is what their makers recommend at most.
DEFAULT_SCAN_INTERVAL: Final = timedelta(minutes=15)
MIN_SCAN_INTERVAL: Final = timedelta(seconds=10)
MAX_SCAN_INTERVAL: Final = timedelta(days=1)

# HAN options (issue 17). The settlement period is shared by the capacity tariff and by the
# energy booked per period: Norway settles per 15 minutes from 2025-2026 on, per hour before.
CONF_SETTLEMENT_MINUTES: Final = "settlement_minutes"
DEFAULT_SETTLEMENT_MINUTES: Final = 60
SETTLEMENT_MINUTES: Final = (60, 15)
CONF_CAPACITY: Final = "capacity_tariff"  # bool: the capacity-tariff sensors are wanted
CONF_CAPACITY_LADDER: Final = "capacity_ladder"  # list of step upper bounds in kW
CONF_PRICE_ENTITY: Final = "price_entity"  # energy price sensor (e.g. Nord Pool), per kWh
CONF_GRID_ENERGY_PRICE: Final = "grid_energy_price"  # grid's energy part, per kWh
CONF_STEP_PRICES: Final = "step_prices"  # price per month of each step, same order as ladder

# M-Bus heat-meter KPI options (issue 18): the billing year's start and an optional target.
CONF_BILLING_START: Final = "billing_start"  # ISO date; its month and day start the year
CONF_TARGET: Final = "heat_target"  # what the target band applies to (TARGET_*)
CONF_TARGET_LOW: Final = "target_low"  # degC or K, optional
CONF_TARGET_HIGH: Final = "target_high"
CONF_TARGET_PERIOD: Final = "target_period"  # over which period the target is checked
TARGET_NONE: Final = "none"
TARGET_COOLING: Final = "cooling"
TARGET_RETURN: Final = "return_temperature"
TARGET_PERIODS: Final = ("day", "month", "billing")
DEFAULT_TARGET_PERIOD: Final = "month"
