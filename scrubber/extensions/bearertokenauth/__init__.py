"""The `bearertokenauth` extension, server side (as the Collector contrib's
`bearertokenauthextension`): a receiver that names it under `auth:
{authenticator: bearertokenauth}` admits a request only if its `authorization`
header is exactly `<scheme> <token>`.

The token comes from `token` (write `${env:VAR}`, never the token itself) or
from `filename` (read at start, surrounding whitespace stripped). It is a
`SecretStr`, so a printed config shows `**********`; it is compared in
constant time and never logged, nor is what a client presented.
"""

from __future__ import annotations

import hmac
import os
from typing import Mapping

from pydantic import SecretStr, field_validator, model_validator

from scrubber.component import ComponentConfig, Factory, Host, Kind, Settings, Stability

HEADER = "authorization"


class BearerTokenAuthConfig(ComponentConfig):
    #: the scheme before the token in the header; "" means the header is the bare token
    scheme: str = "Bearer"
    token: SecretStr | None = None
    #: a file holding the token (read at start), instead of `token`
    filename: str | None = None

    @field_validator("scheme")
    @classmethod
    def _no_space(cls, value: str) -> str:
        if any(c.isspace() for c in value):
            raise ValueError("must be one word, such as 'Bearer'")
        return value

    @model_validator(mode="after")
    def _one_source(self) -> "BearerTokenAuthConfig":
        if self.token is not None and self.filename is not None:
            raise ValueError("set one of token or filename, not both")
        return self

    def deployment_errors(self) -> list[str]:
        """No token at all is reported here, as a missing key is (the default config is
        thus a valid instance that admits nobody): `validate` and `run` refuse it."""
        if self.token is None and self.filename is None:
            return ["no token configured; set token: ${env:OTLP_TOKEN} (or filename: /path/to/token)"]
        if self.token is not None and not self.token.get_secret_value().strip():
            return ["token: is empty (is its environment variable set?)"]
        if self.filename is not None and not os.path.isfile(self.filename):
            return [f"filename: file {self.filename!r} does not exist"]
        return []


class BearerTokenAuth:
    """A server authenticator: `authenticate(headers)` is True only for the configured token."""

    def __init__(self, settings: Settings, config: BearerTokenAuthConfig):
        self.config = config
        self.scheme = config.scheme
        self._expected: bytes | None = None
        if config.token is not None:
            self._expected = self._header_value(config.token.get_secret_value())

    def _header_value(self, token: str) -> bytes:
        token = token.strip()
        if not token:
            raise ValueError("bearertokenauth: the token is empty")
        return f"{self.scheme} {token}".encode() if self.scheme else token.encode()

    async def start(self, host: Host) -> None:
        if self.config.filename is not None:
            try:
                with open(self.config.filename, encoding="utf-8") as f:
                    text = f.read()
            except OSError as error:
                raise OSError(f"bearertokenauth: cannot read filename {self.config.filename!r}: "
                              f"{error.strerror or error}") from None
            self._expected = self._header_value(text)

    async def shutdown(self, timeout: float) -> None:
        return None

    def authenticate(self, headers: Mapping[str, str]) -> bool:
        """`headers` with lower-case names. Fails closed before `start` read the token."""
        presented = headers.get(HEADER)
        if self._expected is None or not presented:
            return False
        return hmac.compare_digest(presented.strip().encode("utf-8", "replace"), self._expected)


factory = Factory(
    type="bearertokenauth",
    kind=Kind.EXTENSION,
    config_class=BearerTokenAuthConfig,
    create=BearerTokenAuth,
    signals=frozenset(),
    stability=Stability.ALPHA,
)
