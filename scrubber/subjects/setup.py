"""Building the subject services: inside a running service (per pii processor) and
for the `erase` command (from a config file, nothing else started)."""

from __future__ import annotations

import hashlib
from typing import Any, Mapping

from scrubber.subjects.config import SubjectsConfig
from scrubber.subjects.keys import Indexer
from scrubber.subjects.resolve import SubjectResolver
from scrubber.subjects.service import Registry, SubjectKeys, SubjectVault


def vault_name(config: SubjectsConfig) -> str:
    return "subjects/vault/" + hashlib.sha256(config.identity().encode()).hexdigest()[:12]


def for_processor(host, settings, config: SubjectsConfig, material: Mapping[str, Any], failures=None) -> SubjectKeys:
    """The processor's SubjectKeys on the process-wide vault of its vault config, registered
    for the HTTP erase endpoint. The caller awaits `keys.vault.start()`."""
    vault = host.shared(vault_name(config), lambda: SubjectVault(config, settings.logger))
    member = SubjectKeys(vault, Indexer(material), SubjectResolver(config.attributes), settings.pipeline or str(settings.id),
                         failures)
    host.shared(Registry.NAME, Registry).add(member)
    return member


def members_from_config(config) -> list[SubjectKeys]:
    """Every pii-like processor of a loaded Config with `subjects` set, each with its keys loaded
    and a vault of its own per distinct vault config (for the CLI; nothing is started)."""
    from scrubber.component import Kind
    from scrubber.processors.pii.keys import KeyStore  # the jurisdiction keys are the pii processor's

    vaults: dict[str, SubjectVault] = {}
    members = []
    for component_id, entry in sorted(config.components[Kind.PROCESSOR].items(), key=lambda kv: str(kv[0])):
        subjects = getattr(entry.config, "subjects", None)
        if not isinstance(subjects, SubjectsConfig):
            continue
        keys = KeyStore.load(entry.config.keys, prefix=f"processors::{component_id}::keys")
        vault = vaults.setdefault(subjects.identity(), SubjectVault(subjects))
        members.append(SubjectKeys(vault, Indexer(keys.material()), SubjectResolver(subjects.attributes),
                                   str(component_id)))
    return members
