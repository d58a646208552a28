"""Heat-meter KPIs as a district-heating bill counts them: cooling, return temperature, means.

Everything comes from the counters the meter integrates itself (energy, volume and, where the
meter has them, the volume-times-temperature registers), read at the period boundaries. A
15-minute poll of the instantaneous temperatures would alias anything that swings faster than
the poll, so sampled temperatures only ever choose the water's heat capacity (a 0.1 % effect)
or, when nothing better exists, estimate the volume-weighted flow temperature (and say so).

A boundary between two polls is interpolated linearly between them and flagged; polls missing
inside a period (a restart, a bus outage) change nothing, because only the counters at the two
ends count. A counter that goes backwards (a replaced or reset meter) makes the result absent,
never a negative or giant number.

Cooling (volume-weighted delta T) over a period, in the order of preference:

1. ``(sum V*T_flow - sum V*T_return) / V`` from the meter's own registers (Kamstrup MULTICAL
   calls them m3*tF and m3*tR): exact, no water properties involved;
2. ``E / (V * k)`` with ``k`` the volumetric heat capacity, EN 1434's heat coefficient: the
   density at the volume sensor times the enthalpy difference per kelvin between flow and return.

Water properties: density after Kell (1975, J. Chem. Eng. Data 20, 97; 1 atm, 0-150 degC) and
specific heat ``c_p = a + bT + cT^1.5 + dT^2 + eT^2.5`` (1 bar, 0-130 degC; the fit quoted by
the adams-ale water-property notes), integrated exactly for the enthalpy difference. Against the
IAPWS-95 values at 0.1 MPa (NIST Webbook) the c_p fit is within 0.05 % from 20 to 100 degC,
the density within 0.01 %; the heat coefficient therefore within about 0.1 % of EN 1434's, whose
tables are based on IAPWS-IF97 (the tables themselves were not available to check against).

Pure Python, no Home Assistant: the sensors around it only feed and show it.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

from .capacity import period_start

KJ_PER_KWH = 3600.0
GJ_PER_KWH = 0.0036

# Fallback temperatures for the heat coefficient when a meter reports none (typical DH design).
FALLBACK_FLOW_C = 70.0
FALLBACK_RETURN_C = 40.0

# c_p of liquid water at 1 bar, kJ/(kg K), T in degC: a + bT + cT^1.5 + dT^2 + eT^2.5.
_CP = (4.2174356, -0.0056181625, 0.0012992528, -0.00011535353, 4.14964e-06)
# Kell (1975): density numerator coefficients (kg/m3, T in degC) and denominator slope.
_KELL = (999.83952, 16.945176, -7.9870401e-3, -46.170461e-6, 105.56302e-9, -280.54253e-12)
_KELL_B = 16.879850e-3


def water_density(temperature_c: float) -> float:
    """Density of liquid water at 1 atm in kg/m3 (Kell 1975)."""
    numerator = sum(c * temperature_c**n for n, c in enumerate(_KELL))
    return numerator / (1 + _KELL_B * temperature_c)


def water_specific_heat(temperature_c: float) -> float:
    """Isobaric specific heat of liquid water at 1 bar in kJ/(kg K)."""
    a, b, c, d, e = _CP
    t, root = temperature_c, math.sqrt(temperature_c)
    return a + b * t + c * t * root + d * t**2 + e * t**2 * root


def _enthalpy(temperature_c: float) -> float:
    """The c_p fit integrated from 0 degC: specific enthalpy in kJ/kg (up to a constant)."""
    a, b, c, d, e = _CP
    t, root = temperature_c, math.sqrt(temperature_c)
    return a * t + b * t**2 / 2 + c * t**2 * root / 2.5 + d * t**3 / 3 + e * t**3 * root / 3.5


def heat_coefficient(
    flow_c: float, return_c: float, volume_at: Literal["return", "flow"] = "return"
) -> float:
    """EN 1434's heat coefficient k in kWh/(m3 K): what one m3 carries per kelvin of cooling.

    ``volume_at`` is where the meter's flow sensor sits (most heat meters: the return pipe);
    the density is taken there, the enthalpy difference between flow and return.
    """
    density = water_density(return_c if volume_at == "return" else flow_c)
    if abs(flow_c - return_c) < 1e-6:
        per_kelvin = water_specific_heat(flow_c)
    else:
        per_kelvin = (_enthalpy(flow_c) - _enthalpy(return_c)) / (flow_c - return_c)
    return density * per_kelvin / KJ_PER_KWH


@dataclass(frozen=True, slots=True)
class HeatReading:
    """One poll of a heat meter: its counters and, if it has them, sampled temperatures."""

    at: dt.datetime  # timezone-aware
    energy_kwh: float
    volume_m3: float
    volume_flow_temperature: float | None = None  # the meter's V x T_flow register, m3 degC
    volume_return_temperature: float | None = None  # the meter's V x T_return register
    flow_temperature_c: float | None = None  # instantaneous, as sampled at the poll
    return_temperature_c: float | None = None
    # The meter's resolution (one step of its energy and volume registers), where known.
    energy_step_kwh: float | None = None
    volume_step_m3: float | None = None
    volume_temperature_step: float | None = None  # one step of the V x T registers, m3 degC


@dataclass(frozen=True, slots=True)
class Counters:
    """The counters at one moment, read or interpolated between the two polls around it."""

    at: dt.datetime
    energy_kwh: float
    volume_m3: float
    volume_flow_temperature: float | None
    volume_return_temperature: float | None
    interpolated: bool
    gap: dt.timedelta  # between the polls interpolated across (zero when read)


def _lerp(before: float | None, after: float | None, fraction: float) -> float | None:
    if before is None or after is None:
        return None
    return before + (after - before) * fraction


def went_backwards(before: HeatReading, after: HeatReading) -> bool:
    """True when any counter is lower in ``after``: a replaced or reset meter."""
    pairs = [
        (before.energy_kwh, after.energy_kwh),
        (before.volume_m3, after.volume_m3),
        (before.volume_flow_temperature, after.volume_flow_temperature),
        (before.volume_return_temperature, after.volume_return_temperature),
    ]
    return any(b is not None and a is not None and a < b for b, a in pairs)


def read_counters(reading: HeatReading) -> Counters:
    """The counters of one poll, as read (not interpolated)."""
    return Counters(
        reading.at,
        reading.energy_kwh,
        reading.volume_m3,
        reading.volume_flow_temperature,
        reading.volume_return_temperature,
        interpolated=False,
        gap=dt.timedelta(0),
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    """Python subtracts two datetimes of one zone by wall clock; UTC gives elapsed time."""
    return moment.astimezone(dt.UTC)


def counters_at(readings: Sequence[HeatReading], moment: dt.datetime) -> Counters | None:
    """The counters at ``moment`` from polls sorted by time; None outside them.

    Between two polls the counters are interpolated linearly (the meter integrated the real
    flow in between; a straight line is the best guess without more polls). None also when a
    counter went backwards across ``moment``: that is a replaced meter, not consumption.
    """
    utc = _utc(moment)
    times = [_utc(reading.at) for reading in readings]
    index = bisect.bisect_left(times, utc)
    if index < len(readings) and times[index] == utc:
        return read_counters(readings[index])
    if index == 0 or index == len(readings):
        return None
    before, after = readings[index - 1], readings[index]
    if went_backwards(before, after):
        return None
    span = times[index] - times[index - 1]
    fraction = (utc - times[index - 1]) / span
    return Counters(
        moment,
        before.energy_kwh + (after.energy_kwh - before.energy_kwh) * fraction,
        before.volume_m3 + (after.volume_m3 - before.volume_m3) * fraction,
        _lerp(before.volume_flow_temperature, after.volume_flow_temperature, fraction),
        _lerp(before.volume_return_temperature, after.volume_return_temperature, fraction),
        interpolated=True,
        gap=span,
    )


class PeriodKind(StrEnum):
    """The periods a KPI sensor resets on."""

    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    BILLING = "billing"  # a year from a configurable start date


def _local_midnight(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=zone)


def _anniversary(year: int, start: dt.date) -> dt.date:
    """``start``'s month and day in ``year``; 29 February becomes 28 in other years."""
    try:
        return start.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def period_bounds(
    kind: PeriodKind, moment: dt.datetime, zone: ZoneInfo, billing_start: dt.date | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The local-time period holding ``moment``: [start, end), both timezone-aware.

    Days, months and years start at local midnight, so a DST day lasts 23 or 25 hours.
    Hours align to UTC hours (every European zone is a whole number of hours off UTC).
    """
    if kind is PeriodKind.HOUR:
        start = period_start(moment, 60)
        return start, start + dt.timedelta(hours=1)
    today = moment.astimezone(zone).date()
    if kind is PeriodKind.DAY:
        first, after = today, today + dt.timedelta(days=1)
    elif kind is PeriodKind.MONTH:
        first = today.replace(day=1)
        after = (first + dt.timedelta(days=32)).replace(day=1)
    elif kind is PeriodKind.YEAR:
        first, after = dt.date(today.year, 1, 1), dt.date(today.year + 1, 1, 1)
    else:
        if billing_start is None:
            raise ValueError("a billing period needs its start date")
        first = _anniversary(today.year, billing_start)
        if first > today:
            first = _anniversary(today.year - 1, billing_start)
        after = _anniversary(first.year + 1, billing_start)
    return _local_midnight(first, zone), _local_midnight(after, zone)


class CoolingSource(StrEnum):
    """Where a period's cooling comes from: the sensor says which."""

    REGISTERS = "registers"  # the meter's V x T registers
    ENERGY = "energy"  # energy / (volume x heat coefficient)


class FlowTemperatureSource(StrEnum):
    """Where a period's volume-weighted flow temperature comes from."""

    REGISTERS = "registers"
    GIVEN = "given"  # the caller knows it (e.g. the utility's published supply temperature)
    SAMPLED = "sampled"  # polled temperatures weighted by the volume between polls


@dataclass(frozen=True, slots=True)
class HeatKpi:
    """A period's heat-meter figures, from the counters at its two ends."""

    start: Counters
    end: Counters
    energy_kwh: float
    volume_m3: float
    hours: float
    mean_power_kw: float
    mean_volume_flow_m3h: float
    cooling_k: float | None  # None when no water flowed
    cooling_source: CoolingSource
    heat_coefficient: float | None  # kWh/(m3 K), the energy path's k
    flow_temperature_c: float | None  # volume-weighted
    return_temperature_c: float | None  # volume-weighted (from registers or implied)
    flow_temperature_source: FlowTemperatureSource | None
    # Cooling and return temperature withheld: the counters have not yet moved enough steps
    # of the meter's resolution for them to be right (see MIN_RESOLVED_STEPS).
    resolution_limited: bool = False
    # The meter's V x T registers gave a cooling the energy register contradicts (see
    # REGISTERS_TOLERANCE): the energy path's figure is shown instead.
    registers_disagree: bool = False

    @property
    def interpolated(self) -> bool:
        """Either boundary lies between two polls."""
        return self.start.interpolated or self.end.interpolated


def sampled_flow_temperature(
    readings: Sequence[HeatReading], start: dt.datetime, end: dt.datetime
) -> float | None:
    """The polled flow temperatures weighted by the volume that passed between polls.

    Each interval between two polls counts with its volume (the part inside [start, end)) and
    the mean of the two sampled temperatures. An estimate: it aliases swings faster than the
    poll, which is why the KPIs use it only when the meter has no V x T register.
    """
    weighted = volume = 0.0
    for before, after in itertools.pairwise(readings):
        if before.flow_temperature_c is None or after.flow_temperature_c is None:
            continue
        overlap = min(_utc(after.at), _utc(end)) - max(_utc(before.at), _utc(start))
        span = _utc(after.at) - _utc(before.at)
        if overlap <= dt.timedelta(0) or after.volume_m3 < before.volume_m3:
            continue
        part = (after.volume_m3 - before.volume_m3) * (overlap / span)
        weighted += part * (before.flow_temperature_c + after.flow_temperature_c) / 2
        volume += part
    return weighted / volume if volume > 0 else None


def heat_kpi(
    readings: Sequence[HeatReading],
    start: dt.datetime,
    end: dt.datetime,
    *,
    heat_capacity: float | None = None,
    flow_temperature_c: float | None = None,
    volume_at: Literal["return", "flow"] = "return",
) -> HeatKpi | None:
    """The KPIs over [start, end] from polls sorted by time; None if a boundary is unknown.

    None too when a counter goes backwards inside the period (meter replaced or reset).

    ``heat_capacity`` (kWh/(m3 K)) fixes k for the energy path; without it k follows the
    water's properties at the period's temperatures. ``flow_temperature_c`` is a known
    volume-weighted flow temperature; without it and without registers, the sampled estimate.
    """
    first, last = counters_at(readings, start), counters_at(readings, end)
    if first is None or last is None or _utc(end) <= _utc(start):
        return None
    inside = [r for r in readings if _utc(start) <= _utc(r.at) <= _utc(end)]
    if any(went_backwards(a, b) for a, b in itertools.pairwise(inside)):
        return None  # the meter was replaced or reset inside the period: no honest figure
    sampled = None
    if flow_temperature_c is None:
        sampled = sampled_flow_temperature(readings, start, end)
    return kpi_between(
        first,
        last,
        heat_capacity=heat_capacity,
        flow_temperature_c=flow_temperature_c,
        sampled_flow_temperature_c=sampled,
        volume_at=volume_at,
    )


# A difference of two readings is off by up to one step of the meter's resolution (a meter
# counting whole kWh shows 0 kWh for an hour's 0.9 kWh). The energy path's cooling and return
# temperature wait until energy and volume have each moved this many steps: at most 1 % off.
# The register path waits until the registers' difference (V x cooling) has moved this many
# steps of the registers: at most 2 % off, as each register may be off by a step.
MIN_RESOLVED_STEPS = 100
# Where both paths are resolved they must agree this well (relative, at least 0.5 K): on real
# meters they agree within 0.4 % (tests/mbus/test_vendor_registers.py), so a larger miss
# means the registers are not what we take them for (another scale, another meaning).
REGISTERS_TOLERANCE = 0.1
REGISTERS_TOLERANCE_K = 0.5


def kpi_between(
    first: Counters,
    last: Counters,
    *,
    heat_capacity: float | None = None,
    flow_temperature_c: float | None = None,
    sampled_flow_temperature_c: float | None = None,
    volume_at: Literal["return", "flow"] = "return",
    energy_step_kwh: float | None = None,
    volume_step_m3: float | None = None,
    volume_temperature_step: float | None = None,
) -> HeatKpi | None:
    """The KPIs between two sets of counters (read or interpolated); None if they disagree.

    The core of :func:`heat_kpi`, for callers that keep the boundary counters themselves
    (the sensors keep one set per local midnight instead of every poll). None when a
    counter is lower at the end, or the end is not after the start.
    ``sampled_flow_temperature_c`` is the volume-weighted sampled flow temperature, used
    only without registers and without ``flow_temperature_c``. ``energy_step_kwh`` and
    ``volume_step_m3`` are the meter's resolution: below MIN_RESOLVED_STEPS of either, the
    energy path gives no cooling (``resolution_limited``) rather than a quantised one.
    ``volume_temperature_step`` is the V x T registers' step: they count only once their
    difference has moved MIN_RESOLVED_STEPS of it and, where the energy path is resolved
    too, agrees with it (REGISTERS_TOLERANCE); otherwise the energy path stands.
    """
    if _utc(last.at) <= _utc(first.at):
        return None
    energy = last.energy_kwh - first.energy_kwh
    volume = last.volume_m3 - first.volume_m3
    if energy < 0 or volume < 0:
        return None
    hours = (_utc(last.at) - _utc(first.at)).total_seconds() / 3600

    registers = _registers_cooling(first, last, volume, volume_step_m3, volume_temperature_step)
    energy_resolved = volume > 0 and not _too_coarse(
        energy, energy_step_kwh, volume, volume_step_m3
    )
    disagree = False
    if registers is not None and energy_resolved:
        check_k = _coefficient(heat_capacity, energy / volume, registers[0], volume_at)
        disagree = not _agree(registers[0] - registers[1], energy / (volume * check_k))

    cooling: float | None = None
    return_c: float | None = None
    k: float | None = None
    source = CoolingSource.ENERGY
    flow_source: FlowTemperatureSource | None = None
    flow_c: float | None = None
    if registers is not None and not disagree:
        flow_c, return_c = registers
        flow_source, source = FlowTemperatureSource.REGISTERS, CoolingSource.REGISTERS
        cooling = flow_c - return_c
    else:
        if flow_temperature_c is not None:
            flow_c, flow_source = flow_temperature_c, FlowTemperatureSource.GIVEN
        elif sampled_flow_temperature_c is not None:
            flow_c, flow_source = sampled_flow_temperature_c, FlowTemperatureSource.SAMPLED
        if energy_resolved:
            k = _coefficient(heat_capacity, energy / volume, flow_c, volume_at)
            cooling = energy / (volume * k)
            return_c = None if flow_c is None else flow_c - cooling
    limited = volume > 0 and cooling is None
    return HeatKpi(
        first,
        last,
        energy,
        volume,
        hours,
        energy / hours,
        volume / hours,
        cooling,
        source,
        k,
        flow_c,
        return_c,
        flow_source,
        limited,
        disagree,
    )


def _registers_cooling(
    first: Counters,
    last: Counters,
    volume: float,
    volume_step: float | None,
    step: float | None,
) -> tuple[float, float] | None:
    """The volume-weighted flow and return temperatures from the V x T registers, if resolved.

    None without registers, without flow, or while the registers' difference (volume x
    cooling) or the volume has moved fewer than MIN_RESOLVED_STEPS of its step.
    """
    flow = _difference(first.volume_flow_temperature, last.volume_flow_temperature)
    back = _difference(first.volume_return_temperature, last.volume_return_temperature)
    if flow is None or back is None or volume <= 0:
        return None
    if _unresolved(abs(flow - back), step) or _unresolved(volume, volume_step):
        return None
    return flow / volume, back / volume


def _agree(registers_cooling: float, energy_cooling: float) -> bool:
    """Whether the two paths' cooling agree within REGISTERS_TOLERANCE (at least 0.5 K)."""
    allowed = max(REGISTERS_TOLERANCE * abs(energy_cooling), REGISTERS_TOLERANCE_K)
    return abs(registers_cooling - energy_cooling) <= allowed


def _too_coarse(
    energy: float, energy_step: float | None, volume: float, volume_step: float | None
) -> bool:
    """Whether energy or volume moved fewer than MIN_RESOLVED_STEPS steps of the meter."""
    return _unresolved(energy, energy_step) or _unresolved(volume, volume_step)


def _unresolved(moved: float, step: float | None) -> bool:
    """Whether a counter of resolution ``step`` (None: unknown) moved too few steps to trust."""
    return step is not None and step > 0 and moved < MIN_RESOLVED_STEPS * step


def _difference(before: float | None, after: float | None) -> float | None:
    if before is None or after is None or after < before:
        return None
    return after - before


def _coefficient(
    given: float | None,
    kwh_per_m3: float,
    flow_c: float | None,
    volume_at: Literal["return", "flow"],
) -> float:
    """The energy path's k: the caller's, else the water's (see _water_coefficient)."""
    return given if given is not None else _water_coefficient(kwh_per_m3, flow_c, volume_at)


def _water_coefficient(
    kwh_per_m3: float, flow_c: float | None, volume_at: Literal["return", "flow"]
) -> float:
    """The heat coefficient at the flow temperature; the return side follows from the cooling.

    k changes by about 0.1 % per 10 K, so three fixed-point steps from 1.163 settle it.
    Without any flow temperature, k at typical design temperatures (70/40 degC).
    """
    if flow_c is None:
        return heat_coefficient(FALLBACK_FLOW_C, FALLBACK_RETURN_C, volume_at)
    k = 1.163
    for _ in range(3):
        k = heat_coefficient(flow_c, flow_c - kwh_per_m3 / k, volume_at)
    return k


def period_kpi(
    readings: Sequence[HeatReading],
    kind: PeriodKind,
    moment: dt.datetime,
    zone: ZoneInfo,
    *,
    billing_start: dt.date | None = None,
    heat_capacity: float | None = None,
    flow_temperature_c: float | None = None,
    volume_at: Literal["return", "flow"] = "return",
) -> HeatKpi | None:
    """The running (or, for a past ``moment``, completed) period up to the last poll."""
    if not readings:
        return None
    start, end = period_bounds(kind, moment, zone, billing_start)
    end = min(_utc(end), _utc(readings[-1].at))
    return heat_kpi(
        readings,
        start,
        end,
        heat_capacity=heat_capacity,
        flow_temperature_c=flow_temperature_c,
        volume_at=volume_at,
    )


@dataclass(frozen=True, slots=True)
class BandCheck:
    """A value against a target band [low, high]."""

    outside: bool
    deviation: float  # 0 inside; below the band negative (value - low), above positive


def band_check(value: float, low: float, high: float) -> BandCheck:
    """How far ``value`` lies outside [low, high], signed."""
    if value < low:
        return BandCheck(True, value - low)
    if value > high:
        return BandCheck(True, value - high)
    return BandCheck(False, 0.0)


# Taarnby Forsyning: cooling in degC = energy (GJ) / volume (m3) x 242; the 242 stands for a
# volumetric heat capacity of 1/242 GJ/(m3 K) = 4.13 MJ/(m3 K), water near 50 degC.
TAARNBY_K_M3_PER_GJ = 242.0
TAARNBY_BAND = (39.0, 41.0)
TAARNBY_DKK_PER_K_GJ = 1.05


def taarnby_cooling(energy_gj: float, volume_m3: float) -> float:
    """Taarnby's cooling in degC from a period's energy and volume."""
    return energy_gj / volume_m3 * TAARNBY_K_M3_PER_GJ


def taarnby_adjustment_dkk(
    energy_gj: float,
    cooling_c: float,
    band: tuple[float, float] = TAARNBY_BAND,
    rate_dkk: float = TAARNBY_DKK_PER_K_GJ,
) -> float:
    """Surcharge (positive) below the band, bonus (negative) above: rate x GJ x kelvin."""
    return -rate_dkk * energy_gj * band_check(cooling_c, *band).deviation


def return_temperature_adjustment(
    average_return_c: float, required_return_c: float, percent_per_k: float = 1.0
) -> float:
    """Skaerbaek-style: the fraction of the energy bill added (positive) or discounted.

    Every kelvin the period's average return temperature lies above the required one costs
    ``percent_per_k`` percent; every kelvin below earns it back.
    """
    return (average_return_c - required_return_c) * percent_per_k / 100
