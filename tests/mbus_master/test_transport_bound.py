"""The receive buffer has a bound: a peer streaming between reads costs bytes, not memory."""

import asyncio

from custom_components.mbus_han.protocol.transport import (
    MAX_PENDING_BYTES,
    SerialSettings,
    open_port,
)

STREAMED = 4 * 1024 * 1024  # a gateway looping for a while between two polls (issue 11)


async def test_a_fast_streaming_peer_is_bounded(socket_enabled) -> None:
    finished = asyncio.Event()

    async def stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        piece = bytes(range(256)) * 256  # 64 KiB; the byte at each offset tells where it was
        for _ in range(STREAMED // len(piece)):
            writer.write(piece)
            await writer.drain()
        finished.set()
        await reader.read()  # until the port closes
        writer.close()

    server = await asyncio.start_server(stream, "127.0.0.1", 0)
    port_number = server.sockets[0].getsockname()[1]
    try:
        async with await open_port(f"socket://127.0.0.1:{port_number}", SerialSettings()) as port:
            await asyncio.wait_for(finished.wait(), 30)  # nobody reads meanwhile
            for _ in range(100):  # let the last bytes in flight arrive
                await asyncio.sleep(0.01)
                if port.dropped_bytes + MAX_PENDING_BYTES >= STREAMED:
                    break
            data = await port.read()
            assert len(data) <= MAX_PENDING_BYTES
            assert port.dropped_bytes + len(data) == STREAMED
            # the newest bytes are kept, in order: they end where the peer stopped
            assert data == (bytes(range(256)) * 256)[-len(data) :]
            port.discard_input()
    finally:
        server.close()
        await server.wait_closed()
