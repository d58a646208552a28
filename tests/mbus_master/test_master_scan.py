"""Scans against the simulator: exactly the meters present, few probes, progress, cancel."""

import asyncio
import random

import pytest

from custom_components.mbus_han.protocol.mbus.scan import (
    PrimaryHit,
    scan_primary,
    scan_secondary,
)


async def test_primary_scan_finds_exactly_the_meters(connect, heat_meter):
    meters = [heat_meter(11111111, 0), heat_meter(22222222, 17), heat_meter(33333333, 250)]
    _, master = await connect(meters)
    seen = []
    hits = await scan_primary(master, progress=seen.append)
    assert hits == [PrimaryHit(0), PrimaryHit(17), PrimaryHit(250)]
    assert seen[0].done == 0
    assert seen[0].total == 251
    assert seen[-1].done == 251
    assert seen[-1].found == 3
    assert [p.done for p in seen] == sorted(p.done for p in seen)


async def test_primary_scan_reports_shared_address(connect, heat_meter):
    _, master = await connect([heat_meter(11111111, 4), heat_meter(22222222, 4)])
    assert await scan_primary(master, range(10)) == [PrimaryHit(4, collision=True)]


async def test_primary_scan_over_tcp(connect, heat_meter, socket_enabled):
    _, master = await connect([heat_meter(11111111, 3)], tcp=True)
    assert await scan_primary(master, range(8)) == [PrimaryHit(3)]


@pytest.mark.parametrize(
    "ids",
    [
        [12345678],
        [12345601, 12345602, 12345603, 12345611, 12345612],  # long shared prefixes
        [10000000 + i for i in range(20)],  # consecutive serial numbers
        [12345678, 22345678, 32345678],  # shared suffixes: the hard case
        [11111111, 11111112, 21111111],
    ],
)
async def test_secondary_scan_finds_exactly_the_meters(connect, heat_meter, ids):
    meters = [heat_meter(identification, 0) for identification in ids]
    _, master = await connect(meters)
    result = await scan_secondary(master)
    assert sorted(int(m.identification) for m in result.meters) == sorted(ids)
    assert result.unresolved == []
    assert all(m.manufacturer == "SLB" and m.medium == 4 for m in result.meters)
    assert not any(m.selected for m in meters)  # deselected at the end


async def test_secondary_scan_of_random_meters_over_tcp(connect, heat_meter, socket_enabled):
    ids = random.Random(7).sample(range(10**8), 8)
    _, master = await connect([heat_meter(i, n) for n, i in enumerate(ids)], tcp=True)
    result = await scan_secondary(master)
    assert sorted(int(m.identification) for m in result.meters) == sorted(ids)
    assert sorted(m.primary_address for m in result.meters) == list(range(8))


async def test_secondary_scan_probes_grow_with_meters_not_id_space(connect, heat_meter):
    probes = {}
    for count in (1, 10):
        ids = random.Random(count).sample(range(10**8), count)
        _, master = await connect([heat_meter(i, 0) for i in ids])
        probes[count] = (await scan_secondary(master)).probes
    assert probes[1] == 1
    assert probes[10] <= 10 * 12  # about ten probes per split, never a sweep of 10^8


async def test_secondary_scan_of_an_empty_bus(connect, heat_meter):
    _, master = await connect([])
    result = await scan_secondary(master)
    assert result.meters == []
    assert result.probes == 1


async def test_same_id_twice_is_reported_unresolved(connect, heat_meter):
    _, master = await connect([heat_meter(12345678, 1), heat_meter(12345678, 2)])
    result = await scan_secondary(master)
    assert result.meters == []
    assert result.unresolved == ["12345678"]


async def test_scan_can_be_cancelled_and_the_bus_stays_usable(connect, heat_meter):
    _, master = await connect([heat_meter(11111111, 200)])
    reached = asyncio.Event()

    def progress(state):
        if state.done >= 5:
            reached.set()

    task = asyncio.create_task(scan_primary(master, progress=progress))
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    reading = await master.read(200)  # the lock was released, the port still works
    assert reading.telegram.header.id == 11111111


async def test_scans_through_an_echoing_converter(connect, heat_meter):
    from custom_components.mbus_han.protocol.mbus.simulator import BusFaults

    meters = [heat_meter(12345601, 1), heat_meter(12345602, 2)]
    _, master = await connect(meters, faults=BusFaults(echo=True))
    assert await scan_primary(master, range(4)) == [PrimaryHit(1), PrimaryHit(2)]
    result = await scan_secondary(master)
    assert [m.identification for m in result.meters] == ["12345601", "12345602"]
    assert master.link.stats.echoes == master.link.stats.requests  # every request came back
