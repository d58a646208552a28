"""The cases we built ourselves (``tests/fixtures/han/built.json``), checked by other means.

They stand in for frames we may not ship (see ``tests/fixtures/han/README.md``). Independent
checks: the builder reproduces the file exactly (its CRC is the standard library's crc_hqx,
checked against the CRC-16/X.25 catalogue value, and amshan reads every built frame); the
ciphered case is re-encrypted through ``cryptography``'s high-level AESGCM, not the project's
decipher path; and two of its values are decoded by hand from the A-XDR bytes (Blue Book
data types: 0x10 long, 0x12 long-unsigned; scaler -1; units 33 = A, 35 = V).
And where ``../shared/corpus/han`` sits beside the repository, the cases we do not ship are
checked too; without it those tests skip.
"""

import contextlib
import importlib.util
import json

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from han_corpus import (
    BY_NAME,
    HAN_CORPUS,
    SHARED_ONLY_CASES,
    expected_values,
    is_value_case,
    raw,
)

from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.han.apdu import parse_ciphered
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys
from custom_components.mbus_han.protocol.han.decoder import decode_message

GCM = BY_NAME["gcm_authenticated_apdu_built"]
TAG_LENGTH = 12


def _builder():
    spec = importlib.util.spec_from_file_location(
        "build_own_cases", HAN_CORPUS / "build_own_cases.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_builder_reproduces_the_fixture_file() -> None:
    pytest.importorskip("han.autodecoder", reason="amshan (development dependency) not installed")
    built = _builder().build()
    assert built == json.loads((HAN_CORPUS / "built.json").read_text())


def test_ciphertext_and_tag_match_an_independent_aes_gcm() -> None:
    ciphered = parse_ciphered(raw(GCM))
    key = bytes.fromhex(GCM["key_hex"])
    auth_key = bytes.fromhex(GCM["auth_key_hex"])
    plaintext = bytes.fromhex(GCM["decrypted_apdu_hex"])
    iv = bytes.fromhex(GCM["system_title_hex"]) + GCM["invocation_counter"].to_bytes(4)
    sealed = AESGCM(key).encrypt(iv, plaintext, bytes([0x30]) + auth_key)
    ciphertext, full_tag = sealed[: len(plaintext)], sealed[len(plaintext) :]
    assert ciphered.content == ciphertext + full_tag[:TAG_LENGTH]


def test_hand_decoded_values_of_the_ciphered_case() -> None:
    plaintext = bytes.fromhex(GCM["decrypted_apdu_hex"])
    # {1-0:31.7.0.255, long 13, scaler -1, A} and {1-0:32.7.0.255, long-unsigned 2274, -1, V}
    assert bytes.fromhex("0906 01001F0700FF 10 000D 0202 0F FF 16 21") in plaintext
    assert bytes.fromhex("0906 0100200700FF 12 08E2 0202 0F FF 16 23") in plaintext
    keys = SecurityKeys.from_hex(GCM["key_hex"], GCM["auth_key_hex"])
    reading = decode_message(raw(GCM), keys)
    assert reading.values["1-0:31.7.0.255"].value == pytest.approx(1.3)
    assert reading.values["1-0:32.7.0.255"].value == pytest.approx(227.4)


def test_built_hdlc_frames_carry_their_source_payload() -> None:
    for case in BY_NAME.values():
        if case["name"].endswith("_hdlc_built"):
            source = BY_NAME[case["derived_from"]]
            assert source["hex"] in case["hex"]
            assert case["expected"] == source["expected"]


@pytest.mark.skipif(not SHARED_ONLY_CASES, reason="../shared/corpus/han not beside the repository")
@pytest.mark.parametrize("case", SHARED_ONLY_CASES, ids=[c["name"] for c in SHARED_ONLY_CASES])
def test_cases_we_do_not_ship(case) -> None:
    keys = SecurityKeys.from_hex(case.get("key_hex"), case.get("auth_key_hex"))
    if case.get("must_reject"):
        with pytest.raises(DecodeError):
            decode_message(raw(case), keys)
    elif is_value_case(case):
        reading = decode_message(raw(case), keys)
        for code, value in expected_values(case).items():
            assert reading.values[code].value == pytest.approx(value, rel=1e-12, abs=1e-12)
    else:  # "either" (accepting or refusing are both right) or a payload without values
        with contextlib.suppress(DecodeError):
            decode_message(raw(case), keys)
