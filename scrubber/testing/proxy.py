"""A byte-counting TCP proxy on loopback: what actually crossed the wire.

Used to prove that compression happened (gRPC servers do not expose the
`grpc-encoding` of a call to the application) without trusting the client.
"""

from __future__ import annotations

import asyncio

from scrubber.testing.loop_thread import LoopThread


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1"):
        self.target = (target_host, target_port)
        self.host = host
        self.port = 0
        #: bytes client -> server and server -> client
        self.upstream_bytes = 0
        self.downstream_bytes = 0
        self._loop = LoopThread("tcp-proxy")
        self._server: asyncio.base_events.Server | None = None

    @property
    def endpoint(self) -> str:
        return f"{self.host}:{self.port}"

    def start(self) -> int:
        self._loop.start()
        self._server = self._loop.run(asyncio.start_server(self._handle, self.host, self.port))
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def stop(self) -> None:
        if self._server is not None:
            self._loop.running.call_soon_threadsafe(self._server.close)
            self._server = None
        self._loop.stop()

    def __enter__(self) -> "TcpProxy":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        await asyncio.gather(self._pipe(reader, up_writer, True), self._pipe(up_reader, writer, False))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, upstream: bool) -> None:
        try:
            while data := await reader.read(65536):
                if upstream:
                    self.upstream_bytes += len(data)
                else:
                    self.downstream_bytes += len(data)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
