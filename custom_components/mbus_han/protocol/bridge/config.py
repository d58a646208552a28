"""The bridge's one YAML file, checked completely before anything is opened.

Every mistake is reported with where it is (``mbus[0].meters[2]``) and what is wrong, all of
them at once, so a user on a small computer in a basement fixes the file in one go. Pure
validation of the parsed data: :func:`load_config` parses the YAML (PyYAML, from the
``bridge`` extra), :func:`parse_config` checks a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..han import SecurityKeys, Transport
from ..mbus.master import parse_address

DEFAULT_TOPIC_PREFIX = "mbus_han"
DEFAULT_DISCOVERY_PREFIX = "homeassistant"
MBUS_BAUD_RATES = (300, 600, 1200, 2400, 4800, 9600, 19200, 38400)
# As the integration: battery meters count reads against a budget; 15 minutes is the default,
# 10 seconds the least, a day the most.
DEFAULT_POLL_INTERVAL = 900.0
MIN_POLL_INTERVAL = 10.0
MAX_POLL_INTERVAL = 86400.0
HAN_PARITY = {"aidon": "E", "kaifa": "E", "kamstrup": "N"}
_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
_TOPIC_FORBIDDEN = re.compile(r"[#+\x00]")


class ConfigError(ValueError):
    """The file is not a valid bridge configuration; ``problems`` lists every mistake."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid bridge configuration:\n  " + "\n  ".join(problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class TlsConfig:
    """TLS to the broker: the system's CAs unless ``ca_file``; a client cert optionally."""

    ca_file: str | None = None
    cert_file: str | None = None
    key_file: str | None = None
    insecure: bool = False  # skip the host name check (a broker known by IP, say)


@dataclass(frozen=True, slots=True)
class MqttConfig:
    """Where to publish."""

    host: str
    port: int = 1883
    username: str | None = None
    password: str | None = None
    tls: TlsConfig | None = None
    client_id: str | None = None
    topic_prefix: str = DEFAULT_TOPIC_PREFIX
    discovery_prefix: str = DEFAULT_DISCOVERY_PREFIX
    # "device": one discovery message per meter (Home Assistant 2024.11 and later);
    # "entity": one per sensor, for older releases.
    discovery: str = "device"


@dataclass(frozen=True, slots=True)
class MbusBusConfig:
    """One M-Bus port and the meters on it."""

    port: str
    meters: tuple[str, ...]
    baudrate: int = 2400
    poll_interval: float = DEFAULT_POLL_INTERVAL


@dataclass(frozen=True, slots=True)
class HanPortConfig:
    """One HAN port (one smart meter)."""

    port: str
    parity: str = "E"
    transport: Transport = Transport.HDLC
    keys: SecurityKeys = field(default_factory=SecurityKeys)
    name: str | None = None  # the meter's topic name, instead of its ID (encrypted meters)
    raw: bool = True  # publish every frame on <prefix>/<meter>/han_raw


@dataclass(frozen=True, slots=True)
class BridgeConfig:
    """The whole file."""

    bridge_id: str
    mqtt: MqttConfig
    mbus: tuple[MbusBusConfig, ...] = ()
    han: tuple[HanPortConfig, ...] = ()


class _Checker:
    """Collects problems instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def bad(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def mapping(self, value: Any, where: str, known: set[str]) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            self.bad(where, f"must be a mapping (key: value lines), not {_kind(value)}")
            return {}
        for key in value:
            if key not in known:
                self.bad(where, f"unknown key {key!r} (known: {', '.join(sorted(known))})")
        return value

    def text(self, value: Any, where: str, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                self.bad(where, "is required")
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.bad(where, f"must be text, not {_kind(value)}")
            return None
        text = str(value)
        if not text.strip():
            self.bad(where, "must not be empty")
            return None
        return text

    def number(self, value: Any, where: str, default: float, low: float, high: float) -> float:
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.bad(where, f"must be a number, not {_kind(value)}")
            return default
        if not low <= value <= high:
            self.bad(where, f"{value} is out of range ({low:g} to {high:g})")
            return default
        return float(value)

    def flag(self, value: Any, where: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.bad(where, f"must be true or false, not {_kind(value)}")
            return default
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.bad(where, f"must be a list (lines starting with '-'), not {_kind(value)}")
            return []
        return value


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def parse_config(data: Any) -> BridgeConfig:
    """Check ``data`` (the parsed YAML) and return the configuration; raise ConfigError."""
    check = _Checker()
    top = check.mapping(data, "config", {"bridge", "mqtt", "mbus", "han"})
    if data is None or not isinstance(data, Mapping):
        raise ConfigError(check.problems or ["config: the file is empty"])
    bridge = check.mapping(top.get("bridge"), "bridge", {"id"})
    bridge_id = check.text(bridge.get("id"), "bridge.id", required=True) or "invalid"
    if "id" in bridge and bridge_id != "invalid" and not _ID.fullmatch(bridge_id):
        check.bad(
            "bridge.id",
            f"{bridge_id!r}: use lower-case letters, digits, '-' and '_' (it names topics; "
            "give each bridge its own, and keep it when the computer is renamed)",
        )
    mqtt = _parse_mqtt(check, top.get("mqtt"))
    mbus = tuple(
        bus
        for index, item in enumerate(check.items(top.get("mbus"), "mbus"))
        if (bus := _parse_bus(check, item, f"mbus[{index}]")) is not None
    )
    han = tuple(
        port
        for index, item in enumerate(check.items(top.get("han"), "han"))
        if (port := _parse_han(check, item, f"han[{index}]")) is not None
    )
    if not mbus and not han and not check.problems:
        check.bad("config", "no meters: add an 'mbus' bus or a 'han' port")
    ports = [b.port for b in mbus] + [h.port for h in han]
    for twice in sorted({p for p in ports if ports.count(p) > 1}):
        check.bad("config", f"port {twice!r} is configured more than once")
    names = [h.name for h in han if h.name]
    for name in sorted({n for n in names if names.count(n) > 1}):
        check.bad("han", f"name {name!r} is used more than once")
    if check.problems or mqtt is None:
        raise ConfigError(check.problems)
    return BridgeConfig(bridge_id=bridge_id, mqtt=mqtt, mbus=mbus, han=han)


def _prefix(check: _Checker, value: Any, where: str, default: str) -> str:
    text = check.text(value, where) or default
    if _TOPIC_FORBIDDEN.search(text) or text.startswith("/") or text.endswith("/"):
        check.bad(where, f"{text!r} is no topic prefix (no '#', '+', leading or trailing '/')")
    return text


def _parse_mqtt(check: _Checker, value: Any) -> MqttConfig | None:
    known = {
        "host",
        "port",
        "username",
        "password",
        "tls",
        "client_id",
        "topic_prefix",
        "discovery_prefix",
        "discovery",
    }
    if value is None:
        check.bad("mqtt", "is required (at least mqtt.host)")
        return None
    mqtt = check.mapping(value, "mqtt", known)
    host = check.text(mqtt.get("host"), "mqtt.host", required=True)
    tls = _parse_tls(check, mqtt.get("tls"))
    port = int(check.number(mqtt.get("port"), "mqtt.port", 8883 if tls else 1883, 1, 65535))
    username = check.text(mqtt.get("username"), "mqtt.username")
    password = check.text(mqtt.get("password"), "mqtt.password")
    if password is not None and username is None:
        check.bad("mqtt.password", "is given without mqtt.username")
    discovery = mqtt.get("discovery", "device")
    if discovery not in ("device", "entity"):
        check.bad(
            "mqtt.discovery", f"{discovery!r}: 'device' (Home Assistant 2024.11+) or 'entity'"
        )
    if host is None:
        return None
    return MqttConfig(
        host=host,
        port=port,
        username=username,
        password=password,
        tls=tls,
        client_id=check.text(mqtt.get("client_id"), "mqtt.client_id"),
        topic_prefix=_prefix(
            check, mqtt.get("topic_prefix"), "mqtt.topic_prefix", DEFAULT_TOPIC_PREFIX
        ),
        discovery_prefix=_prefix(
            check, mqtt.get("discovery_prefix"), "mqtt.discovery_prefix", DEFAULT_DISCOVERY_PREFIX
        ),
        discovery=str(discovery),
    )


def _parse_tls(check: _Checker, value: Any) -> TlsConfig | None:
    if value is None or value is False:
        return None
    if value is True:
        return TlsConfig()
    tls = check.mapping(value, "mqtt.tls", {"ca_file", "cert_file", "key_file", "insecure"})
    files = {}
    for key in ("ca_file", "cert_file", "key_file"):
        name = check.text(tls.get(key), f"mqtt.tls.{key}")
        if name is not None and not Path(name).is_file():
            check.bad(f"mqtt.tls.{key}", f"{name!r} is not a readable file")
        files[key] = name
    if files["key_file"] and not files["cert_file"]:
        check.bad("mqtt.tls.key_file", "is given without mqtt.tls.cert_file")
    return TlsConfig(
        ca_file=files["ca_file"],
        cert_file=files["cert_file"],
        key_file=files["key_file"],
        insecure=check.flag(tls.get("insecure"), "mqtt.tls.insecure", False),
    )


def _parse_bus(check: _Checker, value: Any, where: str) -> MbusBusConfig | None:
    bus = check.mapping(value, where, {"port", "baudrate", "poll_interval", "meters"})
    port = check.text(bus.get("port"), f"{where}.port", required=True)
    baudrate = bus.get("baudrate", 2400)
    if baudrate not in MBUS_BAUD_RATES:
        check.bad(
            f"{where}.baudrate",
            f"{baudrate!r} is no M-Bus baud rate ({', '.join(map(str, MBUS_BAUD_RATES))})",
        )
        baudrate = 2400
    interval = check.number(
        bus.get("poll_interval"),
        f"{where}.poll_interval",
        DEFAULT_POLL_INTERVAL,
        MIN_POLL_INTERVAL,
        MAX_POLL_INTERVAL,
    )
    meters: list[str] = []
    items = check.items(bus.get("meters"), f"{where}.meters")
    if not items and "meters" not in bus:
        check.bad(f"{where}.meters", "is required: the primary (0-250) or secondary addresses")
    for index, item in enumerate(items):
        at = f"{where}.meters[{index}]"
        text = check.text(item, at)
        if text is None:
            continue
        try:
            parse_address(text)
        except ValueError as err:
            check.bad(at, f"{text!r}: {err}")
            continue
        if text in meters:
            check.bad(at, f"{text!r} is listed twice")
        meters.append(text)
    if port is None:
        return None
    return MbusBusConfig(
        port=port, meters=tuple(meters), baudrate=int(baudrate), poll_interval=interval
    )


def _parse_han(check: _Checker, value: Any, where: str) -> HanPortConfig | None:
    known = {"port", "meter", "parity", "transport", "key", "auth_key", "name", "raw"}
    han = check.mapping(value, where, known)
    port = check.text(han.get("port"), f"{where}.port", required=True)
    parity = "E"
    if (meter := han.get("meter")) is not None:
        if meter not in HAN_PARITY:
            check.bad(f"{where}.meter", f"{meter!r}: one of {', '.join(HAN_PARITY)}")
        else:
            parity = HAN_PARITY[meter]
    if (given := han.get("parity")) is not None:
        if given not in ("E", "N"):
            check.bad(f"{where}.parity", f"{given!r}: 'E' (8E1) or 'N' (8N1)")
        elif meter is not None and given != parity:
            check.bad(f"{where}.parity", f"{given!r} contradicts meter {meter!r} ({parity})")
        else:
            parity = given
    transport = han.get("transport", "hdlc")
    if transport not in ("hdlc", "mbus"):
        check.bad(f"{where}.transport", f"{transport!r}: 'hdlc' or 'mbus'")
        transport = "hdlc"
    keys = SecurityKeys()
    key = check.text(han.get("key"), f"{where}.key")
    auth_key = check.text(han.get("auth_key"), f"{where}.auth_key")
    if auth_key is not None and key is None:
        check.bad(f"{where}.auth_key", "is given without the encryption key (key)")
    else:
        try:
            keys = SecurityKeys.from_hex(key, auth_key)
        except ValueError as err:
            check.bad(f"{where}.key", f"{err} (32 hexadecimal characters)")
    name = check.text(han.get("name"), f"{where}.name")
    if name is not None and not _ID.fullmatch(name):
        check.bad(f"{where}.name", f"{name!r}: use lower-case letters, digits, '-' and '_'")
    if port is None:
        return None
    return HanPortConfig(
        port=port,
        parity=parity,
        transport=Transport(transport),
        keys=keys,
        name=name,
        raw=check.flag(han.get("raw"), f"{where}.raw", True),
    )


def load_config(path: str | Path) -> BridgeConfig:
    """Read and check the YAML file at ``path``."""
    import yaml  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415 - bridge extra

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError([f"{path}: {err.strerror or err}"]) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as err:
        raise ConfigError([f"{path}: not valid YAML: {err}"]) from None
    return parse_config(data)
