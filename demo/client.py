"""A small Home Assistant client: onboarding, login, REST calls and websocket commands.

Only the public HTTP and websocket APIs the frontend itself uses, so everything the demo does
a user could do in the browser (and the demo proves those APIs accept it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Self

import aiohttp

_LOGGER = logging.getLogger(__name__)

REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=120)


class HaApiError(RuntimeError):
    """Home Assistant refused a request; the message carries its answer."""


@dataclass(slots=True, frozen=True)
class Credentials:
    """The demo user."""

    name: str
    username: str
    password: str


def client_id(base_url: str) -> str:
    """The OAuth client id HA expects from its own frontend: the site's root URL."""
    return base_url.rstrip("/") + "/"


class HaClient:
    """An authenticated session: REST with a bearer token, plus one websocket connection."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str) -> None:
        self._session = session
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._queues: dict[int, asyncio.Queue[Any]] = {}

    @property
    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    @classmethod
    async def login(
        cls, session: aiohttp.ClientSession, base_url: str, credentials: Credentials
    ) -> Self:
        """Log in with the username and password through the login flow, like the frontend."""
        base = base_url.rstrip("/")
        cid = client_id(base)
        flow = await _post_json(
            session,
            f"{base}/auth/login_flow",
            {"client_id": cid, "handler": ["homeassistant", None], "redirect_uri": cid},
        )
        result = await _post_json(
            session,
            f"{base}/auth/login_flow/{flow['flow_id']}",
            {
                "client_id": cid,
                "username": credentials.username,
                "password": credentials.password,
            },
        )
        if result.get("type") != "create_entry":
            raise HaApiError(f"login refused: {result.get('errors') or result}")
        return cls(session, base, await _token(session, base, result["result"]))

    @classmethod
    async def onboard(
        cls, session: aiohttp.ClientSession, base_url: str, credentials: Credentials
    ) -> Self:
        """Create the owner user and finish every onboarding step, as the wizard does."""
        base = base_url.rstrip("/")
        cid = client_id(base)
        created = await _post_json(
            session,
            f"{base}/api/onboarding/users",
            {
                "client_id": cid,
                "name": credentials.name,
                "username": credentials.username,
                "password": credentials.password,
                "language": "en",
            },
        )
        client = cls(session, base, await _token(session, base, created["auth_code"]))
        await client.rest("post", "/api/onboarding/core_config", {})
        await client.rest("post", "/api/onboarding/analytics", {})
        await client.rest(
            "post", "/api/onboarding/integration", {"client_id": cid, "redirect_uri": cid}
        )
        return client

    async def rest(self, method: str, path: str, payload: Any = None) -> Any:
        """Call a REST endpoint; raise :class:`HaApiError` unless it answers 2xx."""
        async with self._session.request(
            method,
            f"{self.base_url}{path}",
            json=payload,
            headers=self._headers,
            timeout=REQUEST_TIMEOUT,
        ) as response:
            text = await response.text()
            body = json.loads(text) if text.strip() else None
            if response.status >= HTTPStatus.BAD_REQUEST:
                raise HaApiError(f"{method.upper()} {path}: {response.status} {body}")
            return body

    async def ws_connect(self) -> None:
        """Open and authenticate the websocket (once) and start dispatching its messages."""
        if self._ws is not None:
            return
        ws = await self._session.ws_connect(
            f"{self.base_url.replace('http', 'ws', 1)}/api/websocket",
            timeout=aiohttp.ClientWSTimeout(ws_close=30),  # a float is deprecated (3.12)
        )
        async with asyncio.timeout(30):
            hello = await ws.receive_json()
            if hello.get("type") != "auth_required":
                raise HaApiError(f"unexpected websocket greeting {hello}")
            await ws.send_json({"type": "auth", "access_token": self._token})
            answer = await ws.receive_json()
        if answer.get("type") != "auth_ok":
            await ws.close()
            raise HaApiError(f"websocket authentication failed: {answer}")
        self._ws = ws
        self._reader = asyncio.create_task(self._dispatch(ws), name="ha-websocket-reader")

    async def _dispatch(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Hand results to their waiting command and events to their subscription queue."""
        try:
            async for message in ws:
                if message.type is not aiohttp.WSMsgType.TEXT:
                    continue
                data = message.json()
                for item in data if isinstance(data, list) else [data]:
                    message_id = item.get("id")
                    if item.get("type") == "event" and message_id in self._queues:
                        self._queues[message_id].put_nowait(item["event"])
                    elif (future := self._pending.pop(message_id, None)) and not future.done():
                        future.set_result(item)
        finally:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(HaApiError("websocket closed"))
            self._pending.clear()

    async def _send(
        self, command: str, timeout: float, message_id: int | None = None, **fields: Any
    ) -> Any:
        await self.ws_connect()
        assert self._ws is not None
        if message_id is None:
            message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        await self._ws.send_json({"id": message_id, "type": command, **fields})
        async with asyncio.timeout(timeout):
            message = await future
        if not message.get("success"):
            raise HaApiError(f"{command}: {message.get('error')}")
        return message.get("result")

    async def ws(self, command: str, timeout: float = 60.0, **fields: Any) -> Any:
        """Send one websocket command and return its result."""
        return await self._send(command, timeout, **fields)

    async def subscribe(
        self, command: str = "subscribe_events", **fields: Any
    ) -> asyncio.Queue[Any]:
        """Start a subscription; its events arrive in the returned queue."""
        await self.ws_connect()
        queue: asyncio.Queue[Any] = asyncio.Queue()
        message_id = next(self._ids)
        self._queues[message_id] = queue  # before sending: events may follow the result at once
        await self._send(command, 30.0, message_id, **fields)
        return queue

    async def create_long_lived_token(self, name: str) -> str:
        """A long-lived access token, e.g. for a test that talks to the demo directly."""
        return await self.ws("auth/long_lived_access_token", client_name=name, lifespan=3650)

    async def close(self) -> None:
        """Close the websocket (the HTTP session belongs to the caller)."""
        if self._ws is not None:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                await self._ws.close()
            self._ws = None
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                async with asyncio.timeout(5):
                    await self._reader
            self._reader = None


async def _post_json(session: aiohttp.ClientSession, url: str, payload: Any) -> Any:
    async with session.post(url, json=payload, timeout=REQUEST_TIMEOUT) as response:
        body = await response.json(content_type=None)
        if response.status >= HTTPStatus.BAD_REQUEST:
            raise HaApiError(f"POST {url}: {response.status} {body}")
        return body


async def _token(session: aiohttp.ClientSession, base: str, code: str) -> str:
    """Exchange an authorization code for an access token."""
    async with session.post(
        f"{base}/auth/token",
        data={"grant_type": "authorization_code", "code": code, "client_id": client_id(base)},
        timeout=REQUEST_TIMEOUT,
    ) as response:
        body = await response.json(content_type=None)
        if response.status != HTTPStatus.OK:
            raise HaApiError(f"token exchange failed: {response.status} {body}")
        return body["access_token"]


async def wait_for_ok(session: aiohttp.ClientSession, url: str, timeout: float) -> Any:
    """Wait until ``url`` answers 200 (e.g. HA's HTTP server and a view are up); its JSON."""
    async with asyncio.timeout(timeout):
        while True:
            try:
                async with session.get(url, timeout=aiohttp.ClientTimeout(total=5)) as response:
                    if response.status == HTTPStatus.OK:
                        return await response.json(content_type=None)
            except (aiohttp.ClientError, OSError, TimeoutError):
                pass
            # Polling is the only way to see a port open; HA offers no readiness signal.
            await asyncio.sleep(0.5)
