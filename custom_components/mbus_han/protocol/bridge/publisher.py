"""The bridge's one connection to the broker: reconnects with back-off, never buffers unboundedly.

While the broker is away, only the latest message per topic is kept (a meter's state, its
availability, its discovery): a few per meter, however long the outage. Raw HAN frames are a
stream, not a state: they are sent while connected and dropped otherwise (at most
:data:`STREAM_QUEUE` wait for the sender). The broker publishes the bridge's last will
(``offline``, retained) when the connection dies, so Home Assistant marks every entity of
this bridge unavailable without hearing from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .config import MqttConfig
from .discovery import OFFLINE, ONLINE

if TYPE_CHECKING:
    import aiomqtt

_LOGGER = logging.getLogger(__name__)

# Seconds between connection attempts: quick after a blip, at most a minute for a long outage.
RECONNECT_DELAYS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
STREAM_QUEUE = 256  # raw frames waiting to be sent (about 10 minutes of one meter's pushes)
KEEPALIVE = 30  # s: the broker notices a dead bridge within 1.5 of these
STOP_FLUSH = 3.0  # s a clean stop waits for queued messages to go out


type OnConnect = Callable[["aiomqtt.Client"], Awaitable[None]]


def tls_context(config: MqttConfig) -> ssl.SSLContext | None:
    """The TLS context for the broker, or None for plain TCP."""
    tls = config.tls
    if tls is None:
        return None
    context = ssl.create_default_context(cafile=tls.ca_file)
    if tls.cert_file:
        context.load_cert_chain(tls.cert_file, tls.key_file)
    if tls.insecure:
        context.check_hostname = False
    return context


class Publisher:
    """Latest-value-per-topic publishing over a connection that comes and goes."""

    def __init__(
        self,
        config: MqttConfig,
        *,
        client_id: str,
        will_topic: str,
        on_connect: OnConnect,
    ) -> None:
        self.config = config
        self.client_id = client_id
        self.will_topic = will_topic
        self.on_connect = on_connect
        self.connected = False
        self.connects = 0
        self.published = 0
        self.dropped_stream = 0
        self._latest: dict[str, tuple[bytes, bool]] = {}  # topic -> (payload, retain)
        self._stream: deque[tuple[str, bytes]] = deque(maxlen=STREAM_QUEUE)
        self._wake = asyncio.Event()
        self._client: aiomqtt.Client | None = None

    @property
    def pending(self) -> int:
        """Messages waiting (at most one per topic, plus the bounded stream)."""
        return len(self._latest) + len(self._stream)

    def publish(self, topic: str, payload: bytes | str, *, retain: bool = True) -> None:
        """Send ``payload`` on ``topic`` (QoS 1), replacing any older one not yet sent."""
        data = payload.encode() if isinstance(payload, str) else payload
        self._latest.pop(topic, None)  # to the end: after what was queued before it
        self._latest[topic] = (data, retain)
        self._wake.set()

    def publish_stream(self, topic: str, payload: bytes) -> None:
        """Send a frame while connected (QoS 0, not retained); dropped while the broker is away."""
        if not self.connected:
            self.dropped_stream += 1
            return
        if len(self._stream) == self._stream.maxlen:
            self.dropped_stream += 1
        self._stream.append((topic, payload))
        self._wake.set()

    async def run(self) -> None:
        """Connect, send, and after every loss reconnect with a growing delay; until cancelled."""
        import aiomqtt  # noqa: PLC0415 - the bridge extra; the other tools run without it

        failures = 0
        while True:
            connects = self.connects
            try:
                await self._session(aiomqtt)
            except aiomqtt.MqttError as err:
                if self.connects > connects or failures == 0:  # one warning per outage
                    _LOGGER.warning("MQTT broker %s: %s", self.config.host, err)
            finally:
                self.connected = False
                self._client = None
                self._stream.clear()
            if self.connects > connects:
                failures = 0  # it worked for a while: start the back-off over
            delay = RECONNECT_DELAYS[min(failures, len(RECONNECT_DELAYS) - 1)]
            failures += 1
            await asyncio.sleep(delay)

    async def _session(self, aiomqtt: Any) -> None:
        client = aiomqtt.Client(
            self.config.host,
            self.config.port,
            username=self.config.username,
            password=self.config.password,
            identifier=self.client_id,
            will=aiomqtt.Will(self.will_topic, OFFLINE, qos=1, retain=True),
            tls_context=tls_context(self.config),
            keepalive=KEEPALIVE,
            timeout=10,
        )
        async with client:
            self._client = client
            self.connects += 1
            _LOGGER.info("Connected to the MQTT broker %s:%s", self.config.host, self.config.port)
            await self.on_connect(client)
            await client.publish(self.will_topic, ONLINE, qos=1, retain=True)
            self.connected = True
            try:
                await self._send(client)
            finally:
                if self.connected:
                    # A clean stop: send what is queued (the index of announced meters, say),
                    # then say so, as the last will would after a crash.
                    with contextlib.suppress(Exception):
                        async with asyncio.timeout(STOP_FLUSH):
                            self._stream.clear()
                            self._wake.set()
                            await self._send(client, until_empty=True)
                    with contextlib.suppress(Exception):
                        await asyncio.wait_for(
                            client.publish(self.will_topic, OFFLINE, qos=1, retain=True), 2
                        )

    async def _send(self, client: aiomqtt.Client, *, until_empty: bool = False) -> None:
        while True:
            if until_empty and not self._latest:
                return
            await self._wake.wait()
            self._wake.clear()
            while self._latest or self._stream:
                if self._stream:
                    topic, data = self._stream.popleft()
                    await client.publish(topic, data, qos=0, retain=False)
                    self.published += 1
                    continue
                topic = next(iter(self._latest))
                data, retain = self._latest.pop(topic)
                try:
                    await client.publish(topic, data, qos=1, retain=retain)
                except BaseException:
                    # not sent: keep it unless something newer for the topic came meanwhile
                    if topic not in self._latest:
                        self._latest[topic] = (data, retain)
                    raise
                self.published += 1

    async def publish_now(self, topic: str, payload: bytes | str, *, retain: bool = True) -> None:
        """Send at once on the connected client (the start-up clean-up), bypassing the queue."""
        if self._client is None:
            raise RuntimeError("not connected")
        await self._client.publish(topic, payload, qos=1, retain=retain)
