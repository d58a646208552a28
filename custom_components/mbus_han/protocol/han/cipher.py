"""AES-128-GCM as DLMS security suite 0/1 uses it (Green Book 9.2.7): decrypt and verify.

IV = system title (8) + invocation counter (4). The security control byte says what was applied:
0x20 encryption (content is ciphertext, no tag: GCM used as a stream cipher, i.e. AES-CTR from
counter 2), 0x10 authentication (plaintext + 12-byte tag), 0x30 both. The additional
authenticated data is the security control byte followed by the authentication key (and the
plaintext when only authenticated). Without an authentication key the tag cannot be checked
and is skipped; with one, a mismatch is an :class:`AuthenticationTagError`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..errors import AuthenticationTagError, DecryptionError, EncryptionKeyRequiredError
from .apdu import CipheredApdu

KEY_LENGTH = 16
TAG_LENGTH = 12
SC_AUTHENTICATED = 0x10
SC_ENCRYPTED = 0x20
SC_COMPRESSED = 0x80
SC_SUITE_MASK = 0x0F
_AES_GCM_128_SUITES = (0, 1)
_FIRST_DATA_COUNTER = (2).to_bytes(4)  # GCM: counter 1 encrypts the tag, data starts at 2


@dataclass(frozen=True, slots=True)
class SecurityKeys:
    """The user's keys: encryption (GUEK) and, optionally, authentication (GAK), 16 bytes each."""

    encryption_key: bytes | None = None
    authentication_key: bytes | None = None

    def __post_init__(self) -> None:
        for name in ("encryption_key", "authentication_key"):
            key = getattr(self, name)
            if key is not None and len(key) != KEY_LENGTH:
                raise ValueError(f"{name} must be {KEY_LENGTH} bytes, got {len(key)}")

    def __repr__(self) -> str:
        # Keys end up in logs and tracebacks through reprs: say only which ones are set.
        def state(key: bytes | None) -> str:
            return "<set>" if key is not None else "None"

        return (
            f"SecurityKeys(encryption_key={state(self.encryption_key)}, "
            f"authentication_key={state(self.authentication_key)})"
        )

    @classmethod
    def from_hex(cls, encryption: str | None, authentication: str | None = None) -> SecurityKeys:
        """Keys from hex text as users paste them (spaces and colons allowed).

        Error messages name the key and what is wrong with it, never its text.
        """

        def parse(name: str, text: str | None) -> bytes | None:
            if not text:
                return None
            cleaned = text.replace(" ", "").replace(":", "")
            try:
                key = bytes.fromhex(cleaned)
            except ValueError:
                raise ValueError(f"{name} is not hexadecimal") from None
            if len(key) != KEY_LENGTH:
                raise ValueError(
                    f"{name} has {len(key)} bytes, not {KEY_LENGTH} ({2 * KEY_LENGTH} hex digits)"
                )
            return key

        return cls(parse("encryption key", encryption), parse("authentication key", authentication))


def decipher(apdu: CipheredApdu, keys: SecurityKeys) -> bytes:
    """Return the plaintext APDU inside ``apdu``; raise a :class:`DecryptionError` subclass."""
    control = apdu.security_control
    if control & SC_COMPRESSED:
        raise DecryptionError("compressed ciphered APDUs are not supported")
    if control & SC_SUITE_MASK not in _AES_GCM_128_SUITES:
        raise DecryptionError(f"security suite {control & SC_SUITE_MASK} is not AES-GCM-128")
    encrypted = bool(control & SC_ENCRYPTED)
    authenticated = bool(control & SC_AUTHENTICATED)
    content = apdu.content
    tag = b""
    if authenticated:
        if len(content) < TAG_LENGTH:
            raise DecryptionError("authenticated APDU shorter than its tag")
        content, tag = content[:-TAG_LENGTH], content[-TAG_LENGTH:]
    if not encrypted and not (authenticated and keys.authentication_key):
        return content
    key = keys.encryption_key
    if key is None:
        raise EncryptionKeyRequiredError(
            "the meter encrypts its data (security control "
            f"0x{control:02X}); an encryption key is needed"
        )
    iv = apdu.system_title + apdu.invocation_counter.to_bytes(4)
    if authenticated and keys.authentication_key:
        header = bytes((control,)) + keys.authentication_key
        decryptor = Cipher(
            algorithms.AES(key), modes.GCM(iv, tag, min_tag_length=TAG_LENGTH)
        ).decryptor()
        if encrypted:
            decryptor.authenticate_additional_data(header)
            plaintext = decryptor.update(content)
        else:
            decryptor.authenticate_additional_data(header + content)
            plaintext = content
        try:
            decryptor.finalize()
        except InvalidTag:
            raise AuthenticationTagError(
                "authentication tag mismatch: wrong authentication or encryption key, "
                "or altered data"
            ) from None
        return plaintext
    counter = Cipher(algorithms.AES(key), modes.CTR(iv + _FIRST_DATA_COUNTER)).decryptor()
    return counter.update(content) + counter.finalize()
