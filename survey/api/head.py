"""HEAD wherever GET is answered (RFC 9110 9.3.2): the GET handler runs and its status and headers go out, its body
does not. Litestar routes HEAD only to handlers declared for it, so this wraps the router itself."""

from __future__ import annotations

import anyio
from litestar.types import ASGIApp, Message, Receive, Scope, Send


class HeadAsGet:
    """Routes a HEAD request as GET and sends the answer without its body; a streamed body (an export) stops at
    once, the way it stops when a client goes away."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        answered = anyio.Event()

        async def send_head(message: Message) -> None:
            if answered.is_set():
                return
            if message["type"] == "http.response.body":
                await send({"type": "http.response.body", "body": b"", "more_body": False})
                answered.set()
                return
            await send(message)

        async def receive_until_answered() -> Message:
            """The client's messages, or a disconnect once the answer is sent (which ends a stream)."""
            if answered.is_set():
                return {"type": "http.disconnect"}
            result: list[Message] = []
            async with anyio.create_task_group() as group:

                async def client() -> None:
                    result.append(await receive())
                    group.cancel_scope.cancel()

                async def done() -> None:
                    await answered.wait()
                    result.append({"type": "http.disconnect"})
                    group.cancel_scope.cancel()

                group.start_soon(client)
                group.start_soon(done)
            return result[0]

        await self.app({**scope, "method": "GET"}, receive_until_answered, send_head)
