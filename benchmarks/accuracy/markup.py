"""The plain-text format of the hand-written held-out corpus: easy to write and to read.

    # comments, only before the first block
    === <kind> <lang> [fields] [key=<attribute key>] [carriers=<name>,<name>]
    Hi, I'm {{PERSON_FULL|Chidi Okonkwo}}, call me on {{PHONE_NUMBER/NG|0803 555 2194}}.

A block runs until the next `===` line. `{{CATEGORY|value}}` plants a value
(`{{PHONE_NUMBER/CC|...}}` says the phone's country); a block without any is
a negative. With `fields`, each body line is `name: value` (tool-call
arguments, a kvlist log body). With `key=`, the block is a short value sent
under that attribute key (custom span/log attribute, metric label, span name).
In values of checksummed categories each `?` is a check character computed on
load (Luhn, IBAN mod-97, Verhoeff, CPF, ISO 7064), so the numbers are chosen by
hand and still valid.
"""

from __future__ import annotations

import re
from pathlib import Path

from benchmarks.accuracy import ids
from benchmarks.accuracy.items import Item, Planted

_MARK = re.compile(r"\{\{([A-Z_]+)(?:/([A-Z]{2}))?\|(.+?)\}\}", re.DOTALL)


def _complete(category: str, value: str) -> str:
    if "?" not in value:
        return value
    compact = "".join(ch for ch in value if ch.isalnum() or ch == "?")
    if category == "CREDIT_CARD":
        done = ids.luhn_complete(compact[:-1])
    elif category == "IN_AADHAAR":
        done = ids.verhoeff_complete(compact[:-1])
    elif category == "BR_CPF":
        done = ids.cpf_complete(compact[:-2])
    elif category == "CN_RESIDENT_ID":
        done = ids.cn_id_complete(compact[:-1])
    elif category == "IBAN_CODE":
        done = ids.iban_complete(compact[:2], compact[4:])
    else:
        return value
    out, it = [], iter(done[i] for i, ch in enumerate(compact) if ch == "?")
    for ch in value:
        out.append(next(it) if ch == "?" else ch)
    return "".join(out)


def _expand(text: str) -> tuple[str, list[Planted]]:
    planted: list[Planted] = []

    def sub(m: re.Match) -> str:
        category, country, value = m.group(1), m.group(2) or "", _complete(m.group(1), m.group(3))
        planted.append(Planted(value, category, country))
        return value

    return _MARK.sub(sub, text), planted


def parse(path: Path) -> list[Item]:
    items: list[Item] = []
    header, body = None, []
    lines = path.read_text(encoding="utf-8").splitlines()

    def flush() -> None:
        if header is None:
            return
        items.append(_block(path, len(items), header, "\n".join(body).strip("\n")))

    for line in lines:
        if line.startswith("==="):
            flush()
            header, body = line[3:].split(), []
        elif header is not None:
            body.append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"{path.name}: text before the first block: {line[:40]!r}")
    flush()
    return items


def _block(path: Path, index: int, header: list[str], body: str) -> Item:
    kind, lang = header[0], header[1] if len(header) > 1 else "en"
    options = dict(h.split("=", 1) for h in header[2:] if "=" in h)
    where = f"{path.stem}-{index + 1:03d}"
    if not body:
        raise ValueError(f"{where}: empty block")
    negative_kind = kind if kind.startswith("negative") else None
    if "fields" in header[2:]:
        fields, planted = {}, []
        for line in body.splitlines():
            name, _, raw = line.partition(":")
            value, found = _expand(raw.strip())
            fields[name.strip()] = value
            planted += found
        return Item(where, fields=fields, planted=planted, kind=kind, lang=lang,
                    carriers=options["carriers"].split(",") if "carriers" in options else [])
    text, planted = _expand(body)
    if negative_kind and planted:
        raise ValueError(f"{where}: a negative block plants values")
    return Item(where, text=text, key=options.get("key"), planted=planted, kind=kind, lang=lang,
                carriers=options["carriers"].split(",") if "carriers" in options else [])


def load(paths: list[Path]) -> list[Item]:
    return [item for path in paths for item in parse(path)]
