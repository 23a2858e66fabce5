"""Server TLS of the `otlp` receiver, with the Collector's `configtls` key names.

`cert_file` + `key_file` turn TLS on; `client_ca_file` turns on mutual TLS
(a client must present a certificate signed by that CA, or the handshake
fails); `min_version` is "1.2" (default) or "1.3". gRPC gets
`grpc.ssl_server_credentials`, HTTP an `ssl.SSLContext` for aiohttp. Files are
read when the server starts; the config loader reports missing ones first
(`deployment_errors`), each with its key path.
"""

from __future__ import annotations

import os
import ssl
from typing import Literal

import grpc
from pydantic import model_validator

from scrubber.component import ComponentConfig

_FILE_KEYS = ("cert_file", "key_file", "client_ca_file")


class ServerTLSConfig(ComponentConfig):
    cert_file: str | None = None
    key_file: str | None = None
    #: set: clients must present a certificate signed by this CA (mTLS)
    client_ca_file: str | None = None
    min_version: Literal["1.2", "1.3"] = "1.2"

    @model_validator(mode="after")
    def _cert_and_key(self) -> "ServerTLSConfig":
        """A server cannot speak TLS without both; a `tls:` block without them would
        otherwise silently serve plaintext, so both are required whenever `tls` is set."""
        if not self.cert_file or not self.key_file:
            missing = " and ".join(k for k in ("cert_file", "key_file") if not getattr(self, k))
            raise ValueError(f"cert_file and key_file must both be set for a TLS server (missing: {missing}); "
                             "remove `tls` to serve plaintext")
        return self

    def deployment_errors(self) -> list[str]:
        """`key: message` for every file that is missing or unreadable."""
        errors = []
        for key in _FILE_KEYS:
            path = getattr(self, key)
            if path and not os.path.isfile(path):
                errors.append(f"{key}: file {path!r} does not exist")
            elif path and not os.access(path, os.R_OK):
                errors.append(f"{key}: file {path!r} is not readable")
        return errors


def _required(path: str | None, key: str) -> str:
    """The validator has made sure cert_file and key_file are set; this tells the type checker."""
    if not path:
        raise OSError(f"otlp receiver: tls::{key}: not set")
    return path


def _read(path: str | None, key: str) -> bytes:
    path = _required(path, key)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as error:
        raise OSError(f"otlp receiver: tls::{key}: cannot read {path!r}: {error.strerror or error}") from None


def grpc_credentials(config: ServerTLSConfig) -> grpc.ServerCredentials:
    """Server credentials; with `client_ca_file`, a client certificate is required and verified.
    gRPC's Python API cannot raise the minimum TLS version (config validation refuses "1.3")."""
    ssl_context(config)  # a clear error for a bad PEM or a key that does not match (grpc would only log)
    key = _read(config.key_file, "key_file")
    cert = _read(config.cert_file, "cert_file")
    ca = _read(config.client_ca_file, "client_ca_file") if config.client_ca_file else None
    return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=ca is not None)


def ssl_context(config: ServerTLSConfig) -> ssl.SSLContext:
    """A server context: the certificate, the minimum version, and mTLS when configured."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3 if config.min_version == "1.3" else ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(_required(config.cert_file, "cert_file"), _required(config.key_file, "key_file"))
        if config.client_ca_file:
            context.load_verify_locations(cafile=config.client_ca_file)
            context.verify_mode = ssl.CERT_REQUIRED
    except (OSError, ssl.SSLError) as error:
        raise OSError(f"otlp receiver: cannot load the TLS certificate, key or client CA "
                      f"({config.cert_file!r}, {config.key_file!r}, {config.client_ca_file!r}): "
                      f"{getattr(error, 'reason', None) or type(error).__name__}") from None
    return context
