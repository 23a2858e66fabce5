"""The `otlp` receiver: one instance per receiver id, both transports, one hand-off.

Both servers decode a request and call the `export` callable they were given: this
receiver's `export`, bound to their transport and run on the pipeline loop, which hands
the request to the signal's consumer, counts accepted and refused items, and turns the
outcome into a response or a `Refusal` (see `status`). Keeping this in one place means
gRPC and HTTP can never disagree on semantics or counting.

The servers know nothing of the receiver: they get their config, the signals to serve,
`export`, the shared `Admission` and their `ServerAuthenticator` (issue 9 item 4). They
run, with admission, on the receiver's own edge loop (`edge.EdgeLoop`), so refusals are
answered even while the pipelines keep the service loop busy (issue 13 item 2).

With `protocols.grpc.edge: process` the gRPC port is served by a child process of its own
(`edge_supervisor.EdgeProcess`, `edge_process.py`), which refuses what the pipelines cannot
take and forwards the rest to this process's `GRPCServer`, listening on a private Unix
socket: authentication, admission, validation and export stay here, unchanged. That private
server runs on the pipeline loop itself: its calls come only from the edge process, which
already answers refusals promptly, so the hop to the edge thread and back (two cross-thread
wake-ups per call, and the two threads trading the interpreter lock) would buy nothing; it cost
~11% of this process's CPU per plain span (`benchmarks/throughput/main_cost.py`). HTTP stays on
the edge loop; both share one `Admission`, which hands places across the two loops.
"""

from __future__ import annotations

import asyncio
import functools
import traceback
from typing import Mapping

import grpc

from scrubber.component import ComponentID, Host, Settings
from scrubber.consumer import Consumer
from scrubber.errors import ConfigError, ConsumerError, PartialSuccess
from scrubber.pdata import Request, Signal, item_count, resource_groups
from scrubber.receivers.otlp import status, validate
from scrubber.receivers.otlp.admission import Admission
from scrubber.receivers.otlp.auth import ServerAuthenticator
from scrubber.receivers.otlp.config import OTLPReceiverConfig
from scrubber.receivers.otlp.edge import EdgeLoop, Export
from scrubber.receivers.otlp.edge_supervisor import EDGE_PROCESSES, EdgeProcesses
from scrubber.receivers.otlp.grpc_server import GRPCServer
from scrubber.receivers.otlp.http_server import HTTPServer

#: the shared name under which the memory_limiter publishes its gate
MEMORY_GATE = "memory_gate"


class OTLPReceiver:
    def __init__(self, settings: Settings, config: OTLPReceiverConfig, consumers: Mapping[Signal, Consumer]):
        self.settings = settings
        self.config = config
        self.consumers = dict(consumers)
        self._logger = settings.logger
        self._counters = {
            (signal, outcome): settings.telemetry.counter(
                f"receiver_{outcome}_{signal.item_name}",
                f"{signal.item_name.replace('_', ' ').capitalize()} {outcome} by the receiver (refused: not pushed into the pipeline)",
                ("receiver", "transport"),
            )
            for signal in Signal
            for outcome in ("accepted", "refused")
        }
        self._unauthenticated = settings.telemetry.counter(
            "receiver_refused_requests",
            "Requests refused by the receiver before decoding (reason: unauthenticated, memory, "
            "in_flight_bytes, concurrency, too_large)",
            ("receiver", "transport", "reason"),
        )
        self.admission = Admission(config.admission, on_refusal=self._refused_request)
        self._edge = EdgeLoop(f"otlp-receiver-{settings.id}")
        #: made at start, once their authenticators are resolved
        self._grpc: GRPCServer | None = None
        self._http: HTTPServer | None = None
        #: the gRPC edge processes, with `protocols.grpc.edge: process`
        self._edge_process: EdgeProcesses | None = None
        self._started = False
        self._stopped = False
        self._watchers: list[asyncio.Task] = []

    @property
    def grpc_port(self) -> int | None:
        """The bound gRPC port after `start` (useful with endpoint `host:0`)."""
        if self._edge_process is not None:
            return self._edge_process.port
        return self._grpc.port if self._grpc else None

    @property
    def http_port(self) -> int | None:
        return self._http.port if self._http else None

    async def start(self, host: Host | None = None) -> None:
        """Bind every enabled server; returns once they listen. Raises OSError if a port is taken."""
        if self._started:
            return
        self._started = True
        try:
            authenticators = self._resolve_authenticators(host)
            # the memory_limiter's process-wide gate, if a pipeline has one (made with the processors)
            self.admission.memory_gate = self.settings.shared.get(MEMORY_GATE)
            self._make_servers(authenticators)
            if any(self._on_edge_loop(s) for s in self._servers()):
                self._edge.start()
            # the lag that matters is the pipelines' (this loop's)
            loop = asyncio.get_running_loop()
            self._watchers = [loop.create_task(self.admission.watch_loop())]
            if self._edge_process is None or self._http is not None:
                # the edge thread shares our interpreter lock; the edge process has its own
                self._watchers.append(loop.create_task(self.admission.yield_while_refusing()))
            for server in self._servers():
                await self._on_its_loop(server, server.start())
            if self._edge_process is not None:  # once the server it forwards to listens
                await self._edge_process.start()
        except BaseException:
            await self.shutdown(1.0)
            raise
        self._logger.info(
            "otlp receiver %s listening: grpc=%s http=%s", self.settings.id,
            self._grpc and f"{self._grpc.host}:{self.grpc_port}", self._http and f"{self._http.host}:{self.http_port}",
        )

    def _make_servers(self, authenticators: dict[str, ServerAuthenticator]) -> None:
        protocols, signals = self.config.protocols, tuple(self.consumers)
        if protocols.grpc and protocols.grpc.edge == "process":
            self._edge_process = EdgeProcesses(protocols.grpc, signals, self.admission, self._logger,
                                               str(self.settings.id), self._refused_requests_of_edge, EDGE_PROCESSES)
            # the forwarded calls: the same checks, no TLS or keepalive of the public port
            private = protocols.grpc.model_copy(update={"tls": None, "keepalive": None, "max_concurrent_streams": 0})
            self._grpc = GRPCServer(private, signals, self._export_here("grpc"), self.admission,
                                    authenticators.get("grpc"), address=self._edge_process.upstream)
        elif protocols.grpc:
            self._grpc = GRPCServer(protocols.grpc, signals, self._export_for("grpc"), self.admission,
                                    authenticators.get("grpc"))
        if protocols.http:
            self._http = HTTPServer(protocols.http, signals, self._export_for("http"), self.admission,
                                    authenticators.get("http"))

    def _servers(self) -> list[GRPCServer | HTTPServer]:
        return [s for s in (self._grpc, self._http) if s is not None]

    def _on_edge_loop(self, server: GRPCServer | HTTPServer) -> bool:
        """Every server runs on the edge loop but the private one the edge process forwards to."""
        return not (server is self._grpc and self._edge_process is not None)

    async def _on_its_loop(self, server: GRPCServer | HTTPServer, coro):
        return await (self._edge.run(coro) if self._on_edge_loop(server) else coro)

    def _export_here(self, transport: str) -> Export:
        """`export` for a server on the pipeline loop."""
        async def export(signal: Signal, request: Request):
            return await self.export(signal, request, transport)
        return export

    def _export_for(self, transport: str) -> Export:
        """`export` as a server calls it from the edge loop: run on the pipeline loop."""
        async def export(signal: Signal, request: Request):
            return await self._edge.to_pipeline(self.export(signal, request, transport))
        return export

    def _resolve_authenticators(self, host: Host | None) -> dict[str, ServerAuthenticator]:
        """Ask the host for every `auth.authenticator`; a missing one stops the start
        (the config check reports it earlier, with its key path)."""
        resolved = {}
        for name, config in self.config.servers().items():
            auth = config.auth
            if not auth:
                continue
            path = f"receivers::{self.settings.id}::protocols::{name}::auth::authenticator"
            extension = host.extension(ComponentID.parse(auth.authenticator)) if host is not None else None
            if extension is None:
                raise ConfigError([f"{path}: extension {auth.authenticator!r} is not running "
                                   "(configure it under extensions and list it in service::extensions)"])
            if not callable(getattr(extension, "authenticate", None)):
                raise ConfigError([f"{path}: extension {auth.authenticator!r} is not a server authenticator"])
            resolved[name] = ServerAuthenticator(extension, functools.partial(self._refused_request, "unauthenticated", name),
                                                 self._logger, str(self.settings.id))
            if config.tls is None:
                self._logger.warning("otlp receiver %s: %s auth without tls: credentials cross the network in clear text",
                                     self.settings.id, name)
        return resolved

    async def shutdown(self, timeout: float = 5.0) -> None:
        """Stop accepting, let in-flight requests finish within `timeout`. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        for watcher in self._watchers:
            watcher.cancel()
        self._watchers = []
        if self._edge_process is not None:  # first: its in-flight calls finish through our server
            await self._edge_process.stop(timeout)
        servers = [s for s in self._servers() if self._edge.loop is not None or not self._on_edge_loop(s)]
        if servers:
            results = await asyncio.gather(*(self._on_its_loop(s, s.stop(timeout)) for s in servers),
                                           return_exceptions=True)
            for server, result in zip(servers, results):
                if isinstance(result, Exception):
                    self._logger.warning("otlp receiver %s: error stopping %s server: %s",
                                         self.settings.id, type(server).__name__, type(result).__name__)
        await self._edge.stop()
        if self._edge_process is not None:
            self._edge_process.remove_socket_dir()

    async def export(self, signal: Signal, request: Request, transport: str):
        """Hand one decoded request to its consumer; return the response or raise `status.Refusal`.
        The servers call it holding an admission slot (`admission.slot`), taken before decoding."""
        count = item_count(request)
        labels = {"receiver": str(self.settings.id), "transport": transport}
        if not resource_groups(request):
            return status.export_response(signal)  # nothing to forward
        try:
            validate.check(signal, request)  # what the Collector refuses at unmarshal
        except status.Refusal:
            self._count(signal, labels, 0, count)
            raise
        consumer = self.consumers.get(signal)
        if consumer is None:  # servers only route signals that have a consumer
            raise status.Refusal(grpc.StatusCode.UNIMPLEMENTED, f"{signal} are not received by this receiver")
        try:
            await consumer.consume(signal, request)
        except PartialSuccess as partial:
            rejected = max(0, min(partial.rejected, count))
            self._count(signal, labels, count - rejected, rejected)
            return status.export_response(signal, rejected, str(partial))
        except ConsumerError as error:
            self._count(signal, labels, 0, count)
            raise status.refusal_for(error) from None
        except Exception as error:  # a bug: answer INTERNAL and keep serving
            self._count(signal, labels, 0, count)
            self._log_bug(signal, transport, error)
            raise status.refusal_for(error) from None
        self._count(signal, labels, count, 0)
        return status.export_response(signal)

    def _refused_request(self, reason: str, transport: str, count: int = 1) -> None:
        self._unauthenticated.labels(receiver=str(self.settings.id), transport=transport, reason=reason).inc(count)

    def _refused_requests_of_edge(self, reason: str, count: int) -> None:
        """Refusals made in the gRPC edge process, reported there once a second."""
        self._refused_request(reason, "grpc", count)

    def _count(self, signal: Signal, labels: dict, accepted: int, refused: int) -> None:
        if accepted:
            self._counters[(signal, "accepted")].labels(**labels).inc(accepted)
        if refused:
            self._counters[(signal, "refused")].labels(**labels).inc(refused)

    def _log_bug(self, signal: Signal, transport: str, error: Exception) -> None:
        """Where it failed, never the exception text (it may quote personal data)."""
        frames = traceback.extract_tb(error.__traceback__)
        where = "; ".join(f"{f.filename}:{f.lineno} in {f.name}" for f in frames[-3:])
        self._logger.error(
            "otlp receiver %s: unexpected %s while consuming %s over %s (at %s)",
            self.settings.id, type(error).__name__, signal, transport, where,
        )
