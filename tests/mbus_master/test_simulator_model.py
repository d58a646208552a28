"""The simulator without I/O: encoder round trips, the live model, slave link semantics."""

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.mbus.encode import (
    BCD4,
    BCD8,
    INT16,
    INT32,
    EncodeError,
    Identity,
    RecordSpec,
    bcd,
    date_g,
    date_time_f,
    user_data,
)
from custom_components.mbus_han.protocol.mbus.frames import (
    ACK,
    AckFrame,
    parse_frame,
)
from custom_components.mbus_han.protocol.mbus.model import Quantity
from custom_components.mbus_han.protocol.mbus.requests import (
    SecondaryAddress,
    req_ud2,
    select_secondary,
    set_primary_address,
    snd_nke,
)
from custom_components.mbus_han.protocol.mbus.simulator import (
    HeatMeterModel,
    ReplaySource,
    SimulatedMeter,
)
from custom_components.mbus_han.protocol.mbus.simulator.bus import superimpose
from custom_components.mbus_han.protocol.mbus.simulator.sources import daily_load
from custom_components.mbus_han.protocol.mbus.telegram import decode_frame, decode_user_data

CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "mbus" / "libmbus"
IDENTITY = Identity(12345678, "SLB", 0x1A, 0x04)


@given(
    storage=st.integers(0, 2**20),
    tariff=st.integers(0, 15),
    subunit=st.integers(0, 7),
    value=st.integers(0, 99_999_999),
)
def test_encoded_records_decode_to_what_was_encoded(storage, tariff, subunit, value):
    record = RecordSpec(BCD8, b"\x06", value, storage=storage, tariff=tariff, subunit=subunit)
    telegram = decode_user_data(0x72, user_data(IDENTITY, [record], access_number=3))
    (decoded,) = telegram.records
    assert (decoded.storage, decoded.tariff, decoded.subunit) == (storage, tariff, subunit)
    assert decoded.value == value * 1000  # kWh -> Wh
    assert telegram.header.id == 12345678
    assert telegram.header.access_number == 3


@given(st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2080, 12, 31)))
def test_dates_round_trip(moment):
    records = [
        RecordSpec(INT32, b"\x6d", date_time_f(moment)),
        RecordSpec(INT16, b"\x6c", date_g(moment.date())),
    ]
    telegram = decode_user_data(0x72, user_data(IDENTITY, records, access_number=0))
    assert telegram.records[0].value == moment.replace(second=0, microsecond=0)
    assert telegram.records[1].value == moment.date()


def test_encoder_rejects_what_does_not_fit():
    with pytest.raises(EncodeError):
        bcd(12345, 4)
    with pytest.raises(EncodeError):
        RecordSpec(BCD4, b"\x5a", -1).encode()
    with pytest.raises(EncodeError):
        Identity(123456789, "SLB", 0, 4)


def test_more_records_follow_is_marked():
    data = user_data(IDENTITY, [], access_number=0, more_records_follow=True)
    assert decode_user_data(0x72, data).more_records_follow


def _number(value):
    return float(value) if isinstance(value, int | float | Decimal) else value


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_heat_model_counters_only_increase_and_values_are_plausible():
    clock = FakeClock()
    model = HeatMeterModel(IDENTITY, clock=clock, seed=1)
    previous = None
    for _ in range(200):
        clock.now += 37.0
        telegram = decode_user_data(0x72, model.telegram(0, 0).data)
        values = {r.key: _number(r.value) for r in telegram.records}
        assert 55 <= values["flow_temperature"] <= 75
        assert values["return_temperature"] < values["flow_temperature"]
        assert values["power"] > 0
        assert values["volume_flow"] > 0
        # power = flow x temperature difference x 1.163 kWh/(m3 K), within coding rounding
        expected_w = values["volume_flow"] * values["temperature_difference"] * 1163
        assert values["power"] == pytest.approx(expected_w, rel=0.01)
        if previous is not None:
            assert values["energy"] >= previous["energy"]
            assert values["volume"] >= previous["volume"]
        previous = values
    assert previous["energy"] > model.energy_kwh * 1000 - 1000  # it did advance
    clock.now -= 500  # a clock going backwards never makes counters go back
    again = {
        r.key: _number(r.value) for r in decode_user_data(0x72, model.telegram(0, 0).data).records
    }
    assert again["energy"] >= previous["energy"]


def test_heat_model_energy_integrates_power():
    clock = FakeClock()
    model = HeatMeterModel(IDENTITY, clock=clock, energy_kwh=1000.0, volume_m3=10.0)
    model.advance()
    start = model.energy_kwh
    for _ in range(360):  # one hour in 10 s steps
        clock.now += 10
        model.advance()
    assert 10 < model.energy_kwh - start < 40  # roughly 1.2 m3/h x 15 K x 1.163 = 21 kWh
    assert model.volume_m3 > 10.0


def _answer(meter, frame):
    answer = meter.handle(frame)
    return None if answer is None else parse_frame(answer)


def test_fcb_semantics():
    meter = SimulatedMeter(HeatMeterModel(IDENTITY, history=True), 3, answer_delay_bits=20)
    assert isinstance(_answer(meter, snd_nke(3)), AckFrame)
    first = meter.handle(req_ud2(3, fcb=True))
    assert meter.handle(req_ud2(3, fcb=True)) == first  # same FCB: repeat
    second = meter.handle(req_ud2(3, fcb=False))  # toggled: next telegram
    assert second != first
    assert decode_frame(second).records[0].storage == 2
    third = meter.handle(req_ud2(3, fcb=True))  # sequence starts over after the last
    assert decode_frame(third).more_records_follow
    assert meter.handle(snd_nke(4)) is None  # another address
    assert meter.handle(snd_nke(255)) is None  # broadcast without reply
    assert meter.handle(snd_nke(254)) == bytes((ACK,))


def test_selection_with_wildcards_and_deselect():
    meter = SimulatedMeter(HeatMeterModel(IDENTITY), 0)
    select = lambda text: meter.handle(select_secondary(SecondaryAddress.parse(text)))  # noqa: E731
    assert select("1234567F") == bytes((ACK,))
    assert meter.selected
    assert meter.handle(req_ud2(253, fcb=True)) is not None
    assert select("1234567FFFFF1A04") == bytes((ACK,))
    assert select("FFFFFFFF824DFFFF") == bytes((ACK,))  # SLB, bytes as sent
    assert select("123456781111FFFF") is None  # other manufacturer
    assert not meter.selected
    assert meter.handle(req_ud2(253, fcb=True)) is None
    assert select("F2345678FFFFFF07") is None  # other medium
    assert select("22345678") is None
    select("12345678")
    assert meter.handle(snd_nke(253)) == bytes((ACK,))
    assert not meter.selected


def test_set_primary_address_command():
    meter = SimulatedMeter(HeatMeterModel(IDENTITY), 0)
    assert meter.handle(set_primary_address(0, 9)) == bytes((ACK,))
    assert meter.primary_address == 9


def test_superimposed_answers():
    e5 = bytes((ACK,))
    assert superimpose([(40, e5), (40, e5)]) == e5  # aligned identical acks survive
    assert superimpose([(40, e5), (60, e5)]) == e5 + e5  # far apart: two acks
    garbled = superimpose([(40, e5), (45, e5)])
    assert garbled != e5
    a = SimulatedMeter(HeatMeterModel(IDENTITY), 0).handle(req_ud2(0, fcb=True))
    b = SimulatedMeter(HeatMeterModel(Identity(12345679, "SLB", 0x1A, 4)), 0).handle(
        req_ud2(0, fcb=True)
    )
    with pytest.raises(DecodeError):
        parse_frame(superimpose([(30, a), (77, b)]))


def test_replay_of_a_corpus_telegram():
    path = CORPUS / "test-frames" / "allmess_cf50.hex"
    source = ReplaySource.from_file(path)
    assert source.identity.identification == 2205100
    assert source.identity.manufacturer == "SLB"
    meter = SimulatedMeter(source, 7)
    answer = meter.handle(req_ud2(7, fcb=True))
    original = decode_frame(bytes.fromhex(path.read_text()))
    replayed = decode_frame(answer)
    assert replayed.records == original.records
    assert replayed.source_address == 7  # the link address is the simulated meter's
    assert meter.handle(select_secondary(SecondaryAddress("02205100"))) == bytes((ACK,))


def test_replay_rejects_bad_input(tmp_path):
    with pytest.raises(DecodeError, match="line 2"):
        ReplaySource.from_hex("# comment\nnot hex\n")
    with pytest.raises(DecodeError, match="at least one"):
        ReplaySource.from_hex("")
    missing = tmp_path / "missing.hex"
    with pytest.raises(DecodeError, match="cannot read"):
        ReplaySource.from_file(missing)


def test_replay_of_multi_telegram_sequence():
    first = user_data(
        IDENTITY, [RecordSpec(BCD8, b"\x06", 1)], access_number=1, more_records_follow=True
    )
    second = user_data(IDENTITY, [RecordSpec(BCD8, b"\x06", 2, storage=1)], access_number=2)
    text = f"72{first.hex()}\n72{second.hex()}\n"
    meter = SimulatedMeter(ReplaySource.from_hex(text), 0)
    meter.handle(snd_nke(0))
    one = decode_frame(meter.handle(req_ud2(0, fcb=True)))
    two = decode_frame(meter.handle(req_ud2(0, fcb=False)))
    assert one.more_records_follow
    assert two.records[0].storage == 1
    assert {r.quantity for r in one.records} == {Quantity.ENERGY}


def test_daily_load_shapes_the_day_and_the_truth_is_the_integral_of_the_state():
    """Night setback and a morning peak; ``true_*`` sums add up the state step by step."""
    clock = [0.0]
    wall = [dt.datetime(2026, 3, 2, 0, 0)]
    model = HeatMeterModel(
        IDENTITY,
        clock=lambda: clock[0],
        wall_clock=lambda: wall[0],
        seed=3,
        energy_kwh=1000.0,
        volume_m3=25.0,
        daily_load=True,
    )
    flows: dict[int, list[float]] = {}
    volume = flow_weighted = return_weighted = 0.0
    for minute in range(1, 24 * 60 + 1):
        # the state the model holds over the next minute is what the truth integrates
        step = model.volume_flow_m3h / 60
        volume += step
        flow_weighted += step * model.flow_temperature
        return_weighted += step * model.return_temperature
        flows.setdefault(wall[0].hour, []).append(model.volume_flow_m3h)
        clock[0] = minute * 60.0
        wall[0] = dt.datetime(2026, 3, 2) + dt.timedelta(minutes=minute)
        model.advance()
    assert model.true_volume_m3 == pytest.approx(volume, rel=1e-12)
    assert model.true_volume_flow_temperature == pytest.approx(flow_weighted, rel=1e-12)
    assert model.true_volume_return_temperature == pytest.approx(return_weighted, rel=1e-12)
    assert model.volume_m3 - 25.0 == pytest.approx(volume, rel=1e-12)
    # The load by hand: 03:00 is 0.3 + exp(-(4 / 1.5)^2) = 0.30082 (night base and the far
    # tail of the morning peak); 07:00 is 0.3 + 0.4 (day) + 1 (the peak) = 1.7.
    assert daily_load(dt.datetime(2026, 3, 2, 3)) == pytest.approx(0.30082, abs=1e-5)
    assert daily_load(dt.datetime(2026, 3, 2, 7)) == pytest.approx(1.7, abs=1e-6)
    night, morning = sum(flows[3]) / 60, sum(flows[7]) / 60
    assert morning > 4 * night  # the flow follows the load


def test_the_heat_coefficient_replaces_the_constant():
    clock = [0.0]
    model = HeatMeterModel(
        IDENTITY, clock=lambda: clock[0], seed=3, heat_coefficient=lambda f, r: 2.0
    )
    delta = model.flow_temperature - model.return_temperature
    assert model.power_kw == pytest.approx(model.volume_flow_m3h * delta * 2.0)


@pytest.mark.parametrize(
    ("fine", "energy", "unit", "volume"),
    [
        # 1234.5678 kWh and 30.123456 m3, truncated to the register's step (EN 13757-3 VIFs
        # 0x06: 1 kWh, 0x14: 0.01 m3; 0x03: 1 Wh, 0x12: 0.1 l = 10^-4 m3).
        (False, Decimal(1234000), "Wh", Decimal("30.12")),
        (True, Decimal(1234567), "Wh", Decimal("30.1234")),
    ],
)
def test_fine_registers_count_energy_in_wh_and_volume_in_tenths_of_a_litre(
    fine, energy, unit, volume
):
    """The demo's meter: fine enough for the heat-bill figures within minutes."""
    model = HeatMeterModel(
        IDENTITY,
        clock=lambda: 0.0,
        seed=3,
        energy_kwh=1234.5678,
        volume_m3=30.123456,
        fine_registers=fine,
    )
    payload = model.telegram(0, access_number=1)
    records = decode_user_data(payload.ci, payload.data).records
    by_quantity = {record.quantity: record for record in records if record.storage == 0}
    assert Decimal(by_quantity[Quantity.ENERGY].value) == energy
    assert by_quantity[Quantity.ENERGY].unit == unit
    assert Decimal(str(by_quantity[Quantity.VOLUME].value)) == volume
