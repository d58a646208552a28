"""``python -m custom_components.mbus_han han decode``: JSON lines from hex, exit codes."""

import json

import pytest
from han_corpus import BY_NAME

from custom_components.mbus_han.protocol.cli import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, main
from custom_components.mbus_han.protocol.han.hdlc import encode_hdlc_frame


def _run(capsys, tmp_path, lines, *options):
    source = tmp_path / "frames.txt"
    source.write_text("\n".join(lines) + "\n")
    code = main(["han", "decode", str(source), *options])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_decode_prints_the_documented_schema(capsys, tmp_path) -> None:
    case = BY_NAME["kaifa_ma304h3e_list2_it"]
    code, objects = _run(capsys, tmp_path, ["# a comment", "", case["hex"]])
    assert code == EXIT_OK
    (obj,) = objects
    assert obj["meter"] == {
        "manufacturer": "Kaifa",
        "meter_id": case["expected"]["meter_id"],
        "meter_type": case["expected"]["meter_type"],
        "list_version": case["expected"]["list_version"],
    }
    assert obj["clock"] == case["expected"]["clock"]
    assert obj["values"]["1-0:31.7.0.255"] == {
        "value": case["expected"]["1-0:31.7.0.255"],
        "unit": "A",
        "quantity": "current",
    }
    assert obj["not_present"] == ["1-0:52.7.0.255"]


def test_rejected_frame_is_an_error_object_and_exit_1(capsys, tmp_path) -> None:
    good = BY_NAME["aidon_6525_list3_3wire_it_hdlc_built"]["hex"]
    bad = BY_NAME["aidon_6525_list3_3wire_it_hdlc_built_bad_fcs"]["hex"]
    code, objects = _run(capsys, tmp_path, [good, bad, "not hex"])
    assert code == EXIT_FAILURE
    assert "values" in objects[0]
    assert set(objects[1]) >= {"error"}
    assert "error" in objects[2]


def test_stream_chunk_with_junk_on_one_line(capsys, tmp_path) -> None:
    frame = BY_NAME["aidon_list1_raw_7d_inside"]["hex"]
    code, objects = _run(capsys, tmp_path, ["C3C3" + frame + "0000" + frame])
    assert code == EXIT_OK
    assert [obj["values"]["1-0:1.7.0.255"]["value"] for obj in objects] == [1661, 1661]


def test_encrypted_mbus_stream_with_key(capsys, tmp_path) -> None:
    case = BY_NAME["kaifa_netz_noe_mbus_two_frames"]
    half = len(case["hex"]) // 2
    lines = [case["hex"][:half], case["hex"][half:]]
    code, objects = _run(
        capsys, tmp_path, lines, "--stream", "--transport", "mbus", "--key", case["key_hex"]
    )
    assert code == EXIT_OK
    (obj,) = objects
    assert obj["meter"]["meter_id"] == case["expected"]["meter_id"]
    assert obj["values"]["1-0:32.7.0.255"]["value"] == case["expected"]["1-0:32.7.0.255"]
    assert obj["security"]["invocation_counter"] == case["invocation_counter"]


def test_wrong_auth_key_names_the_error(capsys, tmp_path) -> None:
    case = BY_NAME["gcm_authenticated_apdu_built_wrong_auth_key"]
    options = ("--key", case["key_hex"], "--auth-key", case["auth_key_hex"])
    code, objects = _run(capsys, tmp_path, [case["hex"]], *options)
    assert code == EXIT_FAILURE
    assert objects[0]["kind"] == "AuthenticationTagError"


def test_bad_key_is_a_usage_error(capsys, tmp_path) -> None:
    code, _ = _run(capsys, tmp_path, ["00"], "--key", "1234")
    assert code == EXIT_USAGE


@pytest.mark.parametrize(
    "extra", [["kamstrup"], ["ma309", "--transport", "mbus", "--key", "00" * 16], ["landisgyr"]]
)
def test_simulate_on_a_pty_prints_its_path(capsys, extra) -> None:
    code = main(["han", "simulate", *extra, "--count", "2", "--time-scale", "0"])
    assert code == EXIT_OK
    assert capsys.readouterr().out.startswith("/dev/")


def test_simulate_refuses_bad_options(capsys) -> None:
    assert main(["han", "simulate", "aidon", "--time-scale", "-1"]) == EXIT_USAGE
    assert main(["han", "simulate", "aidon", "--garbage", "0.8", "--silence", "0.5"]) == EXIT_USAGE
    assert main(["han", "simulate", "aidon", "--key", "00"]) == EXIT_USAGE


def test_a_push_with_no_known_value_is_an_error_with_its_hex(capsys, tmp_path) -> None:
    # Well-formed, but its only element (0-0:96.14.0.255, the tariff) means nothing here.
    apdu = "0F00000001000201020209060000600E00FF1102"
    frame = encode_hdlc_frame(bytes.fromhex("E6E700" + apdu)).hex().upper()
    for line, options in ((apdu, ()), (frame, ("--stream",))):
        code, objects = _run(capsys, tmp_path, [line], *options)
        assert code == EXIT_FAILURE
        (obj,) = objects
        assert obj["kind"] == "NoKnownValuesError"
        assert "no value this integration knows" in obj["error"]
        assert apdu in obj["hex"]
