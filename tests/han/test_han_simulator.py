"""The HAN simulator: real schedules, decodable lists, rising counters, encryption and faults."""

import asyncio
import itertools
import os
from datetime import datetime, timedelta

import pytest

from custom_components.mbus_han.protocol.errors import (
    AuthenticationTagError,
    DecodeError,
    EncryptionKeyRequiredError,
)
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys
from custom_components.mbus_han.protocol.han.decoder import (
    HanStreamDecoder,
    Transport,
    decode_message,
)
from custom_components.mbus_han.protocol.han.hdlc import parse_hdlc_frame
from custom_components.mbus_han.protocol.han.simulator import Faults, HanSimulator, Maker, Wiring
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer
from custom_components.mbus_han.protocol.simio import open_pty

START = datetime(2026, 11, 22, 13, 59, 40)
KEY = bytes.fromhex("000102030405060708090A0B0C0D0E0F")
AUTH = bytes.fromhex("D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF")


def _pushes(sim: HanSimulator, count: int):
    return list(itertools.islice(sim.pushes(), count))


@pytest.mark.parametrize(
    ("maker", "list1_interval", "hourly_second"),
    [(Maker.AIDON, 2.5, 10), (Maker.KAIFA, 2.0, 10), (Maker.KAMSTRUP, None, 5)],
)
def test_schedule_follows_the_meters(maker, list1_interval, hourly_second) -> None:
    pushes = _pushes(HanSimulator(maker, start=START, seed=1), 60)
    by_list = {n: [p.moment for p in pushes if p.list_number == n] for n in (1, 2, 3)}
    # list 2 every 10 s on the ten, list 3 once at XX:00:10 (Kamstrup XX:00:05)
    assert all(m.second % 10 == 0 and not m.microsecond for m in by_list[2])
    assert {b - a for a, b in itertools.pairwise(by_list[2])} <= {
        timedelta(seconds=10),
        timedelta(seconds=20),  # where list 3 took the slot
    }
    assert by_list[3] == [datetime(2026, 11, 22, 14, 0, hourly_second)]
    if list1_interval is None:
        assert by_list[1] == []  # Kamstrup has no list 1
    else:
        steps = {(b.moment - a.moment).total_seconds() for a, b in itertools.pairwise(pushes)}
        assert steps == {list1_interval}


@pytest.mark.parametrize("maker", list(Maker))
@pytest.mark.parametrize("wiring", list(Wiring))
def test_every_push_decodes_with_plausible_values(maker, wiring) -> None:
    sim = HanSimulator(maker, wiring, start=START, seed=3)
    for push in _pushes(sim, 40):
        reading = decode_message(push.data)
        values = {code.split(":")[1]: v.value for code, v in reading.values.items()}
        assert 20 <= values["1.7.0.255"] <= 12_000
        if push.list_number == 1:
            continue
        assert reading.meter.meter_type == sim.meter_type
        voltages = [v for code, v in values.items() if code in ("32.7.0.255", "72.7.0.255")]
        assert all(200 <= v <= 250 for v in voltages)
        currents = [
            v for code, v in values.items() if code.endswith("1.7.0.255") and code[0] != "1"
        ]
        assert all(0 <= v <= 40 for v in currents)
        phases = {code for code in values if code in ("51.7.0.255", "52.7.0.255")}
        if wiring is Wiring.ONE_PHASE:
            assert phases == set()
        if push.list_number == 3:
            assert reading.clock is not None
            assert values["1.8.0.255"] > 0


def test_it_variants_match_the_real_meters() -> None:
    aidon = [p for p in _pushes(HanSimulator(Maker.AIDON, Wiring.IT, seed=1), 8)]
    reading = decode_message(next(p for p in aidon if p.list_number == 2).data)
    assert "1-0:51.7.0.255" not in reading.values  # Aidon 6525 sends no IL2
    kaifa = _pushes(HanSimulator(Maker.KAIFA, Wiring.IT, seed=1), 8)
    reading = decode_message(next(p for p in kaifa if p.list_number == 2).data)
    assert reading.not_present == {"1-0:52.7.0.255"}  # UL2 sent as 0
    assert "1-0:51.7.0.255" in reading.values  # IL2 computed and sent


@pytest.mark.parametrize("maker", list(Maker))
def test_energy_counters_only_increase(maker) -> None:
    sim = HanSimulator(maker, start=START, seed=5)
    hourly = []
    for push in sim.pushes():
        if push.list_number == 3:
            hourly.append(decode_message(push.data))
        if len(hourly) == 3:
            break
    for earlier, later in itertools.pairwise(hourly):
        for code, value in earlier.values.items():
            if code.split(":")[1].split(".")[1] == "8":
                assert later.values[code].value >= value.value
        assert later.values[next(c for c in later.values if "1.8.0" in c)].value > 0


def test_encrypted_pushes_need_the_right_keys() -> None:
    keys = SecurityKeys(KEY, AUTH)
    sim = HanSimulator(Maker.KAIFA, keys=keys, seed=2)
    first, second = _pushes(sim, 2)
    reading = decode_message(first.data, keys)
    assert reading.security is not None
    assert reading.security.authenticated
    assert decode_message(second.data, keys).security.invocation_counter == 2
    with pytest.raises(EncryptionKeyRequiredError):
        decode_message(first.data)
    with pytest.raises(AuthenticationTagError):
        decode_message(first.data, SecurityKeys(KEY, bytes(16)))


def test_encrypted_mbus_transport_as_in_austria() -> None:
    keys = SecurityKeys(KEY)
    sim = HanSimulator(Maker.AIDON, keys=keys, transport=Transport.MBUS, start=START, seed=4)
    pushes = _pushes(sim, 20)
    hourly = next(p for p in pushes if p.list_number == 3)
    assert len(MbusFramer().feed(hourly.data)) == 2  # split over two long frames
    decoder = HanStreamDecoder(Transport.MBUS, keys)
    results = decoder.feed(b"".join(p.data for p in pushes))
    assert [r.meter.meter_id is None for r in results] == [p.list_number == 1 for p in pushes]


def test_faults_never_yield_a_reading_and_leave_intact_pushes_alone() -> None:
    faults = Faults(garbage=0.15, truncate=0.15, bad_crc=0.15, silence=0.1)
    sim = HanSimulator(Maker.AIDON, faults=faults, start=START, seed=11)
    pushes = _pushes(sim, 200)
    kinds = {p.fault for p in pushes}
    assert kinds == {None, "garbage", "truncate", "bad_crc", "silence"}
    decoder = HanStreamDecoder()
    results = []
    for push in pushes:
        results += decoder.feed(push.data)
        results += decoder.flush()  # the line is idle between pushes
    readings = [r for r in results if not isinstance(r, DecodeError)]
    intact = [p for p in pushes if p.fault in (None, "garbage")]
    assert len(readings) == len(intact)
    power = [r.values["1-0:1.7.0.255"].value for r in readings]
    assert power == [decode_message(p.clean).values["1-0:1.7.0.255"].value for p in intact]
    assert decoder.stats.bad_frames > 0


async def test_run_on_a_pty_at_a_scaled_pace() -> None:
    endpoint = await open_pty()
    fd = os.open(endpoint.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
    try:
        sim = HanSimulator(Maker.KAMSTRUP, start=START, seed=8)
        loop = asyncio.get_running_loop()
        started = loop.time()
        written = await sim.run(endpoint.writer, time_scale=0.002, count=4)
        elapsed = loop.time() - started
        assert written == 4
        # the 4th push is due 30 s of meter time after the start: 30 s x 0.002
        assert elapsed >= 30 * 0.002
        decoder = HanStreamDecoder()
        readings = []
        for _ in range(200):
            try:
                readings += decoder.feed(os.read(fd, 4096))
            except BlockingIOError:
                if len(readings) >= 4:
                    break
                await asyncio.sleep(0.01)
        assert [r.clock.second for r in readings] == [50, 0, 5, 10]
    finally:
        os.close(fd)
        await endpoint.close()


def test_ma309_layout_as_the_austrian_interface_descriptions() -> None:
    # Salzburg Netz / TINETZ: M-Bus long frames, AES-GCM without tag (security 0x20), a body
    # that opens with the clock code and the clock as loose elements, then one structure
    # {OBIS, value, {scaler, unit}} per value. Ground truth: the simulator's own physics.
    keys = SecurityKeys(KEY)
    sim = HanSimulator(Maker.KAIFA_MA309, keys=keys, transport=Transport.MBUS, start=START, seed=6)
    push = next(sim.pushes())
    plain = sim.apdu(3, push.moment)
    body = plain[plain.index(b"\x02", 18) :]  # after 0F, invoke id, 0C + date-time
    assert body[:12] == bytes.fromhex("02 10 09 06 0000010000FF 09 0C".replace(" ", ""))
    assert bytes.fromhex("02 03 09 06 0100200700FF 12") in body  # 1-0:32.7.0 structure
    assert push.data[0] == 0x68
    assert len(MbusFramer().feed(push.data)) == 2  # about 370 octets: two long frames
    reading = HanStreamDecoder(Transport.MBUS, keys).feed(push.data)[0]
    assert reading.security is not None
    assert not reading.security.authenticated  # no tag
    assert reading.meter.manufacturer == "Kaifa"  # KFM, from the logical device name
    assert reading.meter.meter_id == "1KFM0200234804"
    physics = sim.physics
    assert reading.values["1-0:32.7.0.255"].value == pytest.approx(physics.voltage[0], abs=0.05)
    assert reading.values["1-0:31.7.0.255"].value == pytest.approx(physics.current(0), abs=0.005)
    assert reading.values["1-0:1.7.0.255"].value == physics.active_import
    assert reading.values["1-0:1.8.0.255"].value == int(physics.energy_import_wh)
    assert reading.clock is not None
    assert reading.clock.isoformat == push.moment.isoformat()


@pytest.mark.parametrize("keys", [None, SecurityKeys(KEY, AUTH)])
def test_landis_gyr_pushes_descriptors_in_blocks_over_several_frames(keys) -> None:
    # Blue Book push setup: the capture-object list {class id, OBIS, attribute, data index}
    # first, then the values in that order; Green Book general-block-transfer: one block per
    # HDLC frame, only the first frame with the LLC header, the last block marked.
    sim = HanSimulator(Maker.LANDIS_GYR, keys=keys, start=START, seed=7)
    pushes = _pushes(sim, 3)
    assert [p.moment.second % 5 for p in pushes] == [0, 0, 0]
    assert {(b.moment - a.moment).total_seconds() for a, b in itertools.pairwise(pushes)} == {5}
    push = pushes[-1]
    infos, position = [], 0
    while position < len(push.data):  # frames by their 11-bit length field
        size = ((push.data[position + 1] & 0x07) << 8 | push.data[position + 2]) + 2
        infos.append(parse_hdlc_frame(push.data[position : position + size]).information)
        position += size
    assert len(infos) >= 3
    assert infos[0][:3] == bytes.fromhex("E6E700")
    blocks = [infos[0][3:], *infos[1:]]
    assert [block[0] for block in blocks] == [0xE0] * len(blocks)
    assert [int.from_bytes(block[2:4]) for block in blocks] == list(range(1, len(blocks) + 1))
    assert [block[1] & 0x80 for block in blocks] == [0] * (len(blocks) - 1) + [0x80]
    plain = sim.apdu(3, push.moment)
    assert bytes.fromhex("02 04 12 0003 09 06 0100010800FF 0F 03 12 0000".replace(" ", "")) in plain
    reading = HanStreamDecoder(Transport.HDLC, keys).feed(b"".join(p.data for p in pushes))[-1]
    assert reading.meter.manufacturer == "Landis+Gyr"
    assert reading.meter.meter_id == "LGZ1030653520967"
    if keys is not None:
        assert reading.security is not None
        assert reading.security.authenticated
    physics = sim.physics
    assert reading.values["1-0:72.7.0.255"].value == pytest.approx(physics.voltage[2], abs=0.05)
    assert reading.values["1-0:71.7.0.255"].value == pytest.approx(physics.current(2), abs=0.005)
    assert reading.values["1-0:4.8.0.255"].value == int(physics.reactive_export_varh)
