"""Every case of the vendored HAN corpus: values, units, identities, clocks, and every rejection."""

import pytest
from han_corpus import (
    BY_NAME,
    CASES,
    IDENTITY_KEYS,
    expected_values,
    is_value_case,
    raw,
    unit_of,
)

from custom_components.mbus_han.protocol.errors import (
    AuthenticationTagError,
    DecodeError,
    EncryptionKeyRequiredError,
)
from custom_components.mbus_han.protocol.han.apdu import parse_ciphered
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys, decipher
from custom_components.mbus_han.protocol.han.decoder import (
    HanStreamDecoder,
    Transport,
    decode_message,
)
from custom_components.mbus_han.protocol.han.hdlc import HdlcFramer
from custom_components.mbus_han.protocol.mbus.framer import MbusFramer


def _ids(cases):
    return [case["name"] for case in cases]


def _keys(case) -> SecurityKeys:
    return SecurityKeys.from_hex(case.get("key_hex"), case.get("auth_key_hex"))


VALUE_CASES = [case for case in CASES if is_value_case(case)]
REJECT_CASES = [case for case in CASES if case.get("must_reject")]
FRAMING_CASES = [case for case in CASES if case.get("framing_only")]
EITHER_CASES = [case for case in CASES if case.get("either")]
CIPHERED_CASES = [case for case in CASES if "decrypted_apdu_hex" in case]


def test_corpus_is_complete() -> None:
    # The counts of tests/fixtures/han/README.md: 51 cases, 24 decode to 302 values, 5 are
    # framing-only, 22 refused (18 that must be, 4 where refusing is one of two right answers).
    assert len(CASES) == 51
    assert len(VALUE_CASES) == 24
    assert sum(len(case["expected"]) for case in VALUE_CASES) == 302
    assert len(FRAMING_CASES) == 5
    assert (len(REJECT_CASES), len(EITHER_CASES)) == (18, 4)


@pytest.mark.parametrize("case", VALUE_CASES, ids=_ids(VALUE_CASES))
def test_values_units_and_identity(case) -> None:
    reading = decode_message(raw(case), _keys(case))
    expected = case["expected"]

    for key in IDENTITY_KEYS:
        assert getattr(reading.meter, key) == expected.get(key, getattr(reading.meter, key))
    if "clock" in expected:
        assert reading.clock is not None
        assert reading.clock.isoformat == expected["clock"]

    values = expected_values(case)
    for code, value in values.items():
        assert code in reading.values, f"{code} missing"
        got = reading.values[code]
        assert got.value == pytest.approx(value, rel=1e-12, abs=1e-12), code
        assert got.unit.value == unit_of(code), code

    # Nothing invented: every reported value is confirmed, or one of the zero voltages the
    # README allows to be reported as 0 or as not present.
    zero = case.get("zero_voltages", {})
    assert set(reading.values) <= set(values) | set(zero)
    for code in zero:
        assert code in reading.not_present or reading.values[code].value == 0
        assert not (code in reading.not_present and code in reading.values)


@pytest.mark.parametrize(
    "case", [c for c in VALUE_CASES if "clock_raw" in c], ids=lambda c: c["name"]
)
def test_clock_deviation_and_status_as_sent(case) -> None:
    reading = decode_message(raw(case), _keys(case))
    clock_raw = case["clock_raw"]
    clock = reading.clock if clock_raw["from"] == "body" else reading.notification_time
    assert clock is not None
    assert clock.deviation_min == clock_raw["deviation_min"]
    assert clock.status == int(clock_raw["status"], 16)
    if "notification_datetime" in case:
        assert reading.notification_time is not None
        assert reading.notification_time.isoformat == case["notification_datetime"]


def test_kaifa_3wire_ul2_is_not_present_but_4wire_voltages_are() -> None:
    it_meter = decode_message(raw(BY_NAME["kaifa_ma304h3e_list2_it"]))
    assert "1-0:52.7.0.255" in it_meter.not_present
    assert "1-0:52.7.0.255" not in it_meter.values
    four_wire = decode_message(raw(BY_NAME["kaifa_ma304h4_se"]))
    assert four_wire.not_present == frozenset()
    assert four_wire.values["1-0:52.7.0.255"].value == pytest.approx(230.0)


def test_aidon_3wire_sends_no_il2_and_none_is_invented() -> None:
    reading = decode_message(raw(BY_NAME["aidon_6525_list2_3wire_it"]))
    assert "1-0:51.7.0.255" not in reading.values


@pytest.mark.parametrize("case", REJECT_CASES, ids=_ids(REJECT_CASES))
def test_must_reject(case) -> None:
    with pytest.raises(DecodeError):
        decode_message(raw(case), _keys(case))
    # Read as a stream as well: no reading may come out of it.
    transport = Transport.MBUS if case["transport"] == "mbus" else Transport.HDLC
    stream = HanStreamDecoder(transport, _keys(case))
    results = stream.feed(raw(case))
    assert not [r for r in results if not isinstance(r, DecodeError)]


@pytest.mark.parametrize(
    "case",
    [c for c in REJECT_CASES if c["transport"] == "hdlc"],
    ids=lambda c: c["name"],
)
def test_broken_hdlc_frames_never_reach_the_decoder(case) -> None:
    framer = HdlcFramer()
    assert framer.feed(raw(case) + b"\x7e") == []


def test_wrong_tag_and_wrong_key_are_specific_errors() -> None:
    for name in (
        "gcm_authenticated_apdu_built_bad_tag",
        "gcm_authenticated_apdu_built_wrong_auth_key",
    ):
        case = BY_NAME[name]
        with pytest.raises(AuthenticationTagError):
            decode_message(raw(case), _keys(case))
    with pytest.raises(EncryptionKeyRequiredError):
        decode_message(raw(BY_NAME["kaifa_netz_noe_mbus_two_frames"]))


@pytest.mark.parametrize("case", FRAMING_CASES, ids=_ids(FRAMING_CASES))
def test_framing_only_cases(case) -> None:
    framer = HdlcFramer()
    frames = framer.feed(raw(case))
    info = case["info_hex"] if isinstance(case["info_hex"], list) else [case["info_hex"]]
    assert [frame.information.hex().upper() for frame in frames] == info
    assert framer.stats.bad_frames == 0
    # Not DLMS: a full decoder reports an error, and never values.
    if not case.get("stream"):
        with pytest.raises(DecodeError):
            decode_message(raw(case))


@pytest.mark.parametrize("case", EITHER_CASES, ids=_ids(EITHER_CASES))
def test_either_cases_accepted_with_the_same_values_or_refused(case) -> None:
    intact = [
        other
        for other in VALUE_CASES
        if other["transport"] == "hdlc" and other["hex"][2:] == case["hex"][2:]
    ]
    try:
        reading = decode_message(raw(case))
    except DecodeError:
        return
    assert intact, "accepted a frame that has no intact twin to compare with"
    assert {k: v.value for k, v in reading.values.items()} == pytest.approx(
        expected_values(intact[0])
    )


@pytest.mark.parametrize("case", CIPHERED_CASES, ids=_ids(CIPHERED_CASES))
def test_security_header_and_plaintext(case) -> None:
    data = raw(case)
    if case["transport"] == "mbus":
        from custom_components.mbus_han.protocol.han.mbus_transport import apdu_from_mbus

        data = apdu_from_mbus(data)
    ciphered = parse_ciphered(data)
    assert ciphered.system_title.hex().upper() == case["system_title_hex"]
    assert ciphered.invocation_counter == case["invocation_counter"]
    assert ciphered.security_control == int(case["security_control"], 16)
    assert decipher(ciphered, _keys(case)).hex().upper() == case["decrypted_apdu_hex"]


def test_gcm_vector_without_auth_key_still_decrypts() -> None:
    # Without the authentication key the tag cannot be checked: decrypt, mark unauthenticated.
    case = BY_NAME["gcm_authenticated_apdu_built"]
    ciphered = parse_ciphered(raw(case))
    keys = SecurityKeys.from_hex(case["key_hex"])
    assert decipher(ciphered, keys).hex().upper() == case["decrypted_apdu_hex"]


def test_frame_counts() -> None:
    for case in CASES:
        if "hdlc_frames" in case:
            assert len(HdlcFramer().feed(raw(case))) == case["hdlc_frames"]
        if "mbus_frames" in case:
            assert len(MbusFramer().feed(raw(case))) == case["mbus_frames"]
