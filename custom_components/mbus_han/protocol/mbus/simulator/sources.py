"""Where a simulated meter's telegrams come from: a live heat-meter model or replayed bytes."""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ...errors import DecodeError
from ..encode import (
    BCD4,
    BCD6,
    BCD8,
    CI_LONG_HEADER,
    INT8,
    INT16,
    INT32,
    Identity,
    RecordSpec,
    date_g,
    date_time_f,
    user_data,
)
from ..frames import ControlFrame, LongFrame, parse_frame
from ..model import Medium, Telegram
from ..telegram import decode_user_data

# Heat-meter physics: water carries 1.163 kWh per m3 and kelvin (specific heat x density).
KWH_PER_M3_K = 1.163


@dataclass(frozen=True, slots=True)
class Payload:
    """One telegram's application layer: CI, user data, and whether another follows."""

    ci: int
    data: bytes
    more_records_follow: bool


class TelegramSource(Protocol):
    """Gives a simulated meter its identity and its telegrams."""

    identity: Identity

    def telegram(self, index: int, access_number: int) -> Payload:
        """Telegram ``index`` of the read sequence (0 = first after a reset)."""
        ...


# Allmess Integral-V UltraLite: a compact ultrasonic heat meter, M-Bus at 2400 baud, primary
# address 0 from the factory. Allmess meters identify as "SLB" on the wire (see the Allmess
# CF-50 telegram of the libmbus corpus); medium 0x04 is "heat, outlet".
INTEGRAL_V_ULTRALITE = Identity(
    identification=12345678, manufacturer="SLB", version=0x1A, medium=0x04
)


class HeatMeterModel:
    """A heat meter whose readings evolve plausibly while its counters only ever increase.

    Flow and return temperatures follow a slow daily-like swing with a little noise, volume
    flow swings faster, power is ``flow x temperature difference x 1.163``; energy and volume
    integrate power and flow over the time between telegrams, so they never go backwards.
    ``clock`` drives the model (monotonic seconds; tests pass a fake one to step time).
    With ``history=True`` a second telegram (announced by DIF 0x1F) carries 12 monthly values.

    ``daily_load=True`` adds a household's day (from ``wall_clock``, local time): little
    flow at night, peaks in the morning and evening, and the cooling larger at low load (the
    radiators keep the water longer), so volume-weighted and plain averages differ as on a
    real bill. ``heat_coefficient(flow_c, return_c)`` replaces the constant 1.163 kWh/(m3 K)
    (e.g. EN 1434's, from the water's properties). The ``true_*`` totals are the exact
    integrals of the instantaneous state (m3, m3 degC): ground truth for tests.
    """

    def __init__(
        self,
        identity: Identity = INTEGRAL_V_ULTRALITE,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], dt.datetime] = dt.datetime.now,
        seed: int | None = None,
        energy_kwh: float | None = None,
        volume_m3: float | None = None,
        history: bool = False,
        daily_load: bool = False,
        heat_coefficient: Callable[[float, float], float] | None = None,
        fine_registers: bool = False,
        volume_temperature_registers: bool = False,
    ) -> None:
        self.identity = identity
        self._clock = clock
        self._wall_clock = wall_clock
        # Each meter its own history unless told otherwise: derived from its ID.
        self._random = random.Random(identity.identification if seed is None else seed)
        if energy_kwh is None:
            energy_kwh = round(self._random.uniform(1000, 50000), 1)
        if volume_m3 is None:
            volume_m3 = round(energy_kwh / 40, 2)
        self._phase = self._random.uniform(0, 2 * math.pi)
        self._start = clock()
        self._last = self._start
        self.energy_kwh = energy_kwh
        self.volume_m3 = volume_m3
        self.history = history
        self.daily_load = daily_load
        # Energy in Wh and volume in 0.1 l instead of kWh and 0.01 m3: the heat-bill figures
        # need 100 steps of each (billing.heat.MIN_RESOLVED_STEPS), minutes instead of hours.
        self.fine_registers = fine_registers
        self._heat_coefficient = heat_coefficient
        self.true_volume_m3 = 0.0  # exact integrals since the model started
        self.true_volume_flow_temperature = 0.0  # m3 degC
        self.true_volume_return_temperature = 0.0
        # Kamstrup's E8/E9 (records FF 07 / FF 08, see vendor_registers): the volume so far at
        # typical temperatures, then the exact integrals. Only with a Kamstrup identity do
        # they mean anything to a reader.
        self.volume_temperature_registers = volume_temperature_registers
        self._registers_at_start = (volume_m3 * 60.0, volume_m3 * 45.0)
        self._due_date_energy = math.floor(energy_kwh * 0.9)
        self.flow_temperature = 0.0
        self.return_temperature = 0.0
        self.volume_flow_m3h = 0.0
        self.power_kw = 0.0
        self._update_instant(self._start)

    def _counter_records(self) -> list[RecordSpec]:
        if self.fine_registers:
            counters = [
                RecordSpec(BCD8, b"\x03", math.floor(self.energy_kwh * 1000)),  # energy, Wh
                RecordSpec(BCD8, b"\x12", math.floor(self.volume_m3 * 10000)),  # volume, 0.1 l
            ]
        else:
            counters = [
                RecordSpec(BCD8, b"\x06", math.floor(self.energy_kwh)),  # energy, kWh
                RecordSpec(BCD8, b"\x14", math.floor(self.volume_m3 * 100)),  # volume, 0.01 m3
            ]
        if self.volume_temperature_registers:
            # One count = 100 degC x one volume step (Kamstrup), in whole counts.
            step = 100 * (0.0001 if self.fine_registers else 0.01)
            flow, back = self.register_values()
            counters += [
                RecordSpec(INT32, b"\xff\x07", math.floor(flow / step)),
                RecordSpec(INT32, b"\xff\x08", math.floor(back / step)),
            ]
        return counters

    def register_values(self) -> tuple[float, float]:
        """The V x T_flow and V x T_return registers now, exactly (m3 degC)."""
        flow, back = self._registers_at_start
        return (
            flow + self.true_volume_flow_temperature,
            back + self.true_volume_return_temperature,
        )

    def _update_instant(self, now: float) -> None:
        t = now - self._start
        noise = self._random.gauss
        self.flow_temperature = 65.0 + 5.0 * math.sin(2 * math.pi * t / 3600 + self._phase)
        self.flow_temperature += noise(0, 0.05)
        delta = max(1.0, 15.0 + 3.0 * math.sin(2 * math.pi * t / 1800) + noise(0, 0.05))
        self.return_temperature = self.flow_temperature - delta
        self.volume_flow_m3h = max(0.0, 1.2 + 0.4 * math.sin(2 * math.pi * t / 900))
        self.volume_flow_m3h += abs(noise(0, 0.005))
        if self.daily_load:
            load = daily_load(self._wall_clock())
            self.volume_flow_m3h *= load
            delta = min(delta + 8.0 * (1.0 - load), self.flow_temperature - 15.0)
            self.return_temperature = self.flow_temperature - delta
        k = KWH_PER_M3_K
        if self._heat_coefficient is not None:
            k = self._heat_coefficient(self.flow_temperature, self.return_temperature)
        self.power_kw = self.volume_flow_m3h * delta * k

    def advance(self) -> None:
        """Integrate the counters up to the clock's present and refresh instant values."""
        now = self._clock()
        elapsed_h = max(0.0, now - self._last) / 3600
        if elapsed_h:
            volume = self.volume_flow_m3h * elapsed_h
            self.energy_kwh += self.power_kw * elapsed_h
            self.volume_m3 += volume
            self.true_volume_m3 += volume
            self.true_volume_flow_temperature += volume * self.flow_temperature
            self.true_volume_return_temperature += volume * self.return_temperature
            self._last = now
        self._update_instant(max(now, self._last))

    def current_records(self) -> list[RecordSpec]:
        """The records of the first telegram, as the meter codes them."""
        now = self._wall_clock()
        operating_days = int((self._last - self._start) / 86400) + 1234
        return [
            *self._counter_records(),
            RecordSpec(BCD6, b"\x2b", round(self.power_kw * 1000)),  # power, W
            RecordSpec(BCD6, b"\x3b", round(self.volume_flow_m3h * 1000)),  # flow, l/h
            RecordSpec(BCD4, b"\x5a", round(self.flow_temperature * 10)),  # 0.1 degC
            RecordSpec(BCD4, b"\x5e", round(self.return_temperature * 10)),  # 0.1 degC
            RecordSpec(
                BCD6, b"\x61", round((self.flow_temperature - self.return_temperature) * 100)
            ),  # 0.01 K
            RecordSpec(INT32, b"\x6d", date_time_f(now)),  # date and time
            RecordSpec(INT16, b"\x27", operating_days),  # operating time, days
            RecordSpec(INT8, b"\xfd\x17", 0),  # error flags
            RecordSpec(INT16, b"\x6c", date_g(_last_due_date(now.date())), storage=1),
            RecordSpec(BCD8, b"\x06", self._due_date_energy, storage=1),
        ]

    def history_records(self) -> list[RecordSpec]:
        """The records of the second telegram: energy at the end of each of 12 months."""
        records = []
        monthly = max(1, math.floor(self.energy_kwh) // 24)
        for month in range(1, 13):
            value = max(0, math.floor(self.energy_kwh) - monthly * month)
            records.append(RecordSpec(BCD8, b"\x06", value, storage=month + 1))
        return records

    def telegram(self, index: int, access_number: int) -> Payload:
        """Telegram 0 (current values) or 1 (monthly history)."""
        self.advance()
        if index == 0:
            data = user_data(
                self.identity,
                self.current_records(),
                access_number=access_number,
                more_records_follow=self.history,
            )
            return Payload(CI_LONG_HEADER, data, self.history)
        data = user_data(self.identity, self.history_records(), access_number=access_number)
        return Payload(CI_LONG_HEADER, data, False)


def daily_load(moment: dt.datetime) -> float:
    """A household's heat demand over the day, 0.3 to about 1.5 (local wall-clock time).

    Night setback until 5, a morning peak around 7 (showers, rooms warming up), a lull at
    midday and an evening peak around 19.
    """
    hour = moment.hour + moment.minute / 60 + moment.second / 3600
    morning = math.exp(-(((hour - 7.0) / 1.5) ** 2))
    evening = 0.7 * math.exp(-(((hour - 19.0) / 2.0) ** 2))
    day = 0.4 if 6 <= hour < 22 else 0.0
    return 0.3 + day + morning + evening


def _last_due_date(today: dt.date) -> dt.date:
    """Heat meters store the energy at the yearly due date (here 31 December)."""
    return dt.date(today.year - 1, 12, 31)


class ReplaySource:
    """Replays recorded telegrams (whole long frames or CI-first payloads), in order.

    The meter's identity for secondary addressing comes from the first telegram's long
    header unless given. Telegrams that announce more (DIF 0x1F) are followed by the next.
    """

    def __init__(
        self, payloads: Sequence[tuple[int, bytes]], identity: Identity | None = None
    ) -> None:
        if not payloads:
            raise DecodeError("a replayed meter needs at least one telegram")
        self._payloads: list[Payload] = []
        decoded: list[Telegram] = []
        for number, (ci, data) in enumerate(payloads, 1):
            try:
                result = decode_user_data(ci, data)
            except DecodeError as err:
                raise DecodeError(f"telegram {number}: {err}") from None
            if not isinstance(result, Telegram):
                raise DecodeError(f"telegram {number} is an application error, not data")
            decoded.append(result)
            self._payloads.append(Payload(ci, data, result.more_records_follow))
        self.identity = identity or _identity_of(decoded[0])

    @classmethod
    def from_hex(cls, text: str, identity: Identity | None = None) -> ReplaySource:
        """Telegrams as hex, one per line (spaces allowed, ``#`` starts a comment)."""
        payloads = []
        for line_number, text_line in enumerate(text.splitlines(), 1):
            hex_text = text_line.split("#", 1)[0].strip()
            if not hex_text:
                continue
            try:
                raw = bytes.fromhex(hex_text)
            except ValueError:
                raise DecodeError(f"line {line_number} is not hex") from None
            payloads.append(_payload_of(raw, line_number))
        return cls(payloads, identity)

    @classmethod
    def from_file(cls, path: str | Path, identity: Identity | None = None) -> ReplaySource:
        """Read :meth:`from_hex` text from ``path`` (e.g. a corpus ``.hex`` file)."""
        try:
            text = Path(path).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as err:
            raise DecodeError(f"{path}: cannot read telegrams: {err}") from None
        try:
            return cls.from_hex(text, identity)
        except DecodeError as err:
            raise DecodeError(f"{path}: {err}") from None

    def telegram(self, index: int, access_number: int) -> Payload:
        """The recorded telegram ``index`` (bytes as recorded, access number included)."""
        return self._payloads[index % len(self._payloads)]


def _payload_of(raw: bytes, line_number: int) -> tuple[int, bytes]:
    if raw and raw[0] == 0x68:
        frame = parse_frame(raw)
        if not isinstance(frame, LongFrame | ControlFrame):
            raise DecodeError(f"line {line_number}: not a long frame")
        return frame.ci, frame.data if isinstance(frame, LongFrame) else b""
    if not raw:
        raise DecodeError(f"line {line_number}: empty telegram")
    return raw[0], raw[1:]


def _identity_of(telegram: Telegram) -> Identity:
    header = telegram.header
    if header is None or header.id is None or header.manufacturer is None:
        raise DecodeError(
            "the first telegram has no long header with a valid ID, so the meter cannot be "
            "addressed by secondary address; give its identity explicitly"
        )
    medium = header.medium_code if header.medium_code is not None else Medium.OTHER.value
    return Identity(header.id, header.manufacturer, header.version or 0, medium)
