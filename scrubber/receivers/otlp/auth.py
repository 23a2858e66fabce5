"""A server's `auth.authenticator`, as the server sees it: one question, answered fail-closed.

The receiver resolves the extension at start and hands each server one of these, so a
server asks `accepts(headers)` and never needs the receiver (issue 9 item 4: the receiver
and its servers used to call back and forth). A refusal is counted through `on_refusal`;
neither the presented nor the expected credential is ever logged.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Mapping


class ServerAuthenticator:
    def __init__(self, extension: Any, on_refusal: Callable[[], None], logger: logging.Logger, where: str):
        self.extension = extension
        self._on_refusal = on_refusal
        self._logger = logger
        self._where = where

    @property
    def scheme(self) -> str:
        """The scheme of the `WWW-Authenticate` challenge (HTTP 401)."""
        return getattr(self.extension, "scheme", "") or "Bearer"

    def accepts(self, headers: Mapping[str, str]) -> bool:
        """True if the extension accepts `headers` (lower-case names); an error refuses."""
        try:
            accepted = bool(self.extension.authenticate(headers))
        except Exception as error:  # fail closed; the text may quote a header
            self._logger.error("otlp receiver %s: authenticator raised %s; request refused",
                               self._where, type(error).__name__)
            accepted = False
        if not accepted:
            self._on_refusal()
        return accepted
