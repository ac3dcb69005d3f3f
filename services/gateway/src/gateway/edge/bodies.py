"""The client's body on its way in: read whole (small), streamed chunk by chunk (large), or
handed to the gateway's own routes, always counted against the route's limit."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.types import Message, Receive

from servicekit.errors import ProblemError


class ClientGone(Exception):
    pass


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ProblemError("payload_too_large", 413, params={"limit": limit})
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


class StreamedBody:
    """The client's body passed through chunk by chunk, counting against the limit."""

    def __init__(self, receive: Receive, limit: int) -> None:
        self._receive = receive
        self._limit = limit
        self.too_large = False

    async def chunks(self) -> AsyncIterator[bytes]:
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientGone
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._limit:
                self.too_large = True
                raise ClientGone
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return


def limited_receive(receive: Receive, limit: int) -> Receive:
    size = 0

    async def limited() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise ProblemError("payload_too_large", 413, params={"limit": limit})
        return message

    return limited
