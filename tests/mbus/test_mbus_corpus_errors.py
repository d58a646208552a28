"""Error-frames are rejected or give their application error; unsupported-frames decisions."""

import pytest
from mbus_corpus import ERROR_FRAMES, UNSUPPORTED_FRAMES, read_hex

from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.mbus.model import ApplicationError
from custom_components.mbus_han.protocol.mbus.telegram import decode_telegram_bytes

# CI 0x70 frames: 68 04 04 68 08 01 70 <code> CS 16, code byte read by hand from each file.
APPLICATION_ERRORS = {
    "application_busy": 8,
    "buffer_too_long": 2,
    "error": None,  # 68 03 03 68 08 01 70 79 16: no code byte
    "premature_end_of_record": 4,
    "too_many_difes": 5,
    "too_many_readouts": 9,
    "too_many_records": 3,
    "too_many_vifes": 6,
    "unimplemented_ci": 1,
    "unspecified_error": 0,
}
REJECTED = sorted(p.stem for p in ERROR_FRAMES.glob("*.hex") if p.stem not in APPLICATION_ERRORS)


def test_every_error_file_is_covered():
    names = {p.stem for p in ERROR_FRAMES.glob("*.hex")}
    assert names == set(APPLICATION_ERRORS) | set(REJECTED)
    assert len(REJECTED) >= 10


@pytest.mark.parametrize(("name", "code"), sorted(APPLICATION_ERRORS.items()))
def test_application_errors(name, code):
    result = decode_telegram_bytes(read_hex(ERROR_FRAMES / f"{name}.hex"))
    assert isinstance(result, ApplicationError)
    assert result.code == code
    assert result.source_address == 1
    assert result.reason


@pytest.mark.parametrize("name", REJECTED)
def test_malformed_telegrams_are_rejected(name):
    with pytest.raises(DecodeError) as excinfo:
        decode_telegram_bytes(read_hex(ERROR_FRAMES / f"{name}.hex"))
    message = str(excinfo.value)
    assert len(message) > 15, message


def test_unsupported_invalid_length():
    for name in ("invalid_length", "invalid_length2"):
        with pytest.raises(DecodeError):
            decode_telegram_bytes(read_hex(UNSUPPORTED_FRAMES / f"{name}.hex"))


def test_unsupported_manual_frame1_is_not_hex():
    # Decision: this file is not valid hex text; it is rejected before decoding.
    text = (UNSUPPORTED_FRAMES / "manual_frame1.hex").read_text()
    with pytest.raises(ValueError, match="non-hexadecimal"):
        bytes.fromhex(text)
