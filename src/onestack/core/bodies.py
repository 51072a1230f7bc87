"""Reading request bodies without letting a slow or silent client hold the API.

A client that announces a body and then stops sending would otherwise keep its request
alive for ever: a buffered body parks a coroutine and a socket, a streamed upload parks a
worker thread. Every wait for the next chunk therefore has an idle timeout (the client then
gets a 408), and streamed uploads run their handlers on a limiter of their own, so however
many of them stall, the handler pool every other request needs stays free.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
import anyio.from_thread
from starlette.requests import Request

from onestack.core.errors import PayloadTooLarge, RequestTimeout

if TYPE_CHECKING:
    from onestack.core.config import Settings


@dataclass(frozen=True)
class BodyLimits:
    """How long a body may pause between chunks, how large a buffered body may be, and
    how many streamed uploads may run their handlers at once (more wait, holding no
    thread)."""

    idle_timeout: float = 30.0
    max_buffered: int = 1 << 20  # JSON bodies; uploads are streamed and never buffered
    upload_slots: int = 32

    def __post_init__(self) -> None:
        if self.idle_timeout <= 0 or self.upload_slots < 1 or self.max_buffered < 1:
            raise ValueError(f"body limits must be positive: {self}")

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        return cls(idle_timeout=settings.body_idle_timeout,
                   upload_slots=settings.upload_workers)


async def _next_chunk(stream: AsyncIterator[bytes], idle_timeout: float) -> bytes | None:
    """The next chunk of the body, None at its end; 408 after ``idle_timeout`` of silence."""
    try:
        with anyio.fail_after(idle_timeout):
            return await stream.__anext__()
    except StopAsyncIteration:
        return None
    except TimeoutError:
        raise RequestTimeout(f"No request body data arrived for {idle_timeout:g} seconds.") \
            from None


async def read_body(request: Request, limits: BodyLimits) -> bytes:
    """The whole body, for routes that parse it: 413 past ``max_buffered``, 408 when the
    client falls silent."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limits.max_buffered:
        raise PayloadTooLarge()
    stream = request.stream().__aiter__()
    chunks = []
    size = 0
    while (chunk := await _next_chunk(stream, limits.idle_timeout)) is not None:
        size += len(chunk)
        if size > limits.max_buffered:
            raise PayloadTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


def thread_chunks(request: Request, limits: BodyLimits) -> Iterator[bytes]:
    """The body as a blocking iterator for a handler in a worker thread; a client silent
    for ``idle_timeout`` raises ``RequestTimeout`` into the handler, which frees its thread."""
    stream = request.stream().__aiter__()
    while True:
        chunk = anyio.from_thread.run(_next_chunk, stream, limits.idle_timeout)
        if chunk is None:
            return
        if chunk:
            yield chunk


class UploadLimiter:
    """The streamed-upload limiter, made on first use inside the running event loop."""

    def __init__(self, slots: int):
        self.slots = slots
        self._limiter: anyio.CapacityLimiter | None = None

    def get(self) -> anyio.CapacityLimiter:
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.slots)
        return self._limiter
