"""`build_engine`: a pii `Engine` from a validated config and loaded keys.

Its own module because two places build engines, the processor in the main process and
the request scrubber in a pool worker (`offload.py`), and neither may import the other.
"""

from __future__ import annotations

from scrubber.processors.pii.catalog import FieldNames, Role, Rule, build_catalog, shipped_field_names
from scrubber.processors.pii.config import PIIProcessorConfig
from scrubber.processors.pii.engine import Engine
from scrubber.processors.pii.keys import KeyStore


def build_engine(config: PIIProcessorConfig, keys: KeyStore) -> Engine:
    rules = [(r.key, Rule(Role(r.role), r.entity if r.role == "identifier" else "", r.operator)) for r in config.rules]
    catalog = build_catalog(rules, config.allow_keys, Role(config.unknown_keys),
                            config.use_shipped_catalog)
    shipped = shipped_field_names() if config.use_shipped_catalog else FieldNames({}, frozenset())
    names = FieldNames({**shipped.identifiers, **config.structured_fields.identifiers},
                       shipped.safe | frozenset(config.structured_fields.safe), shipped.url_parameters)
    return Engine(config, catalog, names, keys)
