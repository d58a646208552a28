"""Conformance with libmbus's decodings of real telegrams (``tests/fixtures/mbus/libmbus``).

Every telegram in ``test-frames/`` must decode, and every record must match libmbus's
normalised XML on value (relative tolerance 1e-9, plus libmbus's six printed decimals),
quantity, unit, function, storage number, tariff and subunit, except the records listed in
``DEVIATIONS``, where we follow EN 13757-3 and libmbus does not. Each listed record must
really differ, so the list cannot go stale.

All files in ``test-frames/`` are whole long frames (68 L L 68 ... 16); none is a bare payload.
"""

from __future__ import annotations

import datetime as dt
import math
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path

import pytest
from mbus_corpus import TEST_FRAMES, read_hex, reference_frame_names

from custom_components.mbus_han.protocol.mbus.model import Function, Quantity, Record, Telegram
from custom_components.mbus_han.protocol.mbus.telegram import decode_frame

# libmbus's quantity names for ours (its normalisation table, mbus-protocol-aux.c).
LIBMBUS_QUANTITY: dict[Quantity, str] = {
    Quantity.ENERGY: "Energy",
    Quantity.VOLUME: "Volume",
    Quantity.MASS: "Mass",
    Quantity.ON_TIME: "On time",
    Quantity.OPERATING_TIME: "Operating time",
    Quantity.POWER: "Power",
    Quantity.VOLUME_FLOW: "Volume flow",
    Quantity.MASS_FLOW: "Mass flow",
    Quantity.FLOW_TEMPERATURE: "Flow temperature",
    Quantity.RETURN_TEMPERATURE: "Return temperature",
    Quantity.TEMPERATURE_DIFFERENCE: "Temperature difference",
    Quantity.EXTERNAL_TEMPERATURE: "External temperature",
    Quantity.PRESSURE: "Pressure",
    Quantity.DATE: "Time point (date)",
    Quantity.DATE_TIME: "Time point (date & time)",
    Quantity.HCA_UNITS: "H.C.A.",
    Quantity.AVERAGING_DURATION: "Averaging Duration",
    Quantity.FABRICATION_NUMBER: "Fabrication No",
    Quantity.ENHANCED_IDENTIFICATION: "(Enhanced) Identification",
    Quantity.BUS_ADDRESS: "Bus Address",
    Quantity.MANUFACTURER_SPECIFIC: "Manufacturer specific",
    Quantity.MEDIUM: "Medium",
    Quantity.PARAMETER_SET_ID: "Parameter set identification",
    Quantity.MODEL_VERSION: "Model / Version",
    Quantity.HARDWARE_VERSION: "Hardware version",
    Quantity.FIRMWARE_VERSION: "Firmware version",
    Quantity.SOFTWARE_VERSION: "Software version",
    Quantity.CUSTOMER_LOCATION: "Customer location",
    Quantity.CUSTOMER: "Customer",
    Quantity.ERROR_FLAGS: "Error flags",
    Quantity.DIGITAL_INPUT: "Digital Input",
    Quantity.DIGITAL_OUTPUT: "Digital Output",
    Quantity.VOLTAGE: "Voltage",
    Quantity.CURRENT: "Current",
    Quantity.RESET_COUNTER: "Reset counter",
    Quantity.SUPPLIER_INFORMATION: "Special supplier information",
    Quantity.RESERVED: "Reserved",
}
LIBMBUS_FUNCTION = {
    Function.INSTANTANEOUS: "Instantaneous value",
    Function.MAXIMUM: "Maximum value",
    Function.MINIMUM: "Minimum value",
    Function.ERROR_STATE: "Value during error state",
}

# (telegram, libmbus record index) -> why our decoding differs from libmbus's. Each entry is
# checked to differ; every other record must match exactly.
HEADER = -2  # pseudo index of the slave information
COUNT = -1  # pseudo index of the record count
_INVALID_DATE = "the date field holds day or month 0: no calendar date, so no value"
_BCD_ERROR = "BCD with hex digits A-F is the meter's error marker, not a number: no value"
_PER_PULSE = "VIFE 0x28 'per input pulse' changes the unit; libmbus drops the VIFE"
_LIMIT_DURATION = (
    "VIFE 0x50/0x58 'duration of limit exceed' makes the value a duration in s; "
    "libmbus drops the VIFE and reports seconds as m^3/h"
)
_FIXED = (
    "fixed data structure: we scale the counter to m^3 and read unit 0x3E as counter 1's unit, "
    "historic (storage 1); libmbus prints the raw counter with a bare unit name"
)
_HCA_UNIT = "our unit for H.C.A. units is '' (dimensionless); libmbus writes the quantity name"
DEVIATIONS: dict[tuple[str, int], str] = {
    ("ACW_Itron-BM-plus-m", 2): _INVALID_DATE,
    ("itron_bm_+m", 2): _INVALID_DATE,
    ("siemens_water", 3): _INVALID_DATE,
    ("siemens_wfh21", 3): _INVALID_DATE,
    ("REL-Relay-Padpuls2", 1): _INVALID_DATE,
    ("ELS_Elster-F96-Plus", 4): _BCD_ERROR,
    ("ELS_Elster-F96-Plus", 5): _BCD_ERROR,
    ("abb_f95", 2): _BCD_ERROR,
    ("abb_f95", 3): _BCD_ERROR,
    ("EFE_Engelmann-Elster-SensoStar-2", 24): _PER_PULSE,
    ("engelmann_sensostar2c", 13): _PER_PULSE,
    ("SEN_Pollustat", 12): _LIMIT_DURATION,
    ("SEN_Pollustat", 13): _LIMIT_DURATION,
    ("manual_frame2", 0): _FIXED,
    ("manual_frame2", 1): _FIXED,
    ("Elster-F2", 11): _HCA_UNIT,
    ("Elster-F2", 12): _HCA_UNIT,
    ("rel_padpuls3", 0): _HCA_UNIT,
    ("rel_padpuls3", 3): _HCA_UNIT,
    ("electricity-meter-1", HEADER): (
        "identification 0500023E has a hex digit: not a BCD number, so header.id is None "
        "(id_text keeps the digits); libmbus prints the hex"
    ),
    ("sen_pollutherm", 2): (
        "VIF 0x7B without its extension bit is reserved: we keep the record as 'reserved' "
        "with its raw number; libmbus leaves the record empty"
    ),
    ("siemens_rvd235", 3): "FD 0x7C is reserved: our unit is '', libmbus writes 'Reserved'",
    ("siemens_rvd235", 4): "FD 0x7C is reserved: our unit is '', libmbus writes 'Reserved'",
    ("siemens_rvd235", 5): "FD 0x7C is reserved: our unit is '', libmbus writes 'Reserved'",
}


def _expected_records(name: str) -> tuple[ET.Element, list[dict[str, str]]]:
    root = ET.fromstring((TEST_FRAMES / f"{name}.norm.xml").read_bytes())
    slave = root.find("SlaveInformation")
    assert slave is not None
    records = [
        {child.tag: _utf8(child.text or "") for child in record}
        for record in root.findall("DataRecord")
    ]
    return slave, records


def _utf8(text: str) -> str:
    """The files say ISO-8859-1 but hold UTF-8 ("°C" arrives as "Â°C")."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text


def _ours_as_libmbus(telegram: Telegram) -> list[dict[str, object]]:
    """Our records in libmbus's shape, plus its pseudo-record for manufacturer data."""
    rows: list[dict[str, object]] = [{"record": r} for r in telegram.records]
    if telegram.manufacturer_data is not None:
        rows.append({"manufacturer_data": telegram.manufacturer_data})
    return rows


def _value_matches(ours: object, expected: str) -> bool:
    if ours is None:
        return False
    if isinstance(ours, dt.datetime):
        return ours.strftime("%Y-%m-%dT%H:%M:%SZ") == expected
    if isinstance(ours, dt.date):
        return ours.isoformat() == expected
    if isinstance(ours, str):
        return ours == expected
    if isinstance(ours, bytes):
        return ours.hex(" ").upper() == expected
    if isinstance(ours, int | float | Decimal):
        try:
            theirs = float(expected)
        except ValueError:
            return False
        mine = float(ours)
        # libmbus prints with %f: six decimals, so allow half a unit of the last one.
        return math.isclose(mine, theirs, rel_tol=1e-9, abs_tol=5e-7)
    return False


def _differences(record: Record, expected: dict[str, str]) -> list[str]:
    diffs = []
    quantity = (
        record.plain_text_unit
        if record.quantity is Quantity.PLAIN_TEXT_UNIT
        else LIBMBUS_QUANTITY.get(record.quantity, record.quantity.value)
    )
    if quantity != expected.get("Quantity"):
        diffs.append(f"quantity {quantity!r} != {expected.get('Quantity')!r}")
    unit = record.unit if record.unit and record.quantity is not Quantity.PLAIN_TEXT_UNIT else "-"
    if expected.get("Unit") not in (unit, "" if unit == "-" else unit):
        diffs.append(f"unit {unit!r} != {expected.get('Unit')!r}")
    if LIBMBUS_FUNCTION[record.function] != expected.get("Function"):
        diffs.append(f"function {record.function} != {expected.get('Function')!r}")
    if str(record.storage) != expected.get("StorageNumber"):
        diffs.append(f"storage {record.storage} != {expected.get('StorageNumber')}")
    if "Tariff" in expected and str(record.tariff) != expected["Tariff"]:
        diffs.append(f"tariff {record.tariff} != {expected['Tariff']}")
    if "Device" in expected and str(record.subunit) != expected["Device"]:
        diffs.append(f"subunit {record.subunit} != {expected['Device']}")
    if not _value_matches(record.value, expected.get("Value", "")):
        diffs.append(f"value {record.value!r} != {expected.get('Value')!r}")
    return diffs


def _manufacturer_differences(data: bytes, expected: dict[str, str]) -> list[str]:
    shown = expected.get("Value", "").split()
    ours = [f"{b:02X}" for b in data]
    # libmbus changed the byte order of this blob in 2025: compare the bytes, not the order.
    if shown not in (ours, ours[::-1]):
        return [f"manufacturer data {ours} != {shown}"]
    return []


def compare(name: str) -> dict[int, list[str]]:
    """Decode ``name`` and return the differences to libmbus, by libmbus record index."""
    telegram = decode_frame(read_hex(TEST_FRAMES / f"{name}.hex"))
    assert isinstance(telegram, Telegram)
    slave, expected = _expected_records(name)
    header = telegram.header
    assert header is not None
    ours_header = {
        "Id": str(header.id),
        "Manufacturer": header.manufacturer,
        "Version": str(header.version),
        "Signature": f"{header.signature:04X}",
        "AccessNumber": str(header.access_number),
        "Status": f"{header.status:02X}",
    }
    problems: dict[int, list[str]] = {}
    header_diffs = [
        f"header {tag} {value!r} != {slave.findtext(tag)!r}"
        for tag, value in ours_header.items()
        if slave.findtext(tag) is not None and value != slave.findtext(tag)
    ]
    if header_diffs:
        problems[HEADER] = header_diffs

    rows = _ours_as_libmbus(telegram)
    if len(rows) != len(expected):
        problems[COUNT] = [f"{len(rows)} records, libmbus has {len(expected)}"]
    for index, (row, exp) in enumerate(zip(rows, expected, strict=False)):
        record = row.get("record")
        if isinstance(record, Record):
            diffs = _differences(record, exp)
        else:
            data = row["manufacturer_data"]
            assert isinstance(data, bytes)
            diffs = _manufacturer_differences(data, exp)
        if diffs:
            problems[index] = diffs
    return problems


@pytest.mark.parametrize("name", reference_frame_names())
def test_matches_libmbus_except_listed_deviations(name: str) -> None:
    problems = compare(name)
    unexplained = {i: d for i, d in problems.items() if (name, i) not in DEVIATIONS}
    assert not unexplained, f"{name}: {unexplained}"
    stale = [i for (n, i) in DEVIATIONS if n == name and i not in problems]
    assert not stale, f"{name}: listed deviations {stale} no longer differ"


def test_corpus_is_present() -> None:
    assert len(reference_frame_names()) >= 50, f"corpus missing under {TEST_FRAMES}"


def _print_all() -> None:  # pragma: no cover - a developer's aid: python this_file.py
    for name in reference_frame_names():
        for index, diffs in compare(name).items():
            print(f"{name}#{index}: {'; '.join(diffs)}")


if __name__ == "__main__":  # pragma: no cover
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    _print_all()
