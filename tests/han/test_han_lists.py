"""Scaling rules that the corpus frames alone do not reach: variants, unknown lists, bad units.

Inputs are corpus frames with one field changed; expected values come from the corpus and the
README's rules (Swedish Kamstrup counts Wh where Norwegian units count 10 Wh).
"""

import pytest
from han_corpus import BY_NAME, expected_values, raw

from custom_components.mbus_han.protocol.errors import DecodeError, NoKnownValuesError
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
