"""The gRPC edge in a process of its own (`protocols.grpc.edge: process`): the child's side.

Why a process: on the edge thread (`edge.py`) every grpc.aio refusal costs ~0.35 ms of
interpreter time, and that thread shares one interpreter lock with the pipelines; under 10x
overload it got about 0.4 of a core, so calls queued in gRPC core and were CANCELLED or
timed out instead of being refused with RetryInfo (tests/fuzz/README.md, issue 13 item 2).
Here the listening server and its `Admission` have an interpreter to themselves.

`python -m scrubber.receivers.otlp.edge_process`, started by `edge_supervisor.EdgeProcess`
(never a fork of the main process: this imports grpc, protobuf and the receiver's small
modules, no spaCy). Protocol, one JSON object per line:

- stdin, first line: the settings (gRPC config with endpoint, TLS and keepalive, admission
  config, signals, the private `unix:` address of the main process, the current concurrency
  limit). On stdin rather than argv, so that nothing in them ever shows in `ps`.
- stdin, later lines: `{"limit": n}` (the main process's adaptive limit, mirrored) and
  `{"stop": grace}`. End of file means the main process is gone: stop (no orphan listens on).
- stdout: `{"port": n}` once listening, or `{"error": "..."}` and exit 1; then every second
  `{"refused": {reason: count}}` so the main process counts the refusals made here.
- stderr: log records as JSON lines, relayed by the main process through its own logger.

Each call is refused at once (RESOURCE_EXHAUSTED + RetryInfo, from this process's own
tickets, slots, queue and drain rate: the same `admission` config as the main process), or
its raw bytes and invocation metadata (authorization included) are forwarded to the main
process, whose `GRPCServer` stays the authority (authentication, its own admission,
validation, export), and its answer is relayed: the response bytes, or the status code,
message and trailers (RetryInfo, UNAUTHENTICATED, INVALID_ARGUMENT) as the main process sent
them. The concurrency limit is the main process's, so what is forwarded is what the
pipelines take now: calls wait (at most `queue_timeout`) here, not there.
"""

from __future__ import annotations

import asyncio
import collections
import json
import logging
import signal as signals
import sys
import threading
import time
from typing import Any, AsyncIterator, Callable, Iterable

import grpc

from scrubber.config.types import split_endpoint
from scrubber.pdata import Signal
from scrubber.receivers.otlp.admission import Admission, AdmissionConfig
from scrubber.receivers.otlp.config import MIB, GRPCConfig
from scrubber.receivers.otlp.grpc_server import (
    QUEUE_BUDGET_KEY,
    SERVICE_NAMES,
    _one_message,
    bind,
    listen_address,
    server_options,
)
from scrubber.receivers.otlp.status import Refusal
from scrubber.service.logs import JSONFormatter, describe_exception

MODULE = "scrubber.receivers.otlp.edge_process"
#: seconds in-flight calls get when the main process is gone (stdin closed without a stop)
ORPHAN_GRACE = 1.0
#: how often refusal counts are reported to the main process
REPORT_INTERVAL = 1.0
#: request headers that belong to the connection, not the caller: never forwarded
_CONNECTION_HEADERS = {"user-agent", "content-type", "te", "host", "grpc-accept-encoding", "grpc-encoding",
                       "grpc-timeout", QUEUE_BUDGET_KEY}

log = logging.getLogger(MODULE)


def method_path(signal: Signal) -> str:
    return f"/{SERVICE_NAMES[signal]}/Export"


def forwarded_metadata(metadata: Iterable[tuple[str, Any]] | None) -> tuple[tuple[str, Any], ...]:
    """The caller's metadata (authorization and any custom header), without the transport's own."""
    return tuple((key, value) for key, value in metadata or ()
                 if not key.startswith(":") and key.lower() not in _CONNECTION_HEADERS)


def relayed_trailers(metadata: Iterable[tuple[str, Any]] | None) -> tuple[tuple[str, Any], ...]:
    """The main process's trailers as this server may send them (gRPC's own `grpc-*` keys are
    set by gRPC core, except the rich status that carries RetryInfo)."""
    return tuple((key, value) for key, value in metadata or ()
                 if not key.startswith("grpc-") or key == "grpc-status-details-bin")


class ForwardingServer:
    """The listening server of the edge process: admission here, everything else upstream."""

    def __init__(self, config: GRPCConfig, signals_served: Iterable[Signal], admission: Admission, upstream: str,
                 reuse_port: bool = False):
        self.config = config
        #: the port is shared with the other edge processes of the receiver (SO_REUSEPORT)
        self.reuse_port = reuse_port
        self.signals = tuple(signals_served)
        self.admission = admission
        self.upstream = upstream
        self._server: grpc.aio.Server | None = None
        self._channel: grpc.aio.Channel | None = None

    async def start(self) -> int:
        """Listen on the configured endpoint; the bound port, or OSError as the thread edge raises it."""
        limit = self.config.max_recv_msg_size_mib * MIB + MIB
        self._channel = grpc.aio.insecure_channel(self.upstream, options=[
            ("grpc.max_send_message_length", limit), ("grpc.max_receive_message_length", limit)])
        options = [(key, int(self.reuse_port) if key == "grpc.so_reuseport" else value)
                   for key, value in server_options(self.config)]
        server = grpc.aio.server(options=options)
        server.add_generic_rpc_handlers(tuple(self._handlers(self._channel)))
        host, port = split_endpoint(self.config.endpoint)
        bound = await bind(server, listen_address(host, port), self.config)
        await server.start()
        self._server = server
        return bound

    async def stop(self, grace: float) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.stop(grace=grace)
        if self._channel is not None:
            await self._channel.close()

    def _handlers(self, channel: grpc.aio.Channel):
        for signal in self.signals:
            upstream = channel.unary_unary(method_path(signal), request_serializer=None, response_deserializer=None)
            # client-streaming for the reason grpc_server.py gives: a refusal costs no receive
            handler = grpc.stream_unary_rpc_method_handler(self._export_method(signal, upstream))
            yield grpc.method_handlers_generic_handler(SERVICE_NAMES[signal], {"Export": handler})

    def _export_method(self, signal: Signal, upstream: grpc.aio.UnaryUnaryMultiCallable):
        async def export(messages: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
            try:
                return await self._admit_and_forward(signal, upstream, messages, context)
            except Refusal as refusal:
                await context.abort(refusal.code, refusal.message, trailing_metadata=refusal.grpc_trailers())
            except grpc.aio.AioRpcError as answer:  # the main process's refusal, relayed as it is
                await context.abort(answer.code(), answer.details() or "",
                                    trailing_metadata=relayed_trailers(answer.trailing_metadata()))
            raise AssertionError("unreachable: abort raises")

        return export

    async def _admit_and_forward(self, signal: Signal, upstream: grpc.aio.UnaryUnaryMultiCallable,
                                 messages: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
        ticket = self.admission.ticket("grpc")
        try:
            self.admission.refuse_if_full("grpc")  # before the read, as on the thread edge
            raw = await _one_message(signal, messages)
            ticket.charge(len(raw))
            arrived = time.monotonic()
            async with self.admission.slot("grpc"):
                # what is left of queue_timeout after waiting here: the main process waits no longer
                left = max(0.0, self.admission.config.queue_timeout - (time.monotonic() - arrived))
                metadata = (*forwarded_metadata(context.invocation_metadata()), (QUEUE_BUDGET_KEY, str(int(left * 1000))))
                response: bytes = await upstream(raw, metadata=metadata, timeout=context.time_remaining())
                return response
        finally:
            ticket.release()


class _Reporter:
    """Writes the protocol's stdout lines; a closed pipe (main process gone) stops the process."""

    def __init__(self, on_broken: Callable[[], None]):
        self.refused: collections.Counter[str] = collections.Counter()
        self._on_broken = on_broken

    def refusal(self, reason: str, _transport: str) -> None:
        self.refused[reason] += 1

    def send(self, message: dict) -> None:
        try:
            sys.stdout.write(json.dumps(message) + "\n")
            sys.stdout.flush()
        except (BrokenPipeError, ValueError, OSError):
            self._on_broken()

    def flush_refusals(self) -> None:
        if self.refused:
            counts, self.refused = dict(self.refused), collections.Counter()
            self.send({"refused": counts})

    async def run(self) -> None:
        while True:
            await asyncio.sleep(REPORT_INTERVAL)
            self.flush_refusals()


def _read_commands(loop: asyncio.AbstractEventLoop, on_command: Callable[[dict], None]) -> None:
    """On a thread: every stdin line to the loop; end of file (main process gone) as a stop."""
    for line in sys.stdin:
        try:
            command = json.loads(line)
        except ValueError:
            continue
        if isinstance(command, dict):
            _to_loop(loop, on_command, command)
    _to_loop(loop, on_command, {"stop": ORPHAN_GRACE})


def _to_loop(loop: asyncio.AbstractEventLoop, callback: Callable[[dict], None], command: dict) -> None:
    try:
        loop.call_soon_threadsafe(callback, command)
    except RuntimeError:  # the loop is closed: already stopping
        pass


async def serve(settings: dict) -> int:
    """Listen, report the port, serve until told to stop (or orphaned); the exit code."""
    loop = asyncio.get_running_loop()
    stopped, grace = asyncio.Event(), [ORPHAN_GRACE]

    def stop(seconds: float) -> None:
        grace[0] = seconds
        stopped.set()

    reporter = _Reporter(lambda: stop(ORPHAN_GRACE))
    admission = Admission(AdmissionConfig.model_validate(settings["admission"]), on_refusal=reporter.refusal,
                          shed_hopeless=True)
    admission.set_limit(int(settings.get("limit") or admission.limit))
    server = ForwardingServer(GRPCConfig.model_validate(settings["grpc"]), [Signal(s) for s in settings["signals"]],
                              admission, settings["upstream"], bool(settings.get("reuse_port")))
    try:
        port = await server.start()
    except OSError as error:
        reporter.send({"error": str(error)})
        return 1
    reporter.send({"port": port})

    def on_command(command: dict) -> None:
        if isinstance(command.get("limit"), int):
            admission.set_limit(command["limit"])
        if "stop" in command:
            stop(float(command["stop"]))

    threading.Thread(target=_read_commands, args=(loop, on_command), name="edge-commands", daemon=True).start()
    loop.add_signal_handler(signals.SIGTERM, stop, ORPHAN_GRACE)
    reporting = loop.create_task(reporter.run())
    await stopped.wait()
    reporting.cancel()
    await server.stop(grace[0])
    reporter.flush_refusals()
    return 0


def _setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JSONFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("grpc").setLevel(logging.WARNING)

    def excepthook(*exc_info) -> None:  # type and place only: an exception's text may quote a payload
        log.error("grpc edge process failed: %s", describe_exception(exc_info))
    sys.excepthook = excepthook


def main() -> int:
    settings = json.loads(sys.stdin.readline() or "{}")
    _setup_logging(str(settings.get("log_level") or "INFO"))
    if not settings.get("upstream"):
        log.error("grpc edge process: no settings on stdin (it is started by the otlp receiver)")
        return 2
    return asyncio.run(serve(settings))


if __name__ == "__main__":
    sys.exit(main())
