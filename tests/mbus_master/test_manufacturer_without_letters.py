"""Meters whose manufacturer code holds no letters (0x0000 = "@@@"): replayed, found, read.

The telegram is built by hand (EN 13757-3 long header, CI 0x72): ID 12345678 as BCD low byte
first, manufacturer 00 00, version 01, medium 02 (electricity), access 05, status 00,
signature 00 00, then DIF 04 VIF 03 (energy, Wh) E8 03 00 00 = 1000 Wh. The expected secondary
address is libmbus's print of that header (mbus_frame_get_secondary_address: ID, the two
manufacturer bytes as received, version, medium): 12345678 0000 01 02.
"""

from custom_components.mbus_han.protocol.mbus.master import parse_address
from custom_components.mbus_han.protocol.mbus.scan import scan_secondary
from custom_components.mbus_han.protocol.mbus.simulator import ReplaySource, SimulatedMeter

AT_AT_AT_METER = "72 78 56 34 12 00 00 01 02 05 00 00 00 04 03 E8 03 00 00"


async def test_scan_secondary_finds_and_reads_a_meter_without_letters(connect, heat_meter):
    source = ReplaySource.from_hex(AT_AT_AT_METER)
    assert source.identity.manufacturer == "0x0000"
    _, master = await connect([SimulatedMeter(source, 3), heat_meter(87654321, 4)])
    result = await scan_secondary(master)
    # SLB = 0x4D82, sent as 82 4D (see the libmbus sequence tests).
    assert [m.secondary_address for m in result.meters] == [
        "1234567800000102",
        "87654321824D1A04",
    ]
    assert result.meters[0].manufacturer == "0x0000"
    reading = await master.read(parse_address("1234567800000102"))
    (energy,) = reading.telegram.records
    assert energy.value == 1000
    assert energy.unit == "Wh"
