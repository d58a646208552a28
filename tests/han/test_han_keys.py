"""Key material never shows in reprs or error texts (they end up in logs and tracebacks)."""

import pytest

from custom_components.mbus_han.protocol.han.cipher import SecurityKeys

GUEK = "000102030405060708090A0B0C0D0E0F"
GAK = "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEDF"


def test_repr_says_which_keys_are_set_but_not_what_they_are() -> None:
    keys = SecurityKeys.from_hex(GUEK, GAK)
    text = repr(keys) + str(keys) + f"{keys!r}"
    assert "<set>" in text
    for secret in (GUEK, GAK):
        for fragment in (secret.lower(), secret, bytes.fromhex(secret).hex()):
            assert fragment[:8].lower() not in text.lower()
    assert "\\x0" not in text  # no bytes repr either
    assert repr(SecurityKeys()) == "SecurityKeys(encryption_key=None, authentication_key=None)"


@pytest.mark.parametrize(
    ("encryption", "authentication", "what"),
    [
        ("00010203040506070809QQ0B0C0D0E0F", None, "encryption key is not hexadecimal"),
        (GUEK, "D0D1D2D3D4D5D6D7D8D9DADBDCDDDEZZ", "authentication key is not hexadecimal"),
        (GUEK[:-2], None, "encryption key has 15 bytes"),
        (GUEK, GAK + "E0", "authentication key has 17 bytes"),
    ],
)
def test_errors_name_the_key_not_its_text(encryption, authentication, what) -> None:
    with pytest.raises(ValueError, match=what) as caught:
        SecurityKeys.from_hex(encryption, authentication)
    message = str(caught.value)
    for text in (encryption, authentication):
        if text:
            assert text[:6].lower() not in message.lower()
