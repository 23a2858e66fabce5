"""The subject-key vault: one per jurisdiction, kept in that jurisdiction.

Three tables, the same on both backends (SQLite for one node, PostgreSQL for the
replicas of a region); nothing home-made in between:

- `scrubber_subject_keys`: (jurisdiction, blind index) -> (key id, secret). The
  blind index is HMAC(jurisdiction key, subject id): the id itself is never stored.
- `scrubber_subject_lineage`: (jurisdiction, blind index, pipeline) -> first and
  last time that pipeline's exporters were handed the subject's items. No values.
- `scrubber_subject_erasures`: a sequence of destroyed key ids (random, so they
  say nothing about the subject), read by every process to purge its cache.

An erasure deletes the subject's key and lineage rows in one transaction and
appends the key ids to the erasure log. SQLite runs with `secure_delete` and
checkpoints its WAL after an erasure, so the file keeps no copy of the secret;
PostgreSQL vacuums the keys table (dead row versions remain in its WAL and
backups until they expire: see README). Calls are synchronous, serialized per
backend, and run in a thread by `SubjectVault`.
"""

from __future__ import annotations

import os
import re
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Sequence

from scrubber.errors import ScrubberError
from scrubber.files import PRIVATE

KEY_ID_PREFIX = "s-"  # subject key ids: `s-` and 16 random hex digits
SECRET_BYTES = 32

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS scrubber_subject_keys (jurisdiction TEXT NOT NULL, blind_index {blob} NOT NULL, "
    "key_id TEXT NOT NULL UNIQUE, secret {blob} NOT NULL, created_at DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (jurisdiction, blind_index))",
    "CREATE TABLE IF NOT EXISTS scrubber_subject_lineage (jurisdiction TEXT NOT NULL, blind_index {blob} NOT NULL, "
    "pipeline TEXT NOT NULL, first_seen DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL, "
    "PRIMARY KEY (jurisdiction, blind_index, pipeline))",
    "CREATE TABLE IF NOT EXISTS scrubber_subject_erasures (seq {serial}, key_id TEXT NOT NULL, "
    "erased_at DOUBLE PRECISION NOT NULL)",
)


class VaultUnavailable(ScrubberError):
    """The vault cannot answer; the message names the backend and jurisdiction, never a value."""


def new_key_id() -> str:
    return KEY_ID_PREFIX + secrets.token_hex(8)


class Backend:
    """SQL shared by both backends; subclasses connect and name their dialect."""

    name = ""
    blob = "BLOB"
    serial = "INTEGER PRIMARY KEY AUTOINCREMENT"
    upsert_lineage = ""

    def __init__(self, jurisdiction: str, timeout: float):
        self.jurisdiction = jurisdiction
        self.timeout = timeout
        self._lock = threading.Lock()
        self._conn: Any = None  # a DB-API connection, opened on first use

    # ---- connection ---------------------------------------------------------------
    def _connect(self):
        raise NotImplementedError

    def _q(self, sql: str) -> str:
        return sql

    def _run(self, work):
        """`work(cursor)` in one transaction; any database error -> VaultUnavailable."""
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = self._connect()
                    self._create_schema()
                cursor = self._conn.cursor()
                try:
                    result = work(cursor)
                    self._conn.commit()
                    return result
                except BaseException:
                    self._rollback()
                    raise
                finally:
                    cursor.close()
            except VaultUnavailable:
                raise
            except Exception as exc:  # noqa: BLE001 - every driver error means: cannot vouch
                self._drop()
                raise VaultUnavailable(f"{self.name} vault of jurisdiction {self.jurisdiction!r} is unavailable "
                                       f"({type(exc).__name__})") from None

    def _create_schema(self) -> None:
        cursor = self._conn.cursor()
        for statement in _SCHEMA:
            cursor.execute(statement.format(blob=self.blob, serial=self.serial))
        self._conn.commit()
        cursor.close()

    def _rollback(self) -> None:
        try:
            self._conn.rollback()
        except Exception:  # noqa: BLE001
            self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001
                pass
            self._conn = None

    def close(self) -> None:
        with self._lock:
            self._drop()

    # ---- operations ---------------------------------------------------------------
    def get_or_create(self, subjects: Sequence[Sequence[bytes]]) -> list[tuple[str, bytes]]:
        """(key id, secret) per subject, each given as its blind indexes (the active key's
        first, then those under retired keys); a subject found under none gets a new
        random secret under the first. Concurrent creators converge on one row."""
        def work(cur):
            found = self._find(cur, [bi for candidates in subjects for bi in candidates])
            missing = [c[0] for c in subjects if not any(bi in found for bi in c)]
            if missing:
                now = time.time()
                for bi in missing:
                    cur.execute(self._q("INSERT INTO scrubber_subject_keys (jurisdiction, blind_index, key_id, secret, "
                                        "created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"),
                                (self.jurisdiction, bi, new_key_id(), secrets.token_bytes(SECRET_BYTES), now))
                found.update(self._find(cur, missing))
            out = []
            for candidates in subjects:
                entry = next((found[bi] for bi in candidates if bi in found), None)
                if entry is None:
                    raise VaultUnavailable(f"{self.name} vault of jurisdiction {self.jurisdiction!r} did not keep a new key")
                out.append(entry)
            return out
        return self._run(work)

    def _find(self, cur, indexes: list[bytes]) -> dict[bytes, tuple[str, bytes]]:
        found = {}
        for start in range(0, len(indexes), 500):
            chunk = indexes[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            cur.execute(self._q(f"SELECT blind_index, key_id, secret FROM scrubber_subject_keys "
                                f"WHERE jurisdiction = ? AND blind_index IN ({marks})"), (self.jurisdiction, *chunk))
            for bi, key_id, secret in cur.fetchall():
                found[bytes(bi)] = (key_id, bytes(secret))
        return found

    def erase(self, indexes: Sequence[bytes]) -> tuple[list[str], list[tuple[str, float, float]]]:
        """Destroy the subject's keys and lineage; (key ids destroyed, [(pipeline, first, last)])."""
        def work(cur):
            marks = ", ".join("?" * len(indexes))
            args = (self.jurisdiction, *indexes)
            cur.execute(self._q(f"SELECT key_id FROM scrubber_subject_keys WHERE jurisdiction = ? "
                                f"AND blind_index IN ({marks})"), args)
            key_ids = sorted(row[0] for row in cur.fetchall())
            cur.execute(self._q(f"SELECT pipeline, MIN(first_seen), MAX(last_seen) FROM scrubber_subject_lineage "
                                f"WHERE jurisdiction = ? AND blind_index IN ({marks}) GROUP BY pipeline"), args)
            lineage = sorted((p, float(a), float(b)) for p, a, b in cur.fetchall())
            cur.execute(self._q(f"DELETE FROM scrubber_subject_keys WHERE jurisdiction = ? AND blind_index IN ({marks})"), args)
            cur.execute(self._q(f"DELETE FROM scrubber_subject_lineage WHERE jurisdiction = ? "
                                f"AND blind_index IN ({marks})"), args)
            now = time.time()
            for key_id in key_ids:
                cur.execute(self._q("INSERT INTO scrubber_subject_erasures (key_id, erased_at) VALUES (?, ?)"), (key_id, now))
            return key_ids, lineage
        result = self._run(work)
        self._after_erase()
        return result

    def _after_erase(self) -> None:
        """Make the deleted bytes physically go away where the backend allows it."""

    def erasures_since(self, seq: int | None) -> tuple[int, list[str]]:
        """(last sequence number, key ids erased after `seq`); `seq` None: only the current position."""
        def work(cur):
            if seq is None:
                cur.execute("SELECT COALESCE(MAX(seq), 0) FROM scrubber_subject_erasures")
                return int(cur.fetchone()[0]), []
            cur.execute(self._q("SELECT seq, key_id FROM scrubber_subject_erasures WHERE seq > ? ORDER BY seq"), (seq,))
            rows = cur.fetchall()
            return (int(rows[-1][0]) if rows else seq), [r[1] for r in rows]
        return self._run(work)

    def record_lineage(self, rows: Sequence[tuple[bytes, str, float, float]]) -> None:
        """Upsert (blind index, pipeline, first seen, last seen) rows, widening the time range."""
        def work(cur):
            for bi, pipeline, first, last in rows:
                cur.execute(self._q(self.upsert_lineage), (self.jurisdiction, bi, pipeline, first, last))
        if rows:
            self._run(work)

    def prune(self, lineage_before: float, erasures_before: float) -> None:
        def work(cur):
            cur.execute(self._q("DELETE FROM scrubber_subject_lineage WHERE last_seen < ?"), (lineage_before,))
            cur.execute(self._q("DELETE FROM scrubber_subject_erasures WHERE erased_at < ?"), (erasures_before,))
        self._run(work)


class SQLiteBackend(Backend):
    name = "sqlite"
    upsert_lineage = ("INSERT INTO scrubber_subject_lineage (jurisdiction, blind_index, pipeline, first_seen, last_seen) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (jurisdiction, blind_index, pipeline) DO UPDATE SET "
                      "first_seen = MIN(first_seen, excluded.first_seen), last_seen = MAX(last_seen, excluded.last_seen)")

    def __init__(self, jurisdiction: str, timeout: float, path: Path):
        super().__init__(jurisdiction, timeout)
        self.path = path

    def _connect(self):
        PRIVATE.make_directory(str(self.path.parent))
        if not self.path.exists():  # owner only, never a group (SQLite gives its -wal and -shm the same): secrets
            os.close(PRIVATE.open(str(self.path), os.O_WRONLY | os.O_CREAT))
        conn = sqlite3.connect(self.path, timeout=self.timeout, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA secure_delete=ON")
        return conn

    def _after_erase(self) -> None:
        def checkpoint(cur):
            cur.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self._run(checkpoint)


class PostgresBackend(Backend):
    name = "postgresql"
    blob = "BYTEA"
    serial = "BIGSERIAL PRIMARY KEY"
    upsert_lineage = ("INSERT INTO scrubber_subject_lineage (jurisdiction, blind_index, pipeline, first_seen, last_seen) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (jurisdiction, blind_index, pipeline) DO UPDATE SET "
                      "first_seen = LEAST(scrubber_subject_lineage.first_seen, excluded.first_seen), "
                      "last_seen = GREATEST(scrubber_subject_lineage.last_seen, excluded.last_seen)")

    def __init__(self, jurisdiction: str, timeout: float, dsn: str):
        super().__init__(jurisdiction, timeout)
        self._dsn = dsn

    def _connect(self):
        import psycopg

        milliseconds = max(1, int(self.timeout * 1000))
        return psycopg.connect(self._dsn, connect_timeout=max(1, int(self.timeout + 0.999)),
                               options=f"-c statement_timeout={milliseconds} -c lock_timeout={milliseconds}")

    def _create_schema(self) -> None:
        # concurrent first starts of several replicas: serialize the CREATEs on an advisory lock
        cursor = self._conn.cursor()
        cursor.execute("SELECT pg_advisory_xact_lock(727272)")
        for statement in _SCHEMA:
            cursor.execute(statement.format(blob=self.blob, serial=self.serial))
        self._conn.commit()
        cursor.close()

    def _q(self, sql: str) -> str:
        return sql.replace("?", "%s")

    def _after_erase(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                self._conn.autocommit = True
                self._conn.execute("VACUUM scrubber_subject_keys")
            except Exception:  # noqa: BLE001 - the rows are deleted; vacuum is best effort
                self._drop()
            finally:
                if self._conn is not None:
                    self._conn.autocommit = False

    def __repr__(self) -> str:  # never the DSN
        return f"PostgresBackend(jurisdiction={self.jurisdiction!r})"


_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


def open_backend(config, jurisdiction: str) -> Backend | None:
    """The backend of `jurisdiction` per the vault config (VaultConfig), or None if it has none."""
    if config.backend == "sqlite":
        name = _SAFE_NAME.sub("_", jurisdiction) or "_"
        return SQLiteBackend(jurisdiction, config.timeout, Path(config.directory) / f"{name}.sqlite3")
    var = config.dsn_env.get(jurisdiction) or config.dsn_env.get("default")
    dsn = os.environ.get(var) if var else None
    if not dsn:
        return None
    return PostgresBackend(jurisdiction, config.timeout, dsn)
