"""Scaling rules that the corpus frames alone do not reach: variants, unknown lists, bad units.

Inputs are corpus frames with one field changed; expected values come from the corpus and the
README's rules (Swedish Kamstrup counts Wh where Norwegian units count 10 Wh).
"""

from datetime import datetime

import pytest
from han_corpus import BY_NAME, expected_values, raw

from custom_components.mbus_han.protocol.errors import DecodeError, NoKnownValuesError
from custom_components.mbus_han.protocol.han import encode as e
from custom_components.mbus_han.protocol.han.decoder import decode_llc, decode_message
from custom_components.mbus_han.protocol.han.hdlc import parse_hdlc_frame

KAMSTRUP_HOURLY = "kamstrup_6861111_list3_1phase_nullpad_hdlc_built"
NORWEGIAN_TYPE = b"6861111BN242101040"
SWEDISH_TYPE = b"6841138BN245101090"  # the Swedish unit of kamstrup_6841138_se_list2
ENERGIES = ("1-1:1.8.0.255", "1-1:2.8.0.255", "1-1:3.8.0.255", "1-1:4.8.0.255")


def _kamstrup_hourly_payload() -> bytes:
    return parse_hdlc_frame(raw(BY_NAME[KAMSTRUP_HOURLY])).information


def test_swedish_kamstrup_energy_is_counted_in_wh() -> None:
    payload = _kamstrup_hourly_payload()
    assert payload.count(NORWEGIAN_TYPE) == 1
    swedish = decode_llc(payload.replace(NORWEGIAN_TYPE, SWEDISH_TYPE))
    norwegian = expected_values(BY_NAME[KAMSTRUP_HOURLY])
    for code in ENERGIES:
        # The same raw count: 10 Wh steps in Norway, Wh in Sweden.
        assert swedish.values[code].value == pytest.approx(norwegian[code] / 10)
    # Powers, currents and voltages scale the same in both countries.
    for code in ("1-1:1.7.0.255", "1-1:31.7.0.255", "1-1:32.7.0.255"):
        assert swedish.values[code].value == pytest.approx(norwegian[code])


def test_unknown_list_version_is_an_error_not_an_empty_reading() -> None:
    payload = _kamstrup_hourly_payload()
    renamed = payload.replace(b"Kamstrup_V0001", b"Kamstrup_V0009")
    # No table for this list: the bare numbers have no known scaling, none is guessed, and a
    # push without any value is an error that says why (never a silent empty success).
    with pytest.raises(NoKnownValuesError, match=r"1-1:1\.7\.0\.255 \(the list gives no scal"):
        decode_llc(renamed)


def test_scaler_unit_that_contradicts_the_code_is_refused() -> None:
    # Aidon list 1: 1-0:1.7.0.255 with unit 27 (W). Change the unit to 35 (V).
    payload = bytes.fromhex(BY_NAME["aidon_list1_no"]["hex"])
    assert payload.endswith(bytes.fromhex("02020F00161B"))
    # That was list 1's only value: the push is refused as a whole, and says why.
    with pytest.raises(NoKnownValuesError, match=r"1-0:1\.7\.0\.255 \(unit 35 does not fit"):
        decode_llc(payload[:-1] + bytes((35,)))


def test_kaifa_positional_list_of_unknown_length_is_refused() -> None:
    payload = bytes.fromhex(BY_NAME["kaifa_ma304h3e_list2_it"]["hex"])
    index = payload.index(bytes.fromhex("020D09074B464D"))
    shorter = payload[:index] + b"\x02\x0c" + payload[index + 2 : -5]
    with pytest.raises(DecodeError, match="12 elements"):
        decode_llc(shorter)


def test_invalid_clock_is_absent_but_values_stay() -> None:
    case = BY_NAME["aidon_6525_list3_3wire_it_hdlc_built"]
    frame_info = parse_hdlc_frame(raw(case)).information
    clock = bytes.fromhex(case["clock_raw"]["hex"])
    assert frame_info.count(clock) == 1
    broken = frame_info.replace(clock, clock[:2] + b"\x0d" + clock[3:])  # month 13
    reading = decode_llc(broken)
    assert reading.clock is None
    assert reading.values["1-0:1.8.0.255"].value == case["expected"]["1-0:1.8.0.255"]


def test_bare_apdu_and_llc_payload_agree() -> None:
    payload = bytes.fromhex(BY_NAME["aidon_6525_list2_3wire_it"]["hex"])
    assert decode_message(payload) == decode_message(payload[3:])


def test_fill_flags_around_a_frame_are_accepted() -> None:
    case = BY_NAME["aidon_list1_raw_7d_inside"]
    reading = decode_message(b"\x7e\x7e" + raw(case) + b"\x7e\x7e")
    assert reading.values["1-0:1.7.0.255"].value == case["expected"]["1-0:1.7.0.255"]


def test_non_finite_float_is_left_out() -> None:
    # Aidon list 1 with the power sent as float32 NaN (tag 23) instead of 06 00000118.
    payload = bytes.fromhex(BY_NAME["aidon_list1_no"]["hex"])
    assert payload.count(bytes.fromhex("0600000118")) == 1
    # List 1 holds nothing else, so the push has no value left: an error, not an empty reading.
    with pytest.raises(NoKnownValuesError, match="not a finite number"):
        decode_llc(payload.replace(bytes.fromhex("0600000118"), bytes.fromhex("177FC00000")))


def _danish_kamstrup_push(energies: tuple[int, int, int, int]) -> bytes:
    """Kamstrup's Danish 10-second push, built from its published description.

    Content and order: amsreader-firmware's wiki page "Meter behaviour" (Denmark: list
    version, the four energy totals, meter ID 1, four powers, the clock, voltages, currents,
    phase powers, power factors, phase export powers, phase energies); encoding as in the
    Danish capture in amsreader-firmware issue #216 (a structure of 65 elements: the list
    version unnamed, then 32 OBIS/value pairs with B = 1; totals and the meter number as
    double-long-unsigned, voltages and power factors as long-unsigned). It names no meter
    type. The numbers are ours.
    """
    clock = e.date_time(datetime(2022, 2, 1, 9, 17, 20))
    a_plus, a_minus, r_plus, r_minus = energies
    pairs = [
        ("1-1:1.8.0.255", e.u32(a_plus)),
        ("1-1:2.8.0.255", e.u32(a_minus)),
        ("1-1:3.8.0.255", e.u32(r_plus)),
        ("1-1:4.8.0.255", e.u32(r_minus)),
        ("1-1:0.0.1.255", e.u32(26733640)),
        ("1-1:1.7.0.255", e.u32(373)),
        ("1-1:2.7.0.255", e.u32(0)),
        ("1-1:3.7.0.255", e.u32(12)),
        ("1-1:4.7.0.255", e.u32(100)),
        ("0-1:1.0.0.255", e.octets(clock)),
        *((f"1-1:{c}.7.0.255", e.u16(v)) for c, v in ((32, 233), (52, 232), (72, 234))),
        *((f"1-1:{c}.7.0.255", e.u32(v)) for c, v in ((31, 174), (51, 60), (71, 40))),
        *((f"1-1:{c}.7.0.255", e.u32(v)) for c, v in ((21, 300), (41, 50), (61, 23))),
        *((f"1-1:{c}.7.0.255", e.u16(v)) for c, v in ((33, 74), (53, 36), (73, 25), (13, 50))),
        *((f"1-1:{c}.7.0.255", e.u32(0)) for c in (22, 42, 62)),
        *((f"1-1:{c}.8.0.255", e.u32(v)) for c, v in ((22, 1), (42, 2), (62, 3))),
        *((f"1-1:{c}.8.0.255", e.u32(v)) for c, v in ((21, 4), (41, 5), (61, 6))),
    ]
    assert len(pairs) == 32  # 1 + 2 x 32 = 65 elements, as in the capture
    items = [e.visible("Kamstrup_V0001")]
    for code, value in pairs:
        items += [e.obis(code), value]
    return e.llc(e.data_notification(e.structure(*items), clock, "length"))


def test_danish_kamstrup_energy_is_counted_in_10_wh() -> None:
    """Danish Kamstrup (OMNIPOWER, Radius and other grid companies): raw x 10 Wh.

    Evidence (no Kamstrup or Energinet document with the scaling is public): the decoders
    written for Danish meters multiply the totals by 10 to get Wh (Asbjoern's
    Kamstrup-Radius-Interface, mbusparser.cpp: ``activeImportWh = ... * 10``; the ESPHome
    and ESP8266 projects of Danish users built on it), as amsreader-firmware does for every
    Kamstrup (IEC6205675.cpp: ``activeImportCounter *= 10``): its maintainers have "quite a
    number" of readers in Denmark and Norway, and the 10x reports on energy come from Sweden
    (#239, #421, #874). The one Danish-sourced program that divides by 1000 instead, the
    proof-of-concept script of Kamstrup-Radius-Interface, is not what that project's
    firmware does: the firmware uses the parser above. The Danish list names no meter type,
    so the Swedish Wh variant (type ``...09x``) cannot apply to it.
    """
    reading = decode_llc(_danish_kamstrup_push((1234567, 2345, 34567, 45678)))
    assert reading.meter.manufacturer == "Kamstrup"
    assert reading.meter.meter_type is None
    # 1-1:0.0.1.255 (an integer) is not taken as the meter id: Danish meters have had devices
    # named after their config entry (as Swedish Aidon's) since 0.1, and must keep them.
    assert reading.meter.meter_id is None
    expected = {
        "1-1:1.8.0.255": 12345670,  # 1234567 x 10 Wh = 12 345.67 kWh
        "1-1:2.8.0.255": 23450,
        "1-1:3.8.0.255": 345670,
        "1-1:4.8.0.255": 456780,
    }
    for code, wh in expected.items():
        assert reading.values[code].value == wh
    assert reading.values["1-1:1.8.0.255"].unit.value == "Wh"
    # Powers in W, currents in 0.01 A, voltages in V as in Norway (the same decoders).
    assert reading.values["1-1:1.7.0.255"].value == 373
    assert reading.values["1-1:31.7.0.255"].value == pytest.approx(1.74)
    assert reading.values["1-1:32.7.0.255"].value == 233
    # Power factors and per-phase energies have no published scaling: left out, not guessed.
    assert "1-1:33.7.0.255" not in reading.values
    assert "1-1:21.8.0.255" not in reading.values
