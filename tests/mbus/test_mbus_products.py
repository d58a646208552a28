"""Product names against libmbus's own decoding of real telegrams.

Independent reference: every ``*.norm.xml`` of the libmbus corpus holds libmbus's
``<ProductName>`` for its telegram (empty where libmbus knows none), so our table and its
lookup rules (by version, by version and medium, by ID prefix, Aquametro's version ranges) are
checked against libmbus's output, not against themselves.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from mbus_corpus import TEST_FRAMES, read_hex, reference_frame_names

from custom_components.mbus_han.protocol.mbus.model import Header, Medium, Telegram
from custom_components.mbus_han.protocol.mbus.products import model_text, product_name
from custom_components.mbus_han.protocol.mbus.telegram import decode_frame


def _libmbus_product(name: str) -> str:
    root = ET.fromstring((TEST_FRAMES / f"{name}.norm.xml").read_bytes())
    return root.findtext("SlaveInformation/ProductName") or ""


@pytest.mark.parametrize("name", reference_frame_names())
def test_product_name_matches_libmbus(name: str) -> None:
    telegram = decode_frame(read_hex(TEST_FRAMES / f"{name}.hex"))
    assert isinstance(telegram, Telegram)
    if telegram.header is None or telegram.header.manufacturer is None:
        pytest.skip("no manufacturer in the header (fixed or short telegram)")
    assert (product_name(telegram.header) or "") == _libmbus_product(name)


def _header(manufacturer: str, version: int, medium: int, id_text: str = "12345678") -> Header:
    return Header(
        id=int(id_text),
        id_text=id_text,
        manufacturer=manufacturer,
        version=version,
        medium=Medium(medium),
        medium_code=medium,
        access_number=0,
        status=0,
        signature=0,
    )


def test_rules_the_corpus_does_not_reach() -> None:
    """Cases read off libmbus's mbus_data_product_name (mbus-protocol.c) by hand."""
    assert product_name(_header("LUG", 0x04, 0x04)) == "Landis+Gyr Ultraheat UH50"
    assert product_name(_header("ACW", 0x09, 0x04)) == "Itron CF Echo 2"
    # Carlo Gavazzi's version bytes name a product only on an electricity meter.
    assert product_name(_header("GAV", 0x39, 0x02)) == "Carlo Gavazzi EM21"
    assert product_name(_header("GAV", 0x39, 0x07)) is None
    # Engelmann's version 0 is a WaterStar on warm water, a SensoStar 2 otherwise.
    assert product_name(_header("EFE", 0x00, 0x06)) == "Engelmann WaterStar"
    assert product_name(_header("EFE", 0x00, 0x04)) == "Engelmann / Elster SensoStar 2"
    # Saia-Burgess codes the product in the ID's first two digits.
    assert product_name(_header("SBC", 0x01, 0x02, "11000001")) == "Saia-Burgess AWD3"
    assert product_name(_header("AMT", 0x85, 0x04)) == "Aquametro CALEC MB"


def test_model_falls_back_to_medium_and_version() -> None:
    # The demo's simulated Integral-V UltraLite: SLB version 0x1A is in no published table.
    assert model_text(_header("SLB", 0x1A, 0x04)) == "Heat meter (version 26)"
    assert model_text(_header("KAM", 0x08, 0x04)) == "Kamstrup Multical 601"
    assert model_text(_header("XYZ", 3, 0x07)) == "Water meter (version 3)"
