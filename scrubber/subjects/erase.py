"""One erasure, for `scrubber erase` and the HTTP endpoint: destroy, purge, record.

Given every `SubjectKeys` that could hold the subject (one per pii processor with
`subjects`), it computes the subject's blind indexes under each processor's
jurisdiction keys, erases them once per distinct vault, writes the receipt and
returns it. If a vault cannot be reached nothing is recorded as done: the caller
says so and the operator retries (the erasure is idempotent).
"""

from __future__ import annotations

import datetime
from typing import Callable, Sequence

from scrubber.errors import ScrubberError
from scrubber.subjects import receipts
from scrubber.subjects.service import SubjectKeys


class ErasureError(ScrubberError):
    """The request cannot be carried out as asked (no vault holds that jurisdiction)."""


def _when(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).isoformat(timespec="seconds")


async def erase_subject(members: Sequence[SubjectKeys], jurisdiction: str, subject_id: str, receipts_path: str,
                        where: Callable[[str], list[dict]] | None = None,
                        exporters_of: Callable[[str], list[dict]] | None = None) -> dict:
    """Erase `subject_id` of `jurisdiction`; the receipt written.

    `where(jurisdiction)` lists the config's destinations of that jurisdiction's data;
    `exporters_of(pipeline)` the exporters (and form) a lineage pipeline feeds."""
    subject_id = subject_id.strip()
    if not subject_id:
        raise ErasureError("the subject id is empty")
    covering = [m for m in members if m.indexer.covers(jurisdiction)]
    if not covering:
        raise ErasureError(f"no pii processor with subjects holds a key for jurisdiction {jurisdiction!r}")
    indexes: list[bytes] = []
    for member in covering:
        for bi in member.indexer.indexes(jurisdiction, subject_id):
            if bi not in indexes:
                indexes.append(bi)
    key_ids: list[str] = []
    spans: dict[str, list[float]] = {}
    vaults = list({id(m.vault): m.vault for m in covering}.values())
    for vault in vaults:
        destroyed, lineage = await vault.erase(jurisdiction, indexes)
        key_ids += [k for k in destroyed if k not in key_ids]
        for pipeline, first, last in lineage:
            span = spans.setdefault(pipeline, [first, last])
            span[0], span[1] = min(span[0], first), max(span[1], last)
    for member in members:
        member.indexer.purge()
    lineage_out = []
    for pipeline, (first, last) in sorted(spans.items()):
        targets = exporters_of(pipeline) if exporters_of else []
        lineage_out.append({"pipeline": pipeline, "first_seen": _when(first), "last_seen": _when(last),
                            "exporters": targets})
    receipt = {
        "time": _when(datetime.datetime.now(datetime.timezone.utc).timestamp()),
        "jurisdiction": jurisdiction,
        "blind_index": indexes[0].hex(),
        "key_ids_destroyed": key_ids,
        "vault": sorted({v.config.vault.backend for v in vaults}),
        "destinations": where(jurisdiction) if where else [],
        "lineage": lineage_out,
    }
    receipts.append(receipts_path, receipt)
    return receipt


def describe(receipt: dict) -> list[str]:
    """The receipt as lines for people: what was destroyed and where raw copies must be deleted."""
    lines = [f"erased: jurisdiction {receipt['jurisdiction']}, blind index {receipt['blind_index'][:16]}..., "
             f"{len(receipt['key_ids_destroyed'])} subject key(s) destroyed: "
             f"{', '.join(receipt['key_ids_destroyed']) or 'none (no key existed)'}"]
    for entry in receipt["lineage"]:
        for target in entry["exporters"] or [{"exporter": f"(pipeline {entry['pipeline']})", "form": "unknown"}]:
            if target["form"] == "raw":
                verb = "raw items of this subject went to"
                tail = ": delete them there"
            else:
                verb = f"{target['form']} items of this subject went to"
                tail = " (their tokens can no longer be linked to the subject)" if target.get("subject_keyed") else ""
            lines.append(f"  {verb} {target['exporter']} (in {target.get('exporter_in', '?')}) between "
                         f"{entry['first_seen']} and {entry['last_seen']}{tail}")
    raw = [d for d in receipt["destinations"] if d["form"] == "raw"]
    for d in raw:
        lines.append(f"  this jurisdiction's raw data is configured to reach {d['exporter']} (in {d['exporter_in']}): "
                     "raw copies there are the backend's to delete")
    return lines


def run_erase(config_path: str, jurisdiction: str, subject_id: str, as_json: bool = False) -> int:
    """`scrubber erase`: exit 0 when erased and recorded, 1 otherwise (nothing recorded as done)."""
    import asyncio
    import json
    import sys

    from scrubber.config.loader import load_config
    from scrubber.errors import ConfigError
    from scrubber.flows import destinations, lineage_exporters
    from scrubber.subjects.setup import members_from_config
    from scrubber.subjects.vault import VaultUnavailable

    try:
        config = load_config(config_path, checks=False)  # the daemon's config: erasure must not wait on a residency fix
        members = members_from_config(config)
    except ConfigError as error:
        print(f"{config_path}: invalid configuration ({len(error.errors)} errors):", file=sys.stderr)
        for line in error.errors:
            print(f"  {line}", file=sys.stderr)
        return 1
    except Exception as error:  # noqa: BLE001 - a key that cannot be loaded: its message names the source
        print(f"scrubber erase: {error}", file=sys.stderr)
        return 1
    if not members:
        print(f"scrubber erase: no pii processor in {config_path} has `subjects` configured", file=sys.stderr)
        return 1
    receipts_path = members[0].vault.config.receipts

    async def erase() -> dict:
        try:
            return await erase_subject(members, jurisdiction, subject_id, receipts_path,
                                       lambda j: destinations(config, j), lambda p: lineage_exporters(config, p))
        finally:
            for vault in {id(m.vault): m.vault for m in members}.values():
                await vault.close()

    try:
        receipt = asyncio.run(erase())
    except (ErasureError, VaultUnavailable) as error:
        print(f"scrubber erase: {error}; nothing was erased or recorded", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps(receipt, indent=2, sort_keys=True))
    else:
        print("\n".join(describe(receipt)))
        print(f"receipt appended to {receipts_path}")
    return 0
