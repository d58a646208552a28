"""The typed, immutable result of decoding an M-Bus telegram.

A :class:`Telegram` is a fixed header plus a tuple of :class:`Record`. Every record keeps its
raw DIF/VIF bytes and every VIF extension it carried, so nothing the meter said is lost, and
carries a stable :attr:`Record.key` so the same record on the next poll maps to the same Home
Assistant entity.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import NamedTuple

from .manufacturer import secondary_address_text


@dataclass(frozen=True, slots=True)
class PeriodicDate:
    """A date that recurs every year (EN 13757-3 annex A, types G, F and I: year 127).

    Billing meters send their yearly due date so, e.g. every year on 1 January (``E1 F1``).
    None leaves the month (15) or day (0) open as well. It is no point in time, so it is kept
    apart from :class:`datetime.date`.
    """

    month: int | None
    day: int | None
    hour: int | None = None  # type F: the time of day it recurs at
    minute: int | None = None
    second: int | None = None  # type I: to the second

    @property
    def period(self) -> str:
        """``daily``, ``monthly`` or ``yearly``: the shortest interval it recurs at."""
        if self.day is None:
            return "daily"
        return "monthly" if self.month is None else "yearly"

    def __str__(self) -> str:
        """``YYYY-12-31``: the open fields as letters (as Exmbus writes them), time after T."""
        month = "MM" if self.month is None else f"{self.month:02d}"
        day = "DD" if self.day is None else f"{self.day:02d}"
        time = "" if self.hour is None else f"T{self.hour:02d}:{self.minute or 0:02d}"
        if self.second is not None:
            time += f":{self.second:02d}"
        return f"YYYY-{month}-{day}{time}"


type RawValue = int | float | str | bytes | dt.date | dt.datetime | dt.time | PeriodicDate | None
type ScaledValue = (
    int | float | Decimal | str | bytes | dt.date | dt.datetime | dt.time | PeriodicDate | None
)


class Quantity(StrEnum):
    """What a record measures (EN 13757-3 VIF tables), independent of its unit."""

    ENERGY = "energy"
    REACTIVE_ENERGY = "reactive_energy"
    APPARENT_ENERGY = "apparent_energy"
    VOLUME = "volume"
    MASS = "mass"
    ON_TIME = "on_time"
    OPERATING_TIME = "operating_time"
    POWER = "power"
    REACTIVE_POWER = "reactive_power"
    APPARENT_POWER = "apparent_power"
    VOLUME_FLOW = "volume_flow"
    MASS_FLOW = "mass_flow"
    FLOW_TEMPERATURE = "flow_temperature"
    RETURN_TEMPERATURE = "return_temperature"
    TEMPERATURE_DIFFERENCE = "temperature_difference"
    EXTERNAL_TEMPERATURE = "external_temperature"
    TEMPERATURE_LIMIT = "temperature_limit"
    PRESSURE = "pressure"
    RELATIVE_HUMIDITY = "relative_humidity"
    FREQUENCY = "frequency"
    DATE = "date"
    DATE_TIME = "date_time"
    TIME = "time"
    HCA_UNITS = "hca_units"
    AVERAGING_DURATION = "averaging_duration"
    ACTUALITY_DURATION = "actuality_duration"
    FABRICATION_NUMBER = "fabrication_number"
    ENHANCED_IDENTIFICATION = "enhanced_identification"
    BUS_ADDRESS = "bus_address"
    CREDIT = "credit"
    DEBIT = "debit"
    ACCESS_NUMBER = "access_number"
    MEDIUM = "medium"
    MANUFACTURER = "manufacturer"
    PARAMETER_SET_ID = "parameter_set_id"
    MODEL_VERSION = "model_version"
    HARDWARE_VERSION = "hardware_version"
    FIRMWARE_VERSION = "firmware_version"
    SOFTWARE_VERSION = "software_version"
    CUSTOMER_LOCATION = "customer_location"
    CUSTOMER = "customer"
    ACCESS_CODE_USER = "access_code_user"
    ACCESS_CODE_OPERATOR = "access_code_operator"
    ACCESS_CODE_SYSTEM_OPERATOR = "access_code_system_operator"
    ACCESS_CODE_DEVELOPER = "access_code_developer"
    PASSWORD = "password"
    ERROR_FLAGS = "error_flags"
    ERROR_MASK = "error_mask"
    SECURITY_KEY = "security_key"
    DIGITAL_OUTPUT = "digital_output"
    DIGITAL_INPUT = "digital_input"
    BAUD_RATE = "baud_rate"
    RESPONSE_DELAY = "response_delay"
    RETRY = "retry"
    REMOTE_CONTROL = "remote_control"
    FIRST_STORAGE_NUMBER = "first_storage_number"
    LAST_STORAGE_NUMBER = "last_storage_number"
    STORAGE_BLOCK_SIZE = "storage_block_size"
    TARIFF_DESCRIPTOR = "tariff_descriptor"
    STORAGE_INTERVAL = "storage_interval"
    OPERATOR_SPECIFIC_DATA = "operator_specific_data"
    TIME_POINT_SECOND = "time_point_second"
    DURATION_SINCE_READOUT = "duration_since_readout"
    TARIFF_START = "tariff_start"
    TARIFF_DURATION = "tariff_duration"
    TARIFF_PERIOD = "tariff_period"
    DIMENSIONLESS = "dimensionless"
    DATA_CONTAINER = "data_container"
    VOLTAGE = "voltage"
    CURRENT = "current"
    RESET_COUNTER = "reset_counter"
    CUMULATION_COUNTER = "cumulation_counter"
    CONTROL_SIGNAL = "control_signal"
    DAY_OF_WEEK = "day_of_week"
    WEEK_NUMBER = "week_number"
    DAY_CHANGE_TIME = "day_change_time"
    PARAMETER_ACTIVATION_STATE = "parameter_activation_state"
    SUPPLIER_INFORMATION = "supplier_information"
    DURATION_SINCE_CUMULATION = "duration_since_cumulation"
    BATTERY_OPERATING_TIME = "battery_operating_time"
    BATTERY_CHANGE_DATE_TIME = "battery_change_date_time"
    RF_LEVEL = "rf_level"
    DAYLIGHT_SAVING = "daylight_saving"
    LISTENING_WINDOW = "listening_window"
    REMAINING_BATTERY_LIFE = "remaining_battery_life"
    STOP_COUNTER = "stop_counter"
    CUMULATED_MAX_POWER = "cumulated_max_power"
    PHASE_ANGLE = "phase_angle"
    PLAIN_TEXT_UNIT = "plain_text_unit"  # VIF 7C: the unit is the text the meter sends
    ANY = "any"  # VIF 7E: readout selection
    MANUFACTURER_SPECIFIC = "manufacturer_specific"
    RESERVED = "reserved"


class Function(StrEnum):
    """DIF function field (bits 4-5)."""

    INSTANTANEOUS = "instantaneous"
    MAXIMUM = "maximum"
    MINIMUM = "minimum"
    ERROR_STATE = "error_state"  # value during error state


class Modifier(StrEnum):
    """Combinable (orthogonal) VIFEs, EN 13757-3:2013 table 15, kept on every record."""

    PER_SECOND = "per_second"
    PER_MINUTE = "per_minute"
    PER_HOUR = "per_hour"
    PER_DAY = "per_day"
    PER_WEEK = "per_week"
    PER_MONTH = "per_month"
    PER_YEAR = "per_year"
    PER_REVOLUTION = "per_revolution"
    PER_INPUT_PULSE_0 = "per_input_pulse_channel_0"
    PER_INPUT_PULSE_1 = "per_input_pulse_channel_1"
    PER_OUTPUT_PULSE_0 = "per_output_pulse_channel_0"
    PER_OUTPUT_PULSE_1 = "per_output_pulse_channel_1"
    PER_LITRE = "per_litre"
    PER_M3 = "per_m3"
    PER_KG = "per_kg"
    PER_KELVIN = "per_kelvin"
    PER_KWH = "per_kwh"
    PER_GJ = "per_gj"
    PER_KW = "per_kw"
    PER_KELVIN_LITRE = "per_kelvin_litre"
    PER_VOLT = "per_volt"
    PER_AMPERE = "per_ampere"
    TIMES_SECOND = "times_second"
    TIMES_SECOND_PER_VOLT = "times_second_per_volt"
    TIMES_SECOND_PER_AMPERE = "times_second_per_ampere"
    START_DATE_TIME_OF = "start_date_time_of"
    UNCORRECTED = "uncorrected_unit"
    ACCUMULATION_POSITIVE = "accumulation_positive_only"
    ACCUMULATION_NEGATIVE = "accumulation_negative_only"
    LOWER_LIMIT = "lower_limit"
    UPPER_LIMIT = "upper_limit"
    LOWER_LIMIT_EXCEEDS = "lower_limit_exceed_count"
    UPPER_LIMIT_EXCEEDS = "upper_limit_exceed_count"
    LIMIT_EXCEED_DATE_TIME = "limit_exceed_date_time"
    LIMIT_EXCEED_DURATION = "limit_exceed_duration"
    DURATION_OF = "duration_of"
    VALUE_DURING_LOWER_LIMIT_EXCEED = "value_during_lower_limit_exceed"
    VALUE_DURING_UPPER_LIMIT_EXCEED = "value_during_upper_limit_exceed"
    LEAKAGE = "leakage_values"
    OVERFLOW = "overflow_values"
    DATE_TIME_OF = "date_time_of"
    MULTIPLIER = "multiplicative_correction"
    OFFSET = "additive_correction"
    FUTURE_VALUE = "future_value"
    MANUFACTURER_SPECIFIC = "manufacturer_specific_vife"
    RESERVED = "reserved_vife"


class Medium(IntEnum):
    """Device type / medium (EN 13757-3:2013 table 3)."""

    OTHER = 0x00
    OIL = 0x01
    ELECTRICITY = 0x02
    GAS = 0x03
    HEAT_OUTLET = 0x04
    STEAM = 0x05
    WARM_WATER = 0x06
    WATER = 0x07
    HEAT_COST_ALLOCATOR = 0x08
    COMPRESSED_AIR = 0x09
    COOLING_OUTLET = 0x0A
    COOLING_INLET = 0x0B
    HEAT_INLET = 0x0C
    HEAT_COOLING = 0x0D
    BUS_SYSTEM = 0x0E
    UNKNOWN = 0x0F
    IRRIGATION_WATER = 0x10
    WATER_DATA_LOGGER = 0x11
    GAS_DATA_LOGGER = 0x12
    GAS_CONVERTER = 0x13
    CALORIFIC_VALUE = 0x14
    HOT_WATER = 0x15
    COLD_WATER = 0x16
    DUAL_WATER = 0x17
    PRESSURE = 0x18
    AD_CONVERTER = 0x19
    SMOKE_DETECTOR = 0x1A
    ROOM_SENSOR = 0x1B
    GAS_DETECTOR = 0x1C
    BREAKER_ELECTRICITY = 0x20
    VALVE_GAS_OR_WATER = 0x21
    CUSTOMER_UNIT = 0x25
    WASTE_WATER = 0x28
    GARBAGE = 0x29
    CARBON_DIOXIDE = 0x2A
    RADIO_CONVERTER_SYSTEM = 0x31
    RADIO_CONVERTER_METER = 0x32
    RESERVED = 0xFF  # any code not listed above

    @classmethod
    def from_code(cls, code: int) -> Medium:
        """Map a medium byte to the enum; unlisted codes are :attr:`RESERVED`."""
        return _MEDIUM_BY_CODE.get(code, cls.RESERVED)


_MEDIUM_BY_CODE: dict[int, Medium] = {m.value: m for m in Medium}


class StatusBit(IntEnum):
    """Bits of the fixed header's status byte (EN 13757-3:2013 table 5)."""

    APPLICATION_BUSY = 0x01
    APPLICATION_ERROR = 0x02
    POWER_LOW = 0x04
    PERMANENT_ERROR = 0x08
    TEMPORARY_ERROR = 0x10
    MANUFACTURER_1 = 0x20
    MANUFACTURER_2 = 0x40
    MANUFACTURER_3 = 0x80


class Header(NamedTuple):
    """The fixed part of a variable-data telegram (CI 0x72/0x76) or the short header.

    Named tuples for the per-poll results (header, record, telegram): built on every poll,
    and several times cheaper to build than frozen dataclasses while as immutable.
    """

    id: int | None  # identification number, the decimal value of its 8 BCD digits
    id_text: str | None  # the 8 digits as sent (may contain hex digits on broken meters)
    manufacturer: str | None
    version: int | None
    medium: Medium | None
    medium_code: int | None
    access_number: int
    status: int
    signature: int

    @property
    def status_flags(self) -> frozenset[StatusBit]:
        """The status bits that are set."""
        return frozenset(bit for bit in StatusBit if self.status & bit)

    @property
    def secondary_address(self) -> str | None:
        """Libmbus's 16-character secondary address: ID, manufacturer, version, medium (hex)."""
        if self.id_text is None or self.manufacturer is None:
            return None
        return secondary_address_text(
            self.id_text, self.manufacturer, self.version or 0, self.medium_code or 0
        )


@dataclass(frozen=True, slots=True)
class RecordLayout:
    """What a record's DIB and VIB say: the same for every poll, so decoded once and shared."""

    base_key: str
    quantity: Quantity
    unit: str  # the unit of the record's value; "" for dimensionless, identifiers and dates
    function: Function
    storage: int
    tariff: int
    subunit: int
    dif: bytes
    vif: bytes
    modifiers: tuple[Modifier, ...] = ()
    plain_text_unit: str | None = None  # VIF 7C/FC: the unit text the meter sent
    error: str | None = None  # record error VIFE (e.g. "data error")


class Record(NamedTuple):
    """One data record: its layout (DIB + VIB meaning) and this poll's value."""

    key: str  # stable from poll to poll; unique within the telegram
    layout: RecordLayout
    value: ScaledValue  # scaled to ``unit``; None when the meter marks it invalid
    raw_value: RawValue  # as coded in the data field (BCD digits as int, text, bytes ...)
    error: str | None = None  # why ``value`` is None (record error VIFE, invalid content)

    @property
    def quantity(self) -> Quantity:
        """What the record measures."""
        return self.layout.quantity

    @property
    def unit(self) -> str:
        """Unit of :attr:`value`."""
        return self.layout.unit

    @property
    def function(self) -> Function:
        """Instantaneous, maximum, minimum or value during error state."""
        return self.layout.function

    @property
    def storage(self) -> int:
        """Storage number (0 = current value; higher numbers are stored values)."""
        return self.layout.storage

    @property
    def tariff(self) -> int:
        """Tariff number (0 = total)."""
        return self.layout.tariff

    @property
    def subunit(self) -> int:
        """Subunit (device) number."""
        return self.layout.subunit

    @property
    def dif(self) -> bytes:
        """The raw DIF and DIFEs."""
        return self.layout.dif

    @property
    def vif(self) -> bytes:
        """The raw VIF and VIFEs (with a plain-text unit, if any)."""
        return self.layout.vif

    @property
    def modifiers(self) -> tuple[Modifier, ...]:
        """Every combinable VIFE the record carried."""
        return self.layout.modifiers

    @property
    def plain_text_unit(self) -> str | None:
        """The unit text of a plain-text VIF."""
        return self.layout.plain_text_unit

    @property
    def is_plain(self) -> bool:
        """True when no VIFE changes the meaning of the quantity (safe to chart as is)."""
        return not self.layout.modifiers and self.error is None


class Telegram(NamedTuple):
    """A decoded RSP_UD: header, records and any manufacturer-specific tail."""

    ci: int
    header: Header | None
    records: tuple[Record, ...]
    # Bytes after DIF 0x0F/0x1F; None when the telegram has no such DIF.
    manufacturer_data: bytes | None = None
    more_records_follow: bool = False  # DIF 0x1F: request the next telegram (FCB toggled)
    fixed_structure: bool = False  # CI 0x73/0x77 (legacy fixed data structure)
    source_address: int | None = None  # link-layer address of the answering slave


class ApplicationErrorCode(IntEnum):
    """Codes of a CI 0x70 application error (EN 13757-3:2013 table 8)."""

    UNSPECIFIED = 0
    UNIMPLEMENTED_CI = 1
    BUFFER_TOO_LONG = 2
    TOO_MANY_RECORDS = 3
    PREMATURE_END_OF_RECORD = 4
    TOO_MANY_DIFES = 5
    TOO_MANY_VIFES = 6
    RESERVED = 7
    APPLICATION_BUSY = 8
    TOO_MANY_READOUTS = 9


@dataclass(frozen=True, slots=True)
class ApplicationError:
    """A slave's CI 0x70 answer: it understood the request but reports an error."""

    code: int | None  # None when the frame carries no code byte (general error)
    source_address: int | None = None

    @property
    def reason(self) -> str:
        """A readable description of the error code."""
        if self.code is None:
            return "application error (no code)"
        try:
            return ApplicationErrorCode(self.code).name.lower().replace("_", " ")
        except ValueError:
            return f"application error code {self.code}"
