"""Config of the `otlp` receiver, with the Collector's key names.

As in the Collector, a protocol absent from `protocols` is disabled and one
written with no value (`grpc:`) is enabled with its defaults; at least one
must be set. The default config (`OTLPReceiverConfig()`, what `otlp:` alone
means) enables both, like the Collector's `createDefaultConfig`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from scrubber.component import ComponentConfig, ComponentID
from scrubber.config.types import Duration, NonNegativeInt, PositiveInt, parse_endpoint
from scrubber.receivers.otlp.admission import AdmissionConfig
from scrubber.receivers.otlp.cors import CORSConfig
from scrubber.receivers.otlp.tls import ServerTLSConfig

MIB = 1024 * 1024


def _listen_endpoint(value: object) -> str:
    """`host:port` where port 0 is allowed: the OS picks a free port (tests, sidecars)."""
    if isinstance(value, str) and value.strip().endswith(":0"):
        parse_endpoint(value.strip()[:-1] + "1")  # same checks on the host part
        return value.strip()
    return parse_endpoint(value)


#: an address to listen on, `host:port`; port 0 lets the OS choose
ListenEndpoint = Annotated[str, BeforeValidator(_listen_endpoint)]


def _url_path(value: str) -> str:
    """The Collector adds the missing leading slash; a path must not hold spaces or a query."""
    value = value.strip()
    if not value or any(c in value for c in " ?#"):
        raise ValueError(f"{value!r} is not a URL path such as '/v1/traces'")
    return value if value.startswith("/") else "/" + value


URLPath = Annotated[str, AfterValidator(_url_path)]


class KeepaliveServerParameters(ComponentConfig):
    max_connection_idle: Duration | None = None
    max_connection_age: Duration | None = None
    max_connection_age_grace: Duration | None = None
    time: Duration | None = None
    timeout: Duration | None = None


class KeepaliveEnforcementPolicy(ComponentConfig):
    min_time: Duration | None = None
    permit_without_stream: bool = False


class KeepaliveConfig(ComponentConfig):
    server_parameters: KeepaliveServerParameters | None = None
    enforcement_policy: KeepaliveEnforcementPolicy | None = None


def _component_id(value: str) -> str:
    ComponentID.parse(value)
    return value


class AuthConfig(ComponentConfig):
    """The Collector's `configauth`: the id of a server authenticator extension
    (e.g. `bearertokenauth`), which must be configured and listed in `service.extensions`."""

    authenticator: Annotated[str, AfterValidator(_component_id)]

    @property
    def authenticator_id(self) -> ComponentID:
        return ComponentID.parse(self.authenticator)


class _Server(ComponentConfig):
    tls: ServerTLSConfig | None = None
    auth: AuthConfig | None = None
    #: the Collector's client-metadata propagation; accepted, and without effect here:
    #: no scrubber component reads client metadata (no metadata_keys batching)
    include_metadata: bool = False

    def deployment_errors(self) -> list[str]:
        return [f"tls::{line}" for line in self.tls.deployment_errors()] if self.tls else []


class GRPCConfig(_Server):
    endpoint: ListenEndpoint = "localhost:4317"
    max_recv_msg_size_mib: PositiveInt = 4
    #: 0 leaves gRPC's own limit
    max_concurrent_streams: NonNegativeInt = 0
    keepalive: KeepaliveConfig | None = None
    #: where calls are accepted and refused: `thread` (the receiver's edge loop, in this process)
    #: or `process` (a child process of its own that forwards admitted calls; see edge_process.py)
    edge: Literal["thread", "process"] = "thread"

    @model_validator(mode="after")
    def _grpc_tls_version(self) -> "GRPCConfig":
        if self.tls is not None and self.tls.min_version == "1.3":
            raise ValueError("tls::min_version: '1.3' cannot be enforced by grpc's Python server (it accepts "
                             "TLS 1.2 and 1.3); use '1.2' here, or '1.3' on the http protocol")
        return self


class HTTPConfig(_Server):
    endpoint: ListenEndpoint = "localhost:4318"
    traces_url_path: URLPath = "/v1/traces"
    metrics_url_path: URLPath = "/v1/metrics"
    logs_url_path: URLPath = "/v1/logs"
    #: bytes; applies to the body as sent and again after decompression
    max_request_body_size: PositiveInt = 20 * MIB
    #: a connection with no complete request for this long (idle keep-alive, or headers
    #: still arriving, as in slowloris) is closed
    idle_timeout: Duration = 30.0
    #: the longest a request's body may take to arrive; slower is answered 408 and closed
    read_timeout: Duration = 30.0
    #: cross-origin requests from browser SDKs (allowed_origins, allowed_headers, max_age)
    cors: CORSConfig | None = None


class Protocols(ComponentConfig):
    grpc: GRPCConfig | None = None
    http: HTTPConfig | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_means_defaults(cls, data: Any) -> Any:
        """`grpc:` with no value enables the protocol with its defaults."""
        if isinstance(data, dict):
            data = {k: ({} if v is None and k in ("grpc", "http") else v) for k, v in data.items()}
        return data

    @model_validator(mode="after")
    def _at_least_one(self) -> "Protocols":
        if self.grpc is None and self.http is None:
            raise ValueError("must specify at least one protocol (grpc or http) when using the OTLP receiver")
        return self


class OTLPReceiverConfig(ComponentConfig):
    protocols: Protocols = Field(default_factory=lambda: Protocols(grpc=GRPCConfig(), http=HTTPConfig()))
    #: bounds shared by both protocols: memory, bytes in flight, concurrency (see admission.py)
    admission: AdmissionConfig = Field(default_factory=AdmissionConfig)

    @model_validator(mode="before")
    @classmethod
    def _null_protocols(cls, data: Any) -> Any:
        """`protocols:` written with no value enables nothing, which is an error (as in the Collector)."""
        if isinstance(data, dict) and "protocols" in data and data["protocols"] is None:
            data = {**data, "protocols": {}}
        return data

    def servers(self) -> dict[str, _Server]:
        """The enabled protocols by name (`grpc`, `http`)."""
        return {name: server for name in ("grpc", "http") if (server := getattr(self.protocols, name)) is not None}

    def deployment_errors(self) -> list[str]:
        """Missing TLS files, as `protocols::grpc::tls::cert_file: ...` (the loader adds the receiver's path)."""
        return [f"protocols::{name}::{line}" for name, server in self.servers().items()
                for line in server.deployment_errors()]
