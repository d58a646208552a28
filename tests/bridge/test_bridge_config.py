"""The bridge's YAML file: what it accepts, and that every mistake is named with its place."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from custom_components.mbus_han.protocol.bridge.config import (
    ConfigError,
    load_config,
    parse_config,
)
from custom_components.mbus_han.protocol.han import Transport

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "custom_components/mbus_han/protocol/bridge/example.yaml"


def _problems(data: object) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(data)
    return caught.value.problems


def test_the_example_in_the_repository_is_valid() -> None:
    config = load_config(EXAMPLE)
    assert config.bridge_id == "basement"
    assert config.mqtt.discovery == "device"
    assert config.mbus[0].meters == ("5", "12345678")
    assert config.han[0].parity == "N"  # kamstrup: 8N1


def test_defaults() -> None:
    config = parse_config(
        {
            "bridge": {"id": "site-1"},
            "mqtt": {"host": "broker"},
            "mbus": [{"port": "/dev/ttyUSB0", "meters": [0]}],
            "han": [{"port": "/dev/ttyAMA0"}],
        }
    )
    assert (config.mqtt.port, config.mqtt.tls, config.mqtt.topic_prefix) == (1883, None, "mbus_han")
    assert config.mqtt.discovery_prefix == "homeassistant"
    assert (config.mbus[0].baudrate, config.mbus[0].poll_interval) == (2400, 900.0)
    assert (config.han[0].parity, config.han[0].transport, config.han[0].raw) == (
        "E",
        Transport.HDLC,
        True,
    )


def test_tls_moves_the_default_port() -> None:
    config = parse_config(
        {
            "bridge": {"id": "a"},
            "mqtt": {"host": "broker", "tls": True, "username": "u", "password": "p"},
            "han": [{"port": "/dev/ttyAMA0"}],
        }
    )
    assert config.mqtt.port == 8883
    assert config.mqtt.tls is not None
    assert config.mqtt.tls.ca_file is None


def test_every_mistake_is_reported_at_once_with_its_place() -> None:
    problems = _problems(
        {
            "bridge": {"id": "Basement Boiler"},
            "mqtt": {"host": "", "port": 70000, "password": "x", "discovery": "both", "tsl": 1},
            "mbus": [
                {"port": "/dev/ttyUSB0", "meters": [1, 1, 251, "1234567"], "baudrate": 2401},
                {"meters": [2], "poll_interval": 5},
            ],
            "han": [
                {"port": "/dev/ttyUSB0", "meter": "landis", "key": "00" * 15},
                {"port": "/dev/ttyAMA1", "meter": "kamstrup", "parity": "E", "auth_key": "00" * 16},
            ],
        }
    )
    expected_starts = [
        "bridge.id: 'Basement Boiler': use lower-case",
        "mqtt: unknown key 'tsl'",
        "mqtt.host: must not be empty",
        "mqtt.port: 70000 is out of range",
        "mqtt.password: is given without mqtt.username",
        "mqtt.discovery: 'both'",
        "mbus[0].baudrate: 2401 is no M-Bus baud rate",
        "mbus[0].meters[1]: '1' is listed twice",
        "mbus[0].meters[2]: '251'",
        "mbus[0].meters[3]: '1234567'",
        "mbus[1].port: is required",
        "mbus[1].poll_interval: 5 is out of range (10 to 86400)",
        "han[0].meter: 'landis': one of aidon, kaifa, kamstrup",
        "han[0].key: encryption key has 15 bytes, not 16",
        "han[1].parity: 'E' contradicts meter 'kamstrup' (N)",
        "han[1].auth_key: is given without the encryption key",
        "config: port '/dev/ttyUSB0' is configured more than once",
    ]
    for start in expected_starts:
        assert any(p.startswith(start) for p in problems), (start, problems)
    assert len(problems) == len(expected_starts), problems


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (None, "config: the file is empty"),
        ([1, 2], "config: must be a mapping (key: value lines), not list"),
        ({"bridge": {"id": "a"}, "mqtt": {"host": "h"}}, "config: no meters"),
        ({"bridge": {"id": "a"}, "han": [{"port": "p"}]}, "mqtt: is required"),
        ({"mqtt": {"host": "h"}, "han": [{"port": "p"}]}, "bridge.id: is required"),
        (
            {
                "bridge": {"id": "a"},
                "mqtt": {"host": "h", "topic_prefix": "a/#"},
                "han": [{"port": "p"}],
            },
            "mqtt.topic_prefix: 'a/#' is no topic prefix",
        ),
        (
            {"bridge": {"id": "a"}, "mqtt": {"host": "h"}, "han": [{"port": "p", "raw": "yes"}]},
            "han[0].raw: must be true or false, not str",
        ),
        (
            {
                "bridge": {"id": "a"},
                "mqtt": {"host": "h", "tls": {"ca_file": "/nonexistent"}},
                "han": [{"port": "p"}],
            },
            "mqtt.tls.ca_file: '/nonexistent' is not a readable file",
        ),
    ],
)
def test_one_mistake(data: object, problem: str) -> None:
    assert any(p.startswith(problem) for p in _problems(data)), _problems(data)


def test_yaml_errors_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "bridge.yaml"
    broken.write_text("mqtt: [host\n")
    with pytest.raises(ConfigError, match=r"bridge.yaml: not valid YAML"):
        load_config(broken)
    with pytest.raises(ConfigError, match=r"missing.yaml: No such file"):
        load_config(tmp_path / "missing.yaml")


def test_check_command_exit_codes(tmp_path: Path) -> None:
    """``bridge CONFIG --check``: 0 and a summary for a valid file, 2 and the problems if not."""
    command = [sys.executable, "-m", "custom_components.mbus_han", "bridge"]
    ok = subprocess.run(
        [*command, str(EXAMPLE), "--check"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert ok.returncode == 0, ok.stderr
    assert "valid (3 meter(s) on 2 port(s))" in ok.stdout
    bad = tmp_path / "bad.yaml"
    bad.write_text("bridge: {id: a}\nmqtt: {host: h}\nmbus: [{port: p, meters: [300]}]\n")
    failed = subprocess.run(
        [*command, str(bad), "--check"], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert failed.returncode == 2
    assert "mbus[0].meters[0]: '300'" in failed.stderr
