"""Secrets in port URLs never leave the entry data: titles, logs, repairs show them redacted.

ESPHome serial proxies take their API key in the URL (``esphome://host/?port_name=...&key=...``),
and serialx treats the ``key``, ``password`` and ``noise_psk`` query parameters as secrets.
The raw URL is needed only to open the port; everything shown to a user or written to a log
uses :func:`shown_port`, and error texts (which the transport writes with the URL in them)
pass through :func:`redact_text`.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_plus, urlencode

from serialx.common import SECRET_URI_PARAMS, redact_uri

from .const import KIND_HAN


def shown_port(port: str) -> str:
    """The port as shown to people: secret values replaced, everything else as typed."""
    return redact_uri(port)


def _split_query(port: str) -> tuple[str, str, str]:
    rest, hash_sign, fragment = port.partition("#")
    base, _, query = rest.partition("?")
    return base, query, hash_sign + fragment


def port_secrets(port: str) -> list[str]:
    """The secret values in ``port``'s query, as typed and decoded, longest first."""
    _, query, _ = _split_query(port)
    found: set[str] = set()
    for pair in query.split("&") if query else ():
        name, _, value = pair.partition("=")
        if unquote_plus(name).strip() in SECRET_URI_PARAMS and value:
            found |= {value, unquote_plus(value)}
    return sorted(found, key=len, reverse=True)


def port_unique_id(port: str) -> str:
    """The port's config-entry unique id: its URL without the secrets.

    Stable when only a key changes (it is still the same port), and safe to store where
    unique ids end up (diagnostics, logs, the storage files users share).
    """
    base, query, fragment = _split_query(port)
    if not port_secrets(port):
        return port  # as typed: the unique id of every entry made before this module
    kept = [
        (name, value)
        for name, value in parse_qsl(query, keep_blank_values=True)
        if name not in SECRET_URI_PARAMS
    ]
    return f"{base}?{urlencode(kept)}{fragment}" if kept else f"{base}{fragment}"


def redact_text(text: str, port: str) -> str:
    """``text`` with every secret of ``port`` (in any of its spellings) replaced."""
    for secret in port_secrets(port):
        text = text.replace(secret, "REDACTED")
    return text


def entry_title(kind: str, port: str) -> str:
    """A new config entry's title: what is on the port, and the port as shown."""
    return f"{_kind_label(kind)} {shown_port(port)}"


def _kind_label(kind: str) -> str:
    return "HAN" if kind == KIND_HAN else "M-Bus"


def unsecret_entry_identity(
    port: str, kind: str, title: str, unique_id: str | None
) -> dict[str, str]:
    """The title and unique id an entry made before redaction should have now (or nothing).

    Entries made with a secret in their port URL had it in both; a title the user changed is
    left alone.
    """
    if not port_secrets(port):
        return {}
    updates: dict[str, str] = {}
    if unique_id == port:
        updates["unique_id"] = port_unique_id(port)
    if title == f"{_kind_label(kind)} {port}":
        updates["title"] = entry_title(kind, port)
    return updates
