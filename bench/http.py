"""A minimal HTTP/1.1 keep-alive client on asyncio protocols, cheap enough to share two cores
with the server: requests are pre-encoded bytes, responses need a Content-Length."""

from __future__ import annotations

import asyncio
from typing import cast

HOST = "127.0.0.1"  # loopback only, always
FETCH_SECONDS = 30.0


class BadResponse(Exception):
    pass


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self._transport: asyncio.Transport | None = None
        self._head: tuple[int, int, int, bool] | None = None  # status, body start, length, close
        self.closed = False

    @classmethod
    async def open(cls, port: int) -> Connection:
        loop = asyncio.get_running_loop()
        _, protocol = await loop.create_connection(cls, HOST, port)
        return protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(ConnectionError(f"connection lost: {exc or 'closed'}"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        try:
            response = self._parse()
        except BadResponse as exc:
            waiter.set_exception(exc)
            return
        if response is not None:
            waiter.set_result(response)

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        """Send pre-encoded request bytes; returns (status, body)."""
        if self.closed or self._transport is None:
            raise ConnectionError("connection closed")
        self._waiter = asyncio.get_running_loop().create_future()
        self._transport.write(raw)
        return await self._waiter

    def close(self) -> None:
        self.closed = True
        if self._transport is not None:
            self._transport.close()

    def _parse(self) -> tuple[int, bytes] | None:
        if self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return None
            self._head = _parse_head(bytes(self._buffer[:end]), end + 4)
        status, start, length, close = self._head
        if len(self._buffer) < start + length:
            return None
        body = bytes(self._buffer[start : start + length])
        del self._buffer[: start + length]
        self._head = None
        if close:
            self.close()
        return status, body


def _parse_head(head: bytes, body_start: int) -> tuple[int, int, int, bool]:
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise BadResponse(f"not an HTTP/1.x response: {lines[0][:100]!r}")
    length = -1
    close = False
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"connection":
            close = value.strip().lower() == b"close"
        elif name == b"transfer-encoding":
            raise BadResponse("chunked responses are not supported by the bench client")
    if length < 0:
        raise BadResponse("response without Content-Length")
    return int(parts[1]), body_start, length, close


async def fetch(port: int, raw: bytes) -> tuple[int, bytes]:
    """One request on a fresh connection (probes and readiness checks)."""
    async with asyncio.timeout(FETCH_SECONDS):
        connection = await Connection.open(port)
        try:
            return await connection.request(raw)
        finally:
            connection.close()
