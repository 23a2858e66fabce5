"""`POST <erasure.path>` on the health server: erasure requests from DSAR tooling.

Body `{"jurisdiction": "eu", "subject_id": "..."}`; the caller must present what
the named authenticator extension (e.g. `bearertokenauth/dsar`) admits. Answers:
200 with the receipt (no personal value), 400 for a bad body, 401 without valid
credentials, 404 when no pii processor of this process holds that jurisdiction's
subjects, 503 when a vault could not be reached (nothing recorded as done; retry).
The subject id is never logged.
"""

from __future__ import annotations

import logging

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from scrubber.component import ComponentID

log = logging.getLogger("scrubber.extension.health_check.erasure")


class ErasureEndpointConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(default="/v1/erasures", pattern=r"^/")
    #: id of a server authenticator extension (e.g. bearertokenauth/dsar); required
    authenticator: str = Field(min_length=1)


class ErasureEndpoint:
    def __init__(self, config: ErasureEndpointConfig, host_of):
        self.config = config
        self._host_of = host_of  # () -> the started Host, or None

    def route(self, app: web.Application) -> None:
        app.router.add_post(self.config.path, self.handle)

    def _authenticated(self, request: web.Request, host) -> bool:
        authenticator = host.extension(ComponentID.parse(self.config.authenticator)) if host else None
        return authenticator is not None and authenticator.authenticate(request.headers)

    async def handle(self, request: web.Request) -> web.Response:
        from scrubber.subjects.erase import ErasureError, erase_subject
        from scrubber.subjects.service import Registry
        from scrubber.subjects.vault import VaultUnavailable

        host = self._host_of()
        if not self._authenticated(request, host):
            return web.json_response({"error": "unauthenticated"}, status=401, headers={"WWW-Authenticate": "Bearer"})
        try:
            body = await request.json()
            jurisdiction, subject_id = body["jurisdiction"], body["subject_id"]
            if not isinstance(jurisdiction, str) or not isinstance(subject_id, str) or not subject_id.strip():
                raise ValueError
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "expected a JSON object {\"jurisdiction\": str, \"subject_id\": str}"},
                                     status=400)
        members = host.shared(Registry.NAME, Registry).members
        if not members:
            return web.json_response({"error": "no pii processor with subjects runs here"}, status=404)
        config = getattr(host, "config", None)
        where = exporters_of = None
        if config is not None:
            from scrubber.flows import destinations, lineage_exporters

            where, exporters_of = (lambda j: destinations(config, j)), (lambda p: lineage_exporters(config, p))
        try:
            receipt = await erase_subject(members, jurisdiction, subject_id, members[0].vault.config.receipts,
                                          where, exporters_of)
        except ErasureError as error:
            return web.json_response({"error": str(error)}, status=404)
        except VaultUnavailable as error:
            log.warning("erasure request not carried out: %s", error)
            return web.json_response({"error": str(error) + "; nothing was erased or recorded, retry"}, status=503)
        log.info("erasure carried out: jurisdiction %s, %d key(s) destroyed", jurisdiction,
                 len(receipt["key_ids_destroyed"]))
        return web.json_response(receipt)
