"""The command-line tools against a simulator process: output, JSON schema, exit codes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from custom_components.mbus_han.protocol.cli import (
    EXIT_NO_ANSWER,
    EXIT_NO_DEVICE,
    EXIT_OK,
    EXIT_USAGE,
    main,
)

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--baud", "38400", "--margin", "0.02"]


@pytest.fixture
def simulator(socket_enabled):
    """A `mbus simulate` process on TCP with two instant meters; yields its URL."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "custom_components.mbus_han",
            "mbus",
            "simulate",
            "--tcp",
            "127.0.0.1:0",
            "--baud",
            "38400",
            "--time-scale",
            "0",
            "--history",
            "--meter",
            "12345678:0",
            "--meter",
            "12345679:5",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("socket://127.0.0.1:"), process.stderr.read()
        yield url
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()
        process.stderr.close()


def test_scan_lists_the_primary_addresses(simulator, capsys):
    assert main(["mbus", "scan", simulator, *FAST, "--range", "0-9"]) == EXIT_OK
    assert capsys.readouterr().out.split() == ["0", "5"]
    assert main(["mbus", "scan", simulator, *FAST, "--range", "6-9"]) == EXIT_NO_ANSWER


def test_scan_secondary_prints_addresses_for_read(simulator, capsys):
    assert main(["mbus", "scan-secondary", simulator, *FAST, "--json"]) == EXIT_OK
    result = json.loads(capsys.readouterr().out)
    addresses = [m["secondary_address"] for m in result["meters"]]
    assert addresses == ["12345678824D1A04", "12345679824D1A04"]  # libmbus form
    assert main(["mbus", "read", simulator, *FAST, addresses[1], "--json"]) == EXIT_OK
    reading = json.loads(capsys.readouterr().out)
    assert reading["header"]["id"] == "12345679"


def test_read_json_has_the_decode_schema(simulator, capsys):
    assert main(["mbus", "read", simulator, *FAST, "5", "--json"]) == EXIT_OK
    reading = json.loads(capsys.readouterr().out)
    assert set(reading) == {"header", "records", "manufacturer_data", "more_records_follow"}
    assert reading["header"]["manufacturer"] == "SLB"
    keys = [r["key"] for r in reading["records"]]
    assert "energy" in keys
    assert "energy_storage_13" in keys  # both telegrams merged
    assert reading["more_records_follow"] is False


def test_read_table(simulator, capsys):
    assert main(["mbus", "read", simulator, *FAST, "12345678"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "id 12345678" in out
    assert "2 telegram(s)" in out
    assert any(line.startswith("flow_temperature") and "°C" in line for line in out.splitlines())


def test_read_exit_codes(simulator, capsys):
    assert main(["mbus", "read", simulator, *FAST, "--retries", "0", "7"]) == EXIT_NO_ANSWER
    assert "no answer" in capsys.readouterr().err
    assert main(["mbus", "read", "/dev/ttyDOES_NOT_EXIST", "0"]) == EXIT_NO_DEVICE
    assert "no such device" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["mbus", "read", simulator, "253"])
    assert exit_info.value.code == EXIT_USAGE
    assert main(["mbus", "scan", simulator, "--range", "9-3"]) == EXIT_USAGE


def test_read_any_manufacturer_bytes_without_traceback(simulator, capsys):
    # 74 52 as sent is TST (0x5274); FF FE (bit 15 set) holds no letters: both are
    # addresses like any other, and no meter on this bus has them.
    for address in ("1234567874520100", "12345678FFFE0100"):
        assert main(["mbus", "read", simulator, *FAST, "--retries", "0", address]) == (
            EXIT_NO_ANSWER
        )
        assert "no answer" in capsys.readouterr().err


def test_set_address(simulator, capsys):
    assert main(["mbus", "set-address", simulator, *FAST, "12345679", "42"]) == EXIT_OK
    assert "42" in capsys.readouterr().out
    assert main(["mbus", "scan", simulator, *FAST, "--range", "0-50"]) == EXIT_OK
    assert capsys.readouterr().out.split() == ["0", "42"]
    with pytest.raises(SystemExit) as exit_info:
        main(["mbus", "set-address", simulator, "0", "251"])
    assert exit_info.value.code == EXIT_USAGE


def test_simulate_rejects_bad_meter_specs(capsys):
    assert main(["mbus", "simulate", "--meter", "123456789"]) == EXIT_USAGE
    assert main(["mbus", "simulate", "--meter", "1:300"]) == EXIT_USAGE
    assert main(["mbus", "simulate", "--tcp", "nohostport"]) == EXIT_USAGE
    assert main(["mbus", "simulate", "--replay", "/nonexistent.hex"]) != EXIT_OK
