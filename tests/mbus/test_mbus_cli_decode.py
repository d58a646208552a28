"""``python -m custom_components.mbus_han mbus decode``: hex lines in, JSON lines out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from mbus_corpus import ERROR_FRAMES, TEST_FRAMES

from custom_components.mbus_han.protocol.cli import EXIT_FAILURE, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], tmp_path: Path, lines: list[str]) -> tuple[int, list]:
    source = tmp_path / "telegrams.txt"
    source.write_text("\n".join(lines) + "\n")
    code = main(["mbus", "decode", str(source)])
    out = capsys.readouterr().out
    return code, [json.loads(line) for line in out.splitlines()]


def test_decodes_a_real_heat_meter_to_the_documented_schema(capsys, tmp_path):
    telegram = (TEST_FRAMES / "kamstrup_multical_601.hex").read_text().replace(" ", "")
    code, objects = _run(capsys, tmp_path, ["# a comment", "", telegram])
    assert code == EXIT_OK
    assert len(objects) == 1
    result = objects[0]
    assert result["header"] == {
        "id": "06855817",
        "manufacturer": "KAM",
        "version": 8,
        "medium": "heat_outlet",
        "access_number": 4,
        "status": 0,
        "signature": 0,
    }
    first = result["records"][1]
    assert set(first) >= {
        "key", "quantity", "unit", "value", "raw_value", "function",
        "storage", "tariff", "subunit", "dif", "vif",
    }  # fmt: skip
    # Values from libmbus's decoding of the same telegram (kamstrup_multical_601.norm.xml).
    by_key = {r["key"]: r for r in result["records"]}
    assert by_key["energy"]["value"] == 37351000
    assert by_key["energy"]["unit"] == "Wh"
    assert by_key["energy"]["raw_value"] == 37351
    assert by_key["energy"]["dif"] == "04"
    assert by_key["energy"]["vif"] == "06"
    assert by_key["volume"]["value"] == pytest.approx(561.08)
    assert by_key["flow_temperature"]["value"] == pytest.approx(101.69)
    assert by_key["flow_temperature"]["unit"] == "°C"
    assert by_key["date_time"]["value"] == "2011-01-05T15:26:00"
    assert by_key["power_maximum"]["function"] == "maximum"
    assert by_key["energy_storage_1"]["storage"] == 1


def test_rejected_lines_give_an_error_object_and_exit_code_1(capsys, tmp_path):
    truncated = (ERROR_FRAMES / "premature_end_of_data1.hex").read_text()
    code, objects = _run(capsys, tmp_path, ["not hex at all", truncated, "10 5B 01 5C 16"])
    assert code == EXIT_FAILURE
    assert [set(o) for o in objects] == [{"error"}, {"error"}, {"error"}]
    assert "not hex" in objects[0]["error"]
    assert "record 3" in objects[1]["error"]


def test_application_error_is_a_result_not_a_rejection(capsys, tmp_path):
    busy = (ERROR_FRAMES / "application_busy.hex").read_text()
    code, objects = _run(capsys, tmp_path, [busy])
    assert code == EXIT_OK
    assert objects == [{"application_error": {"code": 8, "reason": "application busy"}}]


def test_reads_standard_input_through_the_module_entry_point():
    telegram = (TEST_FRAMES / "allmess_cf50.hex").read_text()
    done = subprocess.run(
        [sys.executable, "-m", "custom_components.mbus_han", "mbus", "decode"],
        input=telegram,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert done.returncode == EXIT_OK, done.stderr
    result = json.loads(done.stdout)
    assert result["header"]["manufacturer"] == "SLB"


def test_help_lists_the_groups():
    done = subprocess.run(
        [sys.executable, "-m", "custom_components.mbus_han", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert "mbus" in done.stdout
    assert "han" in done.stdout
