"""``han listen``: the listening loop (idle flush, silence) and the command over a pty and TCP."""

import argparse
import asyncio
import json
from datetime import datetime

import pytest
from han_corpus import BY_NAME, raw

from custom_components.mbus_han.protocol.cli import EXIT_NO_ANSWER, EXIT_NO_DEVICE, EXIT_OK
from custom_components.mbus_han.protocol.cli.han import listen_port
from custom_components.mbus_han.protocol.errors import DecodeError
from custom_components.mbus_han.protocol.han.cipher import SecurityKeys
from custom_components.mbus_han.protocol.han.decoder import HanStreamDecoder
from custom_components.mbus_han.protocol.han.listen import idle_time, listen
from custom_components.mbus_han.protocol.han.simulator import HanSimulator, Maker
from custom_components.mbus_han.protocol.simio import byte_time, open_pty, serve_tcp
from custom_components.mbus_han.protocol.transport import SerialSettings

CHAR_TIME = byte_time(2400)


def _queue_reader(queue: asyncio.Queue):
    async def read() -> bytes:
        return await queue.get()

    return read


async def test_idle_line_releases_a_push_held_behind_a_cut_frame() -> None:
    long_frame = raw(BY_NAME["aidon_6525_list3_3wire_it_hdlc_built"])
    short_frame = raw(BY_NAME["aidon_list1_raw_7d_inside"])
    queue: asyncio.Queue = asyncio.Queue()
    queue.put_nowait(long_frame[:80])  # the meter reset mid-frame
    queue.put_nowait(short_frame)  # the next push follows; the cut frame still waits for bytes
    results = []
    outcome = await asyncio.wait_for(
        listen(
            _queue_reader(queue), HanStreamDecoder(), results.append, char_time=CHAR_TIME, count=1
        ),
        timeout=10,
    )
    assert outcome.readings == 1
    assert results[0].values["1-0:1.7.0.255"].value == 1661


async def test_silence_ends_listening_or_is_reported() -> None:
    queue: asyncio.Queue = asyncio.Queue()
    outcome = await listen(
        _queue_reader(queue),
        HanStreamDecoder(),
        [].append,
        char_time=CHAR_TIME,
        silence_timeout=0.05,
    )
    assert outcome.silent
    assert outcome.readings == 0

    reports = []
    results = []

    async def later() -> None:
        await asyncio.sleep(0.15)
        queue.put_nowait(raw(BY_NAME["aidon_list1_raw_7d_inside"]))

    feeder = asyncio.create_task(later())
    outcome = await listen(
        _queue_reader(queue),
        HanStreamDecoder(),
        results.append,
        char_time=CHAR_TIME,
        count=1,
        silence_timeout=0.05,
        on_silence=reports.append,
    )
    await feeder
    assert len(reports) == 1  # reported once, not once per wake-up
    assert reports[0] >= 0.05
    assert outcome.readings == 1


def test_idle_time_comes_from_the_baud_rate() -> None:
    assert idle_time(CHAR_TIME) == pytest.approx(64 * 11 / 2400)
    assert idle_time(SerialSettings(baudrate=9600).char_time()) < idle_time(CHAR_TIME)


def _args(port: str, **options) -> argparse.Namespace:
    defaults = {"json": True, "count": 3, "timeout": 5.0, "transport": "hdlc"}
    return argparse.Namespace(port=port, **{**defaults, **options})


async def test_listen_command_on_the_simulator_pty(capsys) -> None:
    keys = SecurityKeys(bytes(range(16)))
    endpoint = await open_pty()
    sim = HanSimulator(Maker.KAIFA, keys=keys, start=datetime(2026, 1, 1, 12, 0, 0), seed=1)
    feeding = asyncio.create_task(sim.run(endpoint.writer, time_scale=0.01, count=10))
    try:
        code = await listen_port(_args(endpoint.path), keys, SerialSettings())
    finally:
        feeding.cancel()
        await endpoint.close()
    assert code == EXIT_OK
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(lines) == 3
    assert all(line["security"]["invocation_counter"] > 0 for line in lines)
    assert all(line["values"]["1-0:1.7.0.255"]["unit"] == "W" for line in lines)


async def test_listen_over_tcp_and_silent_meter(capsys, socket_enabled) -> None:
    async def meter(_reader, writer) -> None:
        sim = HanSimulator(Maker.AIDON, start=datetime(2026, 1, 1, 12, 0, 0), seed=2)
        await sim.run(writer, time_scale=0.01, count=2)
        await asyncio.sleep(1)  # then silence, with the connection still up

    server = await serve_tcp("127.0.0.1", 0, meter)
    async with server:
        port = server.sockets[0].getsockname()[1]
        url = f"socket://127.0.0.1:{port}"
        code = await listen_port(_args(url, count=5, timeout=0.5), SecurityKeys(), SerialSettings())
    assert code == EXIT_NO_ANSWER
    assert len(capsys.readouterr().out.splitlines()) == 2


async def test_lost_connection_is_exit_3(capsys, socket_enabled) -> None:
    async def meter(_reader, writer) -> None:
        sim = HanSimulator(Maker.AIDON, start=datetime(2026, 1, 1, 12, 0, 0), seed=2)
        await sim.run(writer, time_scale=0.01, count=1)  # then hang up

    server = await serve_tcp("127.0.0.1", 0, meter)
    async with server:
        port = server.sockets[0].getsockname()[1]
        url = f"socket://127.0.0.1:{port}"
        code = await listen_port(_args(url, count=5), SecurityKeys(), SerialSettings())
    assert code == EXIT_NO_DEVICE
    assert "connection lost" in capsys.readouterr().err


async def test_missing_port_is_exit_3(capsys) -> None:
    code = await listen_port(_args("/dev/does-not-exist"), SecurityKeys(), SerialSettings())
    assert code == EXIT_NO_DEVICE
    assert "error" in capsys.readouterr().err


def test_results_are_readings_or_our_errors() -> None:
    decoder = HanStreamDecoder()
    results = decoder.feed(raw(BY_NAME["kaifa_list1_raw_7e_inside"]) + b"\x7e\xa0\x08\x01\x02")
    assert all(not isinstance(r, Exception) or isinstance(r, DecodeError) for r in results)
