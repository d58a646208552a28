"""From readings to meter states: which meter, which sensors, which values (no I/O).

The same rules as the integration's coordinators and sensors, so a meter behind a bridge
shows what it shows when wired to Home Assistant:

- HAN: values merge across lists (list 1 has power only, list 3 the energies once an hour);
  after an outage, powers, currents and voltages are forgotten and counters kept; a push
  checked only by the M-Bus 8-bit sum is believed only as far as the push before it agrees
  (:mod:`..han.weak_check`).
- M-Bus: one device per meter identity (manufacturer and ID), its address on the bus only
  when it names no manufacturer.
- Totals never step back by a small amount (a glitch, 1 % at most): the last total stays.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal

from ..han import HanReading, HanValue, MeterIdentity
from ..han.clock import MeterClock
from ..han.obis import measurement
from ..han.weak_check import COUNTERS
from ..mbus.manufacturer import manufacturer_name
from ..mbus.model import Quantity as MbusQuantity
from ..mbus.model import StatusBit, Telegram
from ..mbus.products import model_text
from .describe import (
    DIAGNOSTIC,
    HAN_IDENTITY,
    MBUS_PROBLEMS,
    TOTAL_INCREASING,
    EntitySpec,
    StateValue,
    describe_han_value,
    describe_mbus_record,
    entity_name,
    han_expected_counters,
)
from .discovery import DeviceInfo, MeterState, slug

GLITCH_FRACTION = Decimal("0.01")  # as the integration's sensor.py
CLOCK_OFFSET_STEP = 2  # s: as the integration, the offset moves only by this much
CLOCK_OFFSET = EntitySpec(
    key="clock_offset",
    name=entity_name("han_clock_offset"),
    device_class="duration",
    state_class=None,
    unit="s",
    precision=0,
    entity_category=DIAGNOSTIC,
)


def source_ref(bridge_id: str, port: str, address: str | None = None) -> str:
    """Where a meter was found, hashed: the port text may hold a gateway's credentials."""
    text = f"{bridge_id}\n{port}\n{address or ''}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def accept(spec: EntitySpec, last: StateValue, value: StateValue) -> StateValue:
    """``value``, unless it steps a total back by a glitch's amount: then ``last`` stays."""
    if spec.state_class != TOTAL_INCREASING:
        return value
    if not isinstance(value, int | float | Decimal) or not isinstance(last, int | float | Decimal):
        return value
    drop = Decimal(str(last)) - Decimal(str(value))
    return last if Decimal(0) < drop <= abs(Decimal(str(last))) * GLITCH_FRACTION else value


def _set(meter: MeterState, spec: EntitySpec, value: StateValue) -> None:
    meter.values[spec.key] = accept(spec, meter.values.get(spec.key), value)


# --- HAN ----------------------------------------------------------------------------------------


class HanTracker:
    """The meter on one HAN port, as its pushes tell it."""

    def __init__(self, bridge_id: str, port: str, name: str | None = None) -> None:
        self.bridge_id = bridge_id
        self.source = source_ref(bridge_id, port)
        self.name = name
        self.identity = MeterIdentity()
        self.values: dict[str, HanValue] = {}
        self.meter: MeterState | None = None
        self.anonymous = False
        self._offset: int | None = None

    def meter_id(self) -> str | None:
        """``HAN-<meter ID>``, as the integration's device; None while the meter is unnamed."""
        if self.identity.meter_id is not None:
            return f"HAN-{self.identity.meter_id}"
        if self.anonymous:
            return f"HAN-{self.bridge_id}-{self.source[:8]}"
        return None

    def take(self, reading: HanReading, received: dt.datetime) -> tuple[MeterState | None, bool]:
        """Merge one push; the meter (once known) and whether its sensors changed."""
        old, new = self.identity, reading.meter
        self.identity = MeterIdentity(
            manufacturer=new.manufacturer or old.manufacturer,
            meter_id=new.meter_id or old.meter_id,
            meter_type=new.meter_type or old.meter_type,
            list_version=new.list_version or old.list_version,
        )
        if new.meter_id is None and len(reading.values) > 1:
            self.anonymous = True
        self.values.update(reading.values)
        for code in reading.not_present:
            self.values.pop(code, None)
        meter_id = self.meter_id()
        if meter_id is None:
            return None, False  # list 1 names no meter: list 2 (within 10 s) will
        changed = False
        if self.meter is None or self.meter.meter_id != meter_id:
            self.meter = MeterState(
                meter_id=meter_id,
                slug=self.name or slug(meter_id),
                source=self.source,
                device=DeviceInfo(name=""),
            )
            changed = True
        meter = self.meter
        device = DeviceInfo(
            name=" ".join(p for p in (self.identity.manufacturer, self.identity.meter_type) if p)
            or f"HAN {self.identity.meter_id or meter_id}",
            manufacturer=self.identity.manufacturer,
            model=self.identity.meter_type,
            serial_number=self.identity.meter_id,
        )
        if device != meter.device:
            meter.device = device
            changed = True
        codes = [*self.values, *han_expected_counters(list(self.values))]
        for code in codes:
            spec = self._spec(code)
            if spec is not None and spec.key not in reading.not_present:
                changed |= meter.add(spec)
        for code, value in self.values.items():
            if (spec := meter.entities.get(code)) is not None:
                raw = Decimal(str(value.value)) * spec.factor if spec.factor else value.value
                _set(meter, spec, raw)
        for spec in HAN_IDENTITY:
            if (text := getattr(self.identity, spec.key)) is not None:
                changed |= meter.add(spec)
                meter.values[spec.key] = text
        offset = clock_offset(reading.clock, received)
        if offset is not None:
            changed |= meter.add(CLOCK_OFFSET)
            if self._offset is None or abs(offset - self._offset) >= CLOCK_OFFSET_STEP:
                self._offset = offset
            meter.values[CLOCK_OFFSET.key] = self._offset
        meter.online = True
        return meter, changed

    def _spec(self, code: str) -> EntitySpec | None:
        value = self.values.get(code)
        if value is not None:
            return describe_han_value(code, value.quantity)
        try:
            known = measurement(code)
        except ValueError:
            return None
        return None if known is None else describe_han_value(code, known[0])

    def outage(self) -> MeterState | None:
        """The meter fell silent: its instantaneous values are no longer true; counters stay."""
        self.values = {c: v for c, v in self.values.items() if v.quantity in COUNTERS}
        self._offset = None
        meter = self.meter
        if meter is None:
            return None
        meter.online = False
        for key, spec in meter.entities.items():
            if spec.state_class != TOTAL_INCREASING and spec.key not in (
                "meter_id",
                "meter_type",
                "list_version",
            ):
                meter.values.pop(key, None)
        return meter


def clock_offset(clock: MeterClock | None, received: dt.datetime) -> int | None:
    """Seconds the meter's clock is ahead of the bridge's (local wall-clock time, as sent)."""
    if clock is None or clock.isoformat is None:
        return None
    try:
        naive = dt.datetime.fromisoformat(clock.isoformat.split(".")[0])
    except ValueError:
        return None
    return round((naive.astimezone() - received).total_seconds())


# --- M-Bus ------------------------------------------------------------------------------------


def mbus_meter_id(bridge_id: str, port: str, address: str, telegram: Telegram) -> str:
    """As the integration: manufacturer and ID, or (no manufacturer) the port and address."""
    header = telegram.header
    if header is not None and header.id_text is not None and header.manufacturer:
        return f"{header.manufacturer}-{header.id_text}"
    return f"{bridge_id}-{source_ref(bridge_id, port)[:8]}-address-{address}"


def mbus_device(address: str, telegram: Telegram) -> DeviceInfo:
    """Device registry data, as the integration's ``meter_device_info``."""
    header = telegram.header
    firmware = next(
        (str(r.value) for r in telegram.records if r.quantity is MbusQuantity.FIRMWARE_VERSION),
        None,
    )
    if header is not None and header.manufacturer:
        return DeviceInfo(
            name=f"{manufacturer_name(header.manufacturer)} {header.id_text}",
            manufacturer=manufacturer_name(header.manufacturer),
            model=model_text(header),
            serial_number=header.id_text,
            sw_version=firmware,
        )
    return DeviceInfo(name=f"M-Bus meter {address}", sw_version=firmware)


# Status byte bits that mean the meter reports a problem (EN 13757-3 table 5), as binary_sensor.py.
STATUS_ERROR_BITS = (
    StatusBit.APPLICATION_ERROR
    | StatusBit.POWER_LOW
    | StatusBit.PERMANENT_ERROR
    | StatusBit.TEMPORARY_ERROR
)


def _error_flags(telegram: Telegram) -> bool | None:
    for record in telegram.records:
        if record.quantity is MbusQuantity.ERROR_FLAGS and isinstance(record.value, int):
            return record.value != 0
    return None


def _status_problem(telegram: Telegram) -> bool | None:
    header = telegram.header
    return None if header is None else bool(header.status & STATUS_ERROR_BITS)


def mbus_take(meter: MeterState, address: str, telegram: Telegram) -> bool:
    """Put one read's values into ``meter``; True when its sensors or device changed."""
    changed = False
    device = mbus_device(address, telegram)
    if device != meter.device:
        meter.device = device
        changed = True
    medium = telegram.header.medium if telegram.header else None
    seen = set()
    for record in telegram.records:
        described = describe_mbus_record(record, medium)
        if described is None:
            continue
        seen.add(record.key)
        changed |= meter.add(described.entity)
        spec = meter.entities[record.key]
        value = None if record.value is None else described.value_fn(record.value)
        _set(meter, spec, value)
    problems = {"error_flags": _error_flags(telegram), "status": _status_problem(telegram)}
    for spec in MBUS_PROBLEMS:
        problem = problems[spec.key]
        if problem is not None:
            changed |= meter.add(spec)
        if spec.key in meter.entities:
            seen.add(spec.key)
            meter.values[spec.key] = None if problem is None else "ON" if problem else "OFF"
    for key in set(meter.values) - seen:
        meter.values[key] = None  # no longer reported: unknown, not its old value
    meter.online = True
    return changed
