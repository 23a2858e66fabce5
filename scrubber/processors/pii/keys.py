"""Pseudonymization keys, per jurisdiction, and the tokens made with them.

Config names where a key lives (an environment variable or a file), never the
key itself. Each jurisdiction has several keys, one `active` for new tokens;
the others stay loaded so that old tokens remain recognisable (`matches`).
A jurisdiction without keys of its own uses the `default` one.

Token format (documented in README.md; the grammar is in `scrubber.pseudonym`, shared with
the components that only read tokens): `<TYPE:KEYID:DIGEST>` where DIGEST is the first
`length` hex digits of HMAC-SHA-256(key, normalized value). The type is not part of the HMAC
input, so the same value correlates whether a detector typed it as EMAIL_ADDRESS in a prompt
or an identifier rule as USER_ID.
Key material is never logged, never put in a token or an error message.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Mapping

from pydantic import BaseModel, ConfigDict, Field, model_validator

from scrubber.errors import ScrubberError
from scrubber.pseudonym import KEY_ID, parse_token

DEFAULT = "default"
MIN_KEY_BYTES = 16


class KeySource(BaseModel):
    """Where one key's material is: exactly one of `env` or `file`."""

    model_config = ConfigDict(extra="forbid")
    env: str | None = None
    file: str | None = None
    #: create a random key file (0600) if `file` is missing, with a warning
    generate_if_missing: bool = False

    @model_validator(mode="after")
    def _one_source(self) -> "KeySource":
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file' (never the key itself)")
        if self.generate_if_missing and self.file is None:
            raise ValueError("generate_if_missing needs 'file'")
        return self


class JurisdictionKeys(BaseModel):
    model_config = ConfigDict(extra="forbid")
    #: the key id used for new tokens
    active: str = Field(pattern=r"^" + KEY_ID + r"$")
    keys: dict[str, KeySource] = Field(min_length=1)

    @model_validator(mode="after")
    def _active_listed(self) -> "JurisdictionKeys":
        for key_id in self.keys:
            if not re.fullmatch(KEY_ID, key_id):
                raise ValueError(f"key id {key_id!r} must match {KEY_ID}")
        if self.active not in self.keys:
            raise ValueError(f"active key {self.active!r} is not in keys")
        return self


KeysConfig = dict[str, JurisdictionKeys]


class KeyUnavailable(ScrubberError):
    """A pseudonymization key could not be loaded, or there is none for a jurisdiction; the
    message names the env var or file, never the value."""


#: the former name, still caught by `processors/pii/processor.py` (its owner switches to KeyUnavailable)
KeyError_ = KeyUnavailable


def _read(source: KeySource, path: str, logger: logging.Logger | None, create: bool) -> bytes | None:
    """The key bytes, or raise KeyUnavailable naming what is missing. None only when `create` is False
    and the file would be generated."""
    if source.env is not None:
        value = os.environ.get(source.env)
        if not value:
            raise KeyUnavailable(f"{path}: environment variable {source.env} is not set")
        material = value.strip().encode("utf-8")
    else:
        assert source.file is not None  # KeySource allows exactly one of env or file
        file = Path(source.file)
        if not file.exists():
            if not source.generate_if_missing:
                raise KeyUnavailable(f"{path}: key file {source.file} does not exist")
            if not create:
                return None
            _generate(file, logger)
        _check_mode(file, path, logger)
        try:
            material = file.read_bytes().strip()
        except OSError as exc:
            raise KeyUnavailable(f"{path}: key file {source.file} cannot be read ({exc.strerror})") from None
    if len(material) < MIN_KEY_BYTES:
        where = source.env or source.file
        raise KeyUnavailable(f"{path}: key from {where} is shorter than {MIN_KEY_BYTES} bytes")
    return material


def _check_mode(file: Path, path: str, logger: logging.Logger | None) -> None:
    """A key file others can read or anyone but its owner can change is refused; one its group
    can read (a Kubernetes Secret with fsGroup) is accepted with a loud warning."""
    try:
        mode = file.stat().st_mode & 0o777
    except OSError:
        return  # reported by the read below
    if mode & 0o026:
        raise KeyUnavailable(f"{path}: key file {file} has mode {mode:04o}, readable by others or writable by "
                        "others than its owner; make it 0600 (or 0400), e.g. chmod 600, or a Secret's defaultMode 0400")
    if mode & 0o040:
        (logger or logging.getLogger("scrubber.pii.keys")).warning(
            "key file %s has mode %04o: its group can read the pseudonymization key; prefer 0600 / 0400", file, mode)


def _generate(file: Path, logger: logging.Logger | None) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    os.chmod(file, 0o600)
    (logger or logging.getLogger(__name__)).warning(
        "generated a new random pseudonymization key file %s (0600); keep it safe and back it up: "
        "tokens made with it cannot be matched again without it", file)


def check_keys(keys: Mapping[str, JurisdictionKeys], prefix: str = "keys") -> list[str]:
    """Every key that cannot be loaded, one message each naming its key path (for `validate`).
    Files marked generate_if_missing are not created here."""
    errors = []
    for jurisdiction, spec in keys.items():
        for key_id, source in spec.keys.items():
            try:
                _read(source, f"{prefix}::{jurisdiction}::keys::{key_id}", None, create=False)
            except KeyUnavailable as exc:
                errors.append(str(exc))
    return errors


def normalize(entity: str, value: str) -> str:
    """What makes two spellings the same person: e-mail addresses are case-insensitive."""
    value = value.strip()
    return value.casefold() if entity == "EMAIL_ADDRESS" or "@" in value else value


class KeyStore:
    """Loaded keys: {jurisdiction: (active id, {key id: bytes})}."""

    def __init__(self, keys: Mapping[str, tuple[str, Mapping[str, bytes]]], length: int = 12):
        self._keys = {j: (active, dict(material)) for j, (active, material) in keys.items()}
        self._by_id = {kid: m for _, (_, ms) in self._keys.items() for kid, m in ms.items()}
        self.length = length
        self._prepared: dict[bytes, _PreparedHMAC] = {}
        #: jurisdiction -> (active key id, prepared HMAC of its key): one dict read per token
        self._active: dict[str, tuple[str, _PreparedHMAC]] = {}

    @classmethod
    def load(cls, keys: Mapping[str, JurisdictionKeys], length: int = 12,
             logger: logging.Logger | None = None, prefix: str = "keys") -> "KeyStore":
        """Load every key; raise KeyUnavailable listing all that are missing."""
        loaded: dict[str, tuple[str, dict[str, bytes]]] = {}
        errors: list[str] = []
        for jurisdiction, spec in keys.items():
            material: dict[str, bytes] = {}
            for key_id, source in spec.keys.items():
                try:
                    key = _read(source, f"{prefix}::{jurisdiction}::keys::{key_id}", logger, create=True)
                except KeyUnavailable as exc:
                    errors.append(str(exc))
                    continue
                assert key is not None  # None only without `create`
                material[key_id] = key
            loaded[jurisdiction] = (spec.active, material)
        if errors:
            raise KeyUnavailable("; ".join(errors))
        return cls(loaded, length)

    def material(self) -> dict[str, tuple[str, dict[str, bytes]]]:
        """The loaded keys, to rebuild this store in a detection worker (over its pipe only)."""
        return {j: (active, dict(material)) for j, (active, material) in self._keys.items()}

    def has(self, jurisdiction: str) -> bool:
        return jurisdiction in self._keys or DEFAULT in self._keys

    def key_for(self, jurisdiction: str) -> tuple[str, bytes]:
        """(key id, key) of the jurisdiction's active key, else the default's. KeyUnavailable if neither."""
        entry = self._keys.get(jurisdiction) or self._keys.get(DEFAULT)
        if entry is None:
            raise KeyUnavailable(f"no key for jurisdiction {jurisdiction!r} and no 'default' key")
        active, material = entry
        return active, material[active]

    def pseudonym(self, jurisdiction: str, entity: str, value: str) -> str:
        active = self._active.get(jurisdiction)
        if active is None:
            key_id, key = self.key_for(jurisdiction)  # KeyUnavailable: nothing is kept
            if len(self._active) >= 1024:  # jurisdictions are few; bounded all the same
                self._active.clear()
            active = self._active[jurisdiction] = (key_id, self._prepare(key))
        key_id, prepared = active
        return f"<{entity}:{key_id}:{prepared.hexdigest(normalize(entity, value).encode('utf-8'))[:self.length]}>"

    def _prepare(self, key: bytes) -> "_PreparedHMAC":
        prepared = self._prepared.get(key)
        if prepared is None:
            prepared = self._prepared[key] = _PreparedHMAC(key)
        return prepared

    def _digest(self, key: bytes, entity: str, value: str, length: int | None = None) -> str:
        return self._prepare(key).hexdigest(normalize(entity, value).encode("utf-8"))[: length or self.length]

    def knows(self, key_id: str) -> bool:
        """True if `key_id` is one of the loaded keys (active or retired)."""
        return key_id in self._by_id

    def matches(self, value: str, token: str) -> bool:
        """True if `token` is the pseudonym of `value` under whichever loaded key it names."""
        parsed = parse_token(token)
        if parsed is None or parsed.key_id not in self._by_id:
            return False
        digest = self._digest(self._by_id[parsed.key_id], parsed.entity, value, len(parsed.digest))
        return hmac.compare_digest(digest, parsed.digest)

    def __repr__(self) -> str:  # never the material
        return f"KeyStore(jurisdictions={sorted(self._keys)})"


class _PreparedHMAC:
    """HMAC-SHA-256 (RFC 2104) with the key's inner and outer pads absorbed once.

    The same construction the `hmac` module runs, without its Python wrapper around each copy,
    update and digest: a token costs two SHA-256 state copies and two updates (1.3 us against
    2.2 for `hmac.HMAC.copy()`, and a plain span carries about three tokens).
    `tests` check it against `hmac.new` for keys shorter, equal to and longer than a block."""

    __slots__ = ("_inner", "_outer")

    def __init__(self, key: bytes):
        block = hashlib.sha256().block_size
        if len(key) > block:
            key = hashlib.sha256(key).digest()
        key = key.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in key))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in key))

    def hexdigest(self, message: bytes) -> str:
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()

    def __repr__(self) -> str:  # never the material
        return "_PreparedHMAC()"
