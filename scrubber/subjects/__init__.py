"""Per-subject erasure: crypto-shredded pseudonyms and a record of where a subject's data went.

- `resolve`: which data subject an item is about (configured attributes, item then resource);
- `keys`: subject keys as prepared HMACs, and the blind index that finds them;
- `vault`: the per-jurisdiction vault, SQLite or PostgreSQL;
- `service`: the process-wide vault service (bounded cache, erasure-log polling, lineage);
- `erase` and `receipts`: one erasure, and its append-only receipt;
- `config`: what users write under a pii processor's `subjects:`.

See README.md in this folder.
"""

from scrubber.subjects.config import SubjectsConfig
from scrubber.subjects.keys import UNAVAILABLE, SubjectKey
from scrubber.subjects.vault import VaultUnavailable

__all__ = ["SubjectsConfig", "SubjectKey", "UNAVAILABLE", "VaultUnavailable"]
