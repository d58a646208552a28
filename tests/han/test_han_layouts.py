"""Push layouts beyond the Norwegian lists (issue 12 items 5 and 6), and pushes we cannot read.

Kaifa MA309 (Austria: Salzburg Netz, TINETZ, Vorarlberg; Poland) sends the clock code and the
clock as two loose elements, then one structure {OBIS, value, {scaler, unit}} per value
(Salzburg Netz / TINETZ "Technische Beschreibung Kundenschnittstelle"). Landis+Gyr sends the
list of its capture objects {class id, OBIS, attribute, data index} first (Blue Book: push
setup, push_object_list), then the values in that order. Expected values come from the
captures' own projects (see han_captures) and from hand calculation.
"""

import pytest
from han_captures import LG_E450_CYPRUS, SALZBURG_NETZ_APDU, SALZBURG_VALUES, hex_bytes

from custom_components.mbus_han.protocol.errors import NoKnownValuesError
from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder, decode_message
from custom_components.mbus_han.protocol.han.hdlc import encode_hdlc_frame
from custom_components.mbus_han.protocol.han.jsonout import error_to_json


def _values(reading) -> dict[str, float]:
    return {code: value.value for code, value in reading.values.items()}


def test_kaifa_ma309_salzburg_netz_capture() -> None:
    reading = decode_message(SALZBURG_NETZ_APDU)
    # Old code: a "successful" reading with the clock and nothing else.
    assert _values(reading) == pytest.approx(SALZBURG_VALUES)
    assert reading.values["1-0:32.7.0.255"].unit.value == "V"
    assert reading.values["1-0:1.8.0.255"].unit.value == "Wh"
    assert reading.meter.meter_id == "1KFM0200234804"  # 0-0:96.1.0.255
    assert reading.meter.manufacturer == "Kaifa"  # logical device name KFM1200200234804
    assert reading.clock is not None
    assert reading.clock.isoformat == "2022-11-12T16:54:00"


def test_kaifa_ma309_published_example_structure() -> None:
    # The interface descriptions' decoded example: 02 03 09 06 0100200700FF 12 0904 02 02 0F FF
    # 16 23 = 1-0:32.7.0.255, 2308 x 10^-1 V = 230.8 V, after the loose clock code and clock.
    apdu = hex_bytes(
        "0F 00000001 00"  # data-notification, invoke id, no date-time
        "02 03"  # body: structure of 3
        "09 06 0000010000FF"  # clock code 0-0:1.0.0.255 ...
        "09 0C 07E7030F030C1E00FF800000"  # ... and the clock, loose
        "02 03 09 06 0100200700FF 12 0904 02 02 0F FF 16 23"
    )
    reading = decode_message(apdu)
    assert _values(reading) == {"1-0:32.7.0.255": pytest.approx(230.8)}
    assert reading.clock is not None
    assert reading.clock.isoformat == "2023-03-15T12:30:00"


def test_landis_gyr_capture_objects_are_paired_with_the_values() -> None:
    # Hand-built from the Blue Book push setup: descriptors, then the values in their order.
    # Attribute 3 of a register is its scaler-unit: 28 x 10^1 W = 280 W.
    descriptors = (
        "01 06"
        "02 04 12 0028 09 06 0000190900FF 0F 02 12 0000"  # push setup: this very list
        "02 04 12 0001 09 06 00002A0000FF 0F 02 12 0000"  # logical device name
        "02 04 12 0001 09 06 0000600101FF 0F 02 12 0000"  # device ID 2 (a serial, not a type)
        "02 04 12 0008 09 06 0000010000FF 0F 02 12 0000"  # clock, time
        "02 04 12 0003 09 06 0100010700FF 0F 02 12 0000"  # register 1-0:1.7.0, value
        "02 04 12 0003 09 06 0100010700FF 0F 03 12 0000"  # register 1-0:1.7.0, scaler-unit
    )
    apdu = hex_bytes(
        "0F 00000001 00 02 06"
        + descriptors
        + "09 10"
        + b"LGZ1030653520967".hex()
        + "09 07"
        + b"1538088".hex()
        + "09 0C 07EA0504010B2715FF800000"
        + "06 0000001C"
        + "02 02 0F 01 16 1B"
    )
    reading = decode_message(apdu)
    assert _values(reading) == {"1-0:1.7.0.255": 280}
    assert reading.values["1-0:1.7.0.255"].unit.value == "W"
    assert reading.meter.meter_id == "LGZ1030653520967"
    assert reading.meter.manufacturer == "Landis+Gyr"
    assert reading.meter.meter_type is None  # 0-0:96.1.1 is no type (Kamstrup's is 1-1:96.1.1)
    assert reading.clock is not None
    assert reading.clock.isoformat == "2026-05-04T11:39:21"


def test_landis_gyr_e450_capture_is_read_but_has_no_scaling() -> None:
    # The real push: 13 descriptors, then 13 values, across three block-transfer frames. Old
    # code refused it ("list element is a structure of 4"). Its registers come without
    # scaler-unit and no published table fixes them, so none is guessed: the push is an error
    # that names the registers it paired, in the meter's order.
    with pytest.raises(NoKnownValuesError) as caught:
        decode_message(LG_E450_CYPRUS)
    message = str(caught.value)
    assert "1-0:1.8.1.255 (the list gives no scaling" in message
    assert message.index("1-0:1.8.1.255") < message.index("1-0:1.8.2.255")


def test_a_push_with_no_known_value_is_an_error_with_its_bytes() -> None:
    # A body of one value whose code means nothing here (0-0:96.14.0.255, tariff), so nothing.
    apdu = hex_bytes("0F 00000001 00 02 01 02 02 09 06 0000600E00FF 11 02")
    with pytest.raises(NoKnownValuesError) as caught:
        decode_message(apdu)
    assert caught.value.raw == apdu
    # The stream decoder counts it and hands it on with its bytes, for the log and the CLI.
    stream = HanStreamDecoder()
    results = stream.feed(encode_hdlc_frame(b"\xe6\xe7\x00" + apdu))
    assert len(results) == 1
    assert isinstance(results[0], NoKnownValuesError)
    assert stream.stats.undecodable == 1
    assert stream.stats.readings == 0
    assert error_to_json(results[0])["hex"] == ("e6e700" + apdu.hex()).upper()  # the LLC field
    assert error_to_json(results[0])["kind"] == "NoKnownValuesError"
