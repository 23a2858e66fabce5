"""What users write under `processors: pii[/name]: subjects:` (see README.md).

Absent (the default) means no subject keys: every pseudonym is keyed by the
jurisdiction key as before. Present, the items whose subject is named by one of
`attributes` get pseudonyms keyed by that subject's own secret from the vault of
the item's jurisdiction.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scrubber.config.types import Duration

#: resource then item; the first attribute found names the subject (`a.b` after a JSON key:
#: the OpenAI `user` inside `llm.invocation_parameters`)
DEFAULT_ATTRIBUTES = ("enduser.id", "user.id", "gen_ai.user", "llm.invocation_parameters.user")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VaultConfig(_Strict):
    #: sqlite: one file per jurisdiction under `directory` (one node);
    #: postgresql: one server per jurisdiction, shared by the replicas of that region
    backend: Literal["sqlite", "postgresql"] = "sqlite"
    directory: str = "data/subjects"
    #: postgresql: jurisdiction (or `default`) -> environment variable holding the libpq DSN
    #: (never the DSN itself in YAML: it may carry a password)
    dsn_env: dict[str, str] = Field(default_factory=dict)
    #: a vault call that takes longer fails closed
    timeout: Duration = 2.0
    #: how often each process reads the vault's erasure log; an erasure made by another
    #: process or replica is honoured within this bound (plus one vault round trip)
    poll_interval: Duration = 1.0
    #: how long the erasure log keeps an entry (only random key ids, for slow replicas)
    erasure_log_retention: Duration = 86400.0

    @model_validator(mode="after")
    def _backend_settings(self) -> "VaultConfig":
        if self.backend == "postgresql" and not self.dsn_env:
            raise ValueError("backend postgresql needs dsn_env: {<jurisdiction>|default: ENV_VAR}")
        if self.backend == "sqlite" and self.dsn_env:
            raise ValueError("dsn_env is for backend postgresql")
        return self

    def deployment_errors(self) -> list[str]:
        """Settings only the deployment shows: the DSN variables set and parseable, the
        sqlite directory creatable. No connection is made (validate runs offline)."""
        if self.backend == "sqlite":
            return _directory_errors(self.directory, "vault::directory")
        from psycopg.conninfo import conninfo_to_dict

        errors = []
        for jurisdiction, var in self.dsn_env.items():
            value = os.environ.get(var)
            if not value:
                errors.append(f"vault::dsn_env::{jurisdiction}: environment variable {var} is not set")
                continue
            try:
                conninfo_to_dict(value)
            except Exception:  # noqa: BLE001 - psycopg's message may quote the DSN (a password)
                errors.append(f"vault::dsn_env::{jurisdiction}: {var} is not a valid PostgreSQL DSN")
        return errors


class CacheConfig(_Strict):
    #: subject secrets held in memory per process (least recently used evicted)
    max_entries: int = Field(default=100_000, ge=1)


class LineageConfig(_Strict):
    #: keep, per subject blind index, which pipelines' exporters got its items and when
    enabled: bool = True
    #: lineage rows not seen for this long are deleted
    retention: Duration = 30 * 86400.0
    #: lineage is written to the vault in the background at this interval
    flush_interval: Duration = 5.0


class SubjectsConfig(_Strict):
    attributes: list[str] = Field(default_factory=lambda: list(DEFAULT_ATTRIBUTES), min_length=1)
    vault: VaultConfig = Field(default_factory=VaultConfig)
    cache: CacheConfig = Field(default_factory=CacheConfig)
    lineage: LineageConfig = Field(default_factory=LineageConfig)
    #: the append-only log of erasure receipts (JSON lines, 0600)
    receipts: str = "data/subjects/erasure-receipts.jsonl"

    def deployment_errors(self) -> list[str]:
        errors = self.vault.deployment_errors() + _directory_errors(str(Path(self.receipts).parent), "receipts")
        return [f"subjects::{e}" for e in errors]

    def identity(self) -> str:
        """What makes two processors share one vault service in a process."""
        return self.vault.model_dump_json()


def _directory_errors(directory: str, path: str) -> list[str]:
    """The directory exists and is writable, or can be made (its nearest existing parent is writable)."""
    here = Path(directory)
    while not here.exists():
        if here.parent == here:
            break
        here = here.parent
    if not here.is_dir():
        return [f"{path}: {directory!r} is not a directory"]
    if not os.access(here, os.W_OK | os.X_OK):
        return [f"{path}: {directory!r} is not writable"]
    return []
