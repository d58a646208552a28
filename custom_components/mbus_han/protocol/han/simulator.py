"""A HAN meter that pushes Aidon, Kaifa, Kamstrup, Kaifa MA309 or Landis+Gyr data at their pace.

The electrical state changes plausibly (a random walk of the load per phase, voltages around
230 V, energy counters integrating the power, so they only ever increase). Pushes follow the
meters' schedules in simulated time: list 1 every 2 s (Aidon 2.5 s), list 2 every 10 s at
xx:xx:x0, list 3 at XX:00:10 (Kamstrup: list 2 every 10 s, list 3 at XX:00:05). The Austrian
Kaifa MA309 (the clock code and clock loose, then one ``{OBIS, value, {scaler, unit}}``
structure per value) and Landis+Gyr (its capture-object descriptors first, then the values,
split by general-block-transfer over several HDLC frames) push one full list every 5 s.
``time_scale`` stretches real time (0.01 = a hundred times faster, 0 = as fast as the bytes
can go). Optional AES-GCM encryption, M-Bus framing, and fault injection (garbage,
truncation, bad CRC, silence).
"""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from ..simio import ByteWriter, write_paced
from . import encode as enc
from .cipher import SecurityKeys
from .decoder import Transport
from .hdlc import encode_hdlc_frame

BAUDRATE = 2400
_BASE_LOAD_W = (700.0, 450.0, 350.0)


class Maker(StrEnum):
    """Whose lists to send."""

    AIDON = "aidon"
    KAIFA = "kaifa"
    KAMSTRUP = "kamstrup"
    KAIFA_MA309 = "ma309"  # Austria (Salzburg Netz, TINETZ, Vorarlberg), Poland
    LANDIS_GYR = "landisgyr"  # E450: capture-object list, general-block-transfer


class Wiring(StrEnum):
    """1-phase, 3-phase 4-wire (TN), or 3-phase 3-wire (IT, line-to-line voltages)."""

    ONE_PHASE = "1"
    THREE_PHASE = "3"
    IT = "it"


@dataclass(frozen=True, slots=True)
class Faults:
    """Probability per push of each fault (at most one per push)."""

    garbage: float = 0.0  # random bytes before the frame
    truncate: float = 0.0  # the frame stops part-way
    bad_crc: float = 0.0  # one byte inside the frame changed
    silence: float = 0.0  # the push is not sent at all


@dataclass(frozen=True, slots=True)
class Push:
    """One scheduled push: when (simulated meter time), which list, and its wire bytes."""

    moment: datetime
    list_number: int
    data: bytes  # as sent, faults included
    fault: str | None
    clean: bytes  # the push as it would have been sent without a fault


_METER_TYPES = {
    (Maker.AIDON, Wiring.ONE_PHASE): "6515",
    (Maker.AIDON, Wiring.THREE_PHASE): "6534",
    (Maker.AIDON, Wiring.IT): "6525",
    (Maker.KAIFA, Wiring.ONE_PHASE): "MA105H2E",
    (Maker.KAIFA, Wiring.THREE_PHASE): "MA304H4",
    (Maker.KAIFA, Wiring.IT): "MA304H3E",
    (Maker.KAMSTRUP, Wiring.ONE_PHASE): "6861111BN242101040",
    (Maker.KAMSTRUP, Wiring.THREE_PHASE): "6841131BN243101040",
    (Maker.KAMSTRUP, Wiring.IT): "6841121BN243101040",
}
# MA309 and Landis+Gyr name no meter type in their pushes.
_NO_TYPE = frozenset({Maker.KAIFA_MA309, Maker.LANDIS_GYR})
_METER_IDS = {
    Maker.AIDON: "7359992890941742",
    Maker.KAIFA: "6970631402614476",
    Maker.KAMSTRUP: "5706567271589419",
    Maker.KAIFA_MA309: "1KFM0200234804",
    Maker.LANDIS_GYR: "LGZ1030653520967",  # the logical device name is its identity
}
# Logical device names (0-0:42.0.0.255): the FLAG id, then the maker's own number.
_LOGICAL_NAMES = {Maker.KAIFA_MA309: "KFM1200200234804", Maker.LANDIS_GYR: "LGZ1030653520967"}
_FLAG_IDS = {
    Maker.AIDON: b"ADN",
    Maker.KAIFA: b"KFM",
    Maker.KAMSTRUP: b"KAM",
    Maker.KAIFA_MA309: b"KFM",
    Maker.LANDIS_GYR: b"LGZ",
}
# HDLC addresses and control as each maker sends them (see the corpus frames).
_HDLC = {
    Maker.AIDON: (0x20, 0x241, 0x13),
    Maker.KAIFA: (0x00, 0x80, 0x10),
    Maker.KAMSTRUP: (0x15, 0x10, 0x13),
    Maker.KAIFA_MA309: (0x00, 0x80, 0x10),
    Maker.LANDIS_GYR: (0x33FF, 0x01, 0x13),  # as the E450 captures: CE FF, 03, 13
}
# Landis+Gyr: block data per general-block-transfer block (one block per HDLC frame), about
# what the E450 sends (frames of 0x7D-0x84 octets).
GBT_BLOCK_DATA = 110
_FULL_LIST_EVERY = timedelta(seconds=5)


@dataclass(slots=True)
class MeterPhysics:
    """The electrical state of the simulated installation."""

    rng: random.Random
    wiring: Wiring
    phase_power: list[float] = field(default_factory=lambda: [600.0, 400.0, 300.0])
    voltage: list[float] = field(default_factory=lambda: [230.0, 231.0, 229.0])
    energy_import_wh: float = 12_345_678.0
    energy_export_wh: float = 0.0
    reactive_import_varh: float = 1_234_567.0
    reactive_export_varh: float = 234_567.0

    @property
    def phases(self) -> int:
        """Phases carrying load."""
        return 1 if self.wiring is Wiring.ONE_PHASE else 3

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass: the load wanders, the counters integrate it."""
        hours = seconds / 3600
        self.energy_import_wh += self.active_import * hours
        self.reactive_import_varh += self.reactive_import * hours
        self.reactive_export_varh += self.reactive_export * hours
        pull = 1 - math.exp(-seconds / 300)  # loads drift back to a base load over minutes
        for index in range(3):
            step = self.rng.gauss(0, 60) * math.sqrt(max(seconds, 0.1))
            power = self.phase_power[index]
            power += (_BASE_LOAD_W[index] - power) * pull + step
            self.phase_power[index] = min(4000.0, max(20.0, power))
            drift = self.rng.gauss(0, 0.4)
            self.voltage[index] = min(245.0, max(215.0, self.voltage[index] + drift))

    @property
    def active_import(self) -> int:
        """P+ in W."""
        return round(sum(self.phase_power[: self.phases]))

    @property
    def reactive_import(self) -> int:
        """Q+ in var: a power factor of about 0.95 inductive."""
        return round(self.active_import * 0.33)

    @property
    def reactive_export(self) -> int:
        """Q- in var: a little capacitive load."""
        return round(20 + self.phase_power[0] * 0.01)

    def current(self, phase: int) -> float:
        """Phase current in A."""
        return self.phase_power[phase] / self.voltage[phase]


class HanSimulator:
    """Builds the pushes of one meter; :meth:`run` writes them on a line at the real pace."""

    def __init__(
        self,
        maker: Maker,
        wiring: Wiring = Wiring.THREE_PHASE,
        *,
        keys: SecurityKeys | None = None,
        transport: Transport = Transport.HDLC,
        faults: Faults = Faults(),
        start: datetime | None = None,
        seed: int | None = None,
    ) -> None:
        self.maker = maker
        self.wiring = wiring
        self.keys = keys if keys and keys.encryption_key else None
        self.transport = transport
        self.faults = faults
        self.rng = random.Random(seed)
        self.physics = MeterPhysics(self.rng, wiring)
        now = start or datetime.now().replace(microsecond=0)
        self.clock = now
        self.invocation_counter = 0
        # what list 2 names as the meter type; MA309 and Landis+Gyr name none
        self._type_text = _METER_TYPES.get((maker, wiring), "")
        self.meter_type = None if maker in _NO_TYPE else self._type_text
        self.meter_id = _METER_IDS[maker]
        self.system_title = _FLAG_IDS[maker] + b"\x00\x00\x00\x00\x01"

    # --- schedule -----------------------------------------------------------------------

    def schedule(self) -> Iterator[tuple[datetime, int]]:
        """(meter time, list number) of every push from the start time on, forever."""
        if self.maker in _NO_TYPE:  # every 5 s a full list: clock and counters, like a list 3
            moment = self.clock.replace(second=self.clock.second - self.clock.second % 5)
            while True:
                moment += _FULL_LIST_EVERY
                yield moment, 3
        if self.maker is Maker.KAMSTRUP:
            step = timedelta(seconds=5)
            moment = self.clock.replace(microsecond=0) + timedelta(
                seconds=5 - self.clock.second % 5
            )
            while True:
                if moment.minute == 0 and moment.second == 5:
                    yield moment, 3
                elif moment.second % 10 == 0:
                    yield moment, 2
                moment += step
        step = timedelta(seconds=2.5 if self.maker is Maker.AIDON else 2)
        moment = self.clock.replace(second=self.clock.second - self.clock.second % 10)
        while True:
            if moment > self.clock:
                if moment.minute == 0 and moment.second == 10 and not moment.microsecond:
                    yield moment, 3
                elif moment.second % 10 == 0 and not moment.microsecond:
                    yield moment, 2
                else:
                    yield moment, 1
            moment += step

    def pushes(self) -> Iterator[Push]:
        """Every push in order, with the meter's state advanced to its time."""
        for moment, list_number in self.schedule():
            self.physics.advance((moment - self.clock).total_seconds())
            self.clock = moment
            yield self._push(moment, list_number)

    # --- building -----------------------------------------------------------------------

    def apdu(self, list_number: int, moment: datetime) -> bytes:
        """The plaintext data-notification of ``list_number`` at ``moment``."""
        if self.maker is Maker.AIDON:
            return enc.data_notification(self._aidon_body(list_number, moment), None, "none")
        if self.maker is Maker.KAIFA:
            body = self._kaifa_body(list_number, moment)
            return enc.data_notification(body, enc.date_time(moment), "tagged")
        if self.maker is Maker.KAIFA_MA309:
            body = self._ma309_body(moment)
            return enc.data_notification(body, enc.date_time(moment), "length")
        if self.maker is Maker.LANDIS_GYR:
            body = self._landis_gyr_body(moment)
            return enc.data_notification(body, enc.date_time(moment), "length")
        body = self._kamstrup_body(list_number, moment)
        return enc.data_notification(body, enc.date_time(moment), "length")

    def _push(self, moment: datetime, list_number: int) -> Push:
        apdu = self.apdu(list_number, moment)
        if self.keys is not None:
            self.invocation_counter += 1
            apdu = enc.glo_cipher(apdu, self.keys, self.system_title, self.invocation_counter)
        if self.transport is Transport.MBUS:
            data = enc.mbus_frames(apdu)
        elif self.maker is Maker.LANDIS_GYR:
            destination, source, control = _HDLC[self.maker]
            blocks = enc.general_blocks(apdu, GBT_BLOCK_DATA)
            data = b"".join(  # only the first frame carries the LLC header
                encode_hdlc_frame(
                    enc.llc(block) if index == 0 else block, destination, source, control
                )
                for index, block in enumerate(blocks)
            )
        else:
            destination, source, control = _HDLC[self.maker]
            data = encode_hdlc_frame(enc.llc(apdu), destination, source, control)
        fault = self._pick_fault()
        return Push(moment, list_number, self._damage(data, fault), fault, data)

    def _pick_fault(self) -> str | None:
        roll = self.rng.random()
        for name in ("silence", "garbage", "truncate", "bad_crc"):
            probability = getattr(self.faults, name)
            if roll < probability:
                return name
            roll -= probability
        return None

    def _damage(self, data: bytes, fault: str | None) -> bytes:
        if fault == "silence":
            return b""
        if fault == "garbage":
            return bytes(self.rng.randrange(256) for _ in range(self.rng.randrange(5, 40))) + data
        if fault == "truncate":
            return data[: self.rng.randrange(1, len(data) - 1)]
        if fault == "bad_crc":
            broken = bytearray(data)
            position = self.rng.randrange(1, len(data) - 3)
            broken[position] ^= 1 << self.rng.randrange(8)
            return bytes(broken)
        return data

    def _phase_indexes(self) -> tuple[int, ...]:
        return (0,) if self.wiring is Wiring.ONE_PHASE else (0, 1, 2)

    def _aidon_body(self, list_number: int, moment: datetime) -> bytes:
        p = self.physics
        power = enc.structure(enc.obis("1-0:1.7.0.255"), enc.u32(p.active_import), _SU_W)
        if list_number == 1:
            return enc.array(power)
        items = [
            enc.structure(enc.obis("1-1:0.2.129.255"), enc.visible("AIDON_V0001")),
            enc.structure(enc.obis("0-0:96.1.0.255"), enc.visible(self.meter_id)),
            enc.structure(enc.obis("0-0:96.1.7.255"), enc.visible(self._type_text)),
            power,
            enc.structure(enc.obis("1-0:2.7.0.255"), enc.u32(0), _SU_W),
            enc.structure(enc.obis("1-0:3.7.0.255"), enc.u32(p.reactive_import), _SU_VAR),
            enc.structure(enc.obis("1-0:4.7.0.255"), enc.u32(p.reactive_export), _SU_VAR),
        ]
        for phase in self._phase_indexes():
            if self.wiring is Wiring.IT and phase == 1:
                continue  # Aidon 6525 does not send IL2
            code = f"1-0:{31 + 20 * phase}.7.0.255"
            current = enc.i16(round(p.current(phase) * 10))
            items.append(enc.structure(enc.obis(code), current, enc.scaler_unit(-1, 33)))
        for phase in self._phase_indexes():
            code = f"1-0:{32 + 20 * phase}.7.0.255"
            voltage = enc.u16(round(p.voltage[phase] * 10))
            items.append(enc.structure(enc.obis(code), voltage, enc.scaler_unit(-1, 35)))
        if list_number == 3:
            hour = moment.replace(second=0)
            items.append(
                enc.structure(enc.obis("0-0:1.0.0.255"), enc.octets(enc.date_time(hour, 0, 0)))
            )
            for code, value, unit in self._energies(10):
                items.append(
                    enc.structure(enc.obis(code), enc.u32(value), enc.scaler_unit(1, unit))
                )
        return enc.array(*items)

    def _energies(self, step: int, group_b: int = 0) -> list[tuple[str, int, int]]:
        p = self.physics
        return [
            (f"1-{group_b}:1.8.0.255", int(p.energy_import_wh // step), 30),
            (f"1-{group_b}:2.8.0.255", int(p.energy_export_wh // step), 30),
            (f"1-{group_b}:3.8.0.255", int(p.reactive_import_varh // step), 32),
            (f"1-{group_b}:4.8.0.255", int(p.reactive_export_varh // step), 32),
        ]

    def _kaifa_body(self, list_number: int, moment: datetime) -> bytes:
        p = self.physics
        if list_number == 1:
            return enc.structure(enc.u32(p.active_import))
        items = [
            enc.octets(b"KFM_001"),
            enc.octets(self.meter_id.encode()),
            enc.octets(self._type_text.encode()),
            enc.u32(p.active_import),
            enc.u32(0),
            enc.u32(p.reactive_import),
            enc.u32(p.reactive_export),
        ]
        phases = self._phase_indexes()
        items += [enc.u32(round(p.current(phase) * 1000)) for phase in phases]
        for phase in phases:
            it_ul2 = self.wiring is Wiring.IT and phase == 1  # 3-wire: UL2 sent as 0
            items.append(enc.u32(0 if it_ul2 else round(p.voltage[phase] * 10)))
        if list_number == 3:
            items.append(enc.octets(enc.date_time(moment)))
            items += [enc.u32(value) for _, value, _ in self._energies(1)]
        return enc.structure(*items)

    def _kamstrup_body(self, list_number: int, moment: datetime) -> bytes:
        p = self.physics
        items = [
            enc.visible("Kamstrup_V0001"),
            enc.obis("1-1:0.0.5.255"),
            enc.visible(self.meter_id),
            enc.obis("1-1:96.1.1.255"),
            enc.visible(self._type_text),
            enc.obis("1-1:1.7.0.255"),
            enc.u32(p.active_import),
            enc.obis("1-1:2.7.0.255"),
            enc.u32(0),
            enc.obis("1-1:3.7.0.255"),
            enc.u32(p.reactive_import),
            enc.obis("1-1:4.7.0.255"),
            enc.u32(p.reactive_export),
        ]
        one_phase = self.wiring is Wiring.ONE_PHASE
        for phase in range(3):  # 1-phase meters pad the 3-phase layout with null-data
            if one_phase and phase:
                items += [enc.null(), enc.null()]
                continue
            items += [enc.obis(f"1-1:{31 + 20 * phase}.7.0.255")]
            items += [enc.u32(round(p.current(phase) * 100))]
        for phase in range(3):
            if one_phase and phase:
                items += [enc.null(), enc.null()]
                continue
            items += [enc.obis(f"1-1:{32 + 20 * phase}.7.0.255")]
            items += [enc.u16(round(p.voltage[phase]))]
        if list_number == 3:
            items += [enc.obis("0-1:1.0.0.255"), enc.octets(enc.date_time(moment))]
            for code, value, _ in self._energies(10, group_b=1):
                items += [enc.obis(code), enc.u32(value)]
        return enc.structure(*items)

    def _register_values(self) -> list[tuple[str, bytes, int, int]]:
        """(OBIS code, encoded value, scaler, DLMS unit) of an MA309 or Landis+Gyr push.

        Resolutions as in the Salzburg Netz capture: 0.1 V, 0.01 A, W, Wh, varh.
        """
        p = self.physics
        phases = self._phase_indexes()
        registers = [
            (f"1-0:{32 + 20 * i}.7.0.255", enc.u16(round(p.voltage[i] * 10)), -1, 35)
            for i in phases
        ]
        registers += [
            (f"1-0:{31 + 20 * i}.7.0.255", enc.u16(round(p.current(i) * 100)), -2, 33)
            for i in phases
        ]
        registers += [
            ("1-0:1.7.0.255", enc.u32(p.active_import), 0, 27),
            ("1-0:2.7.0.255", enc.u32(0), 0, 27),
        ]
        registers += [(code, enc.u32(value), 0, unit) for code, value, unit in self._energies(1)]
        return registers

    def _ma309_body(self, moment: datetime) -> bytes:
        """Salzburg Netz / TINETZ layout: clock code and clock loose, then structures."""
        items = [
            enc.obis("0-0:1.0.0.255"),
            enc.octets(enc.date_time(moment)),
            enc.structure(enc.obis("0-0:96.1.0.255"), enc.octets(self.meter_id.encode())),
            enc.structure(
                enc.obis("0-0:42.0.0.255"), enc.octets(_LOGICAL_NAMES[self.maker].encode())
            ),
        ]
        for code, value, scaler, unit in self._register_values():
            items.append(enc.structure(enc.obis(code), value, enc.scaler_unit(scaler, unit)))
        return enc.structure(*items)

    def _landis_gyr_body(self, moment: datetime) -> bytes:
        """Blue Book push setup: the capture-object list first, then the values in its order.

        Each register is captured twice, attribute 2 (value) and 3 (scaler-unit), so the push
        says its own scaling (a push without attribute 3 cannot be read, docs/han.md).
        """
        descriptors = [
            (40, "0-0:25.9.0.255", 2),  # the push setup's object list: this very list
            (1, "0-0:42.0.0.255", 2),  # logical device name
            (8, "0-0:1.0.0.255", 2),  # clock
        ]
        values = [b"", enc.octets(_LOGICAL_NAMES[self.maker].encode())]
        values.append(enc.octets(enc.date_time(moment)))
        for code, value, scaler, unit in self._register_values():
            descriptors += [(3, code, 2), (3, code, 3)]
            values += [value, enc.scaler_unit(scaler, unit)]
        values[0] = enc.array(
            *(
                enc.structure(enc.u16(class_id), enc.obis(code), enc.i8(attribute), enc.u16(0))
                for class_id, code, attribute in descriptors
            )
        )
        return enc.structure(*values)

    # --- on the wire --------------------------------------------------------------------

    async def run(
        self,
        writer: ByteWriter,
        time_scale: float = 1.0,
        *,
        count: int | None = None,
        baudrate: int = BAUDRATE,
    ) -> int:
        """Write pushes to ``writer`` at their schedule; return how many were written.

        The wait before each push is the simulated time since the previous one, times
        ``time_scale``; the bytes go out at the line's pace (also scaled).
        """
        loop = asyncio.get_running_loop()
        started_real = loop.time()
        started_meter = self.clock
        written = 0
        for push in self.pushes():
            if count is not None and written >= count:
                break
            due = started_real + (push.moment - started_meter).total_seconds() * time_scale
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await write_paced(writer, push.data, baudrate, time_scale)
            written += 1
        return written


_SU_W = enc.scaler_unit(0, 27)
_SU_VAR = enc.scaler_unit(0, 29)
