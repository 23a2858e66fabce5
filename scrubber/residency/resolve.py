"""Jurisdiction resolution, in the design's order (first match wins):

1. attribute `residency.jurisdiction` on the span, log record or data point;
2. the same attribute on the resource;
3. resource `cloud.region` (or a configured key) through the region table;
4. the deployment's default jurisdiction;
5. otherwise `unknown`.

A `residency.jurisdiction` that is present but malformed (not a string, not a
short lowercase-able id) resolves to `unknown` rather than falling through: the
app said something we cannot read, so we do not guess a jurisdiction for it
(fail closed: it is quarantined). A region missing from the table falls through
to step 4, as the design says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from typing import Iterable, Mapping

from opentelemetry.proto.common.v1.common_pb2 import KeyValue

from scrubber.residency.model import ATTRIBUTE, UNKNOWN, normalize

#: how a `residency.jurisdiction` attribute's key is serialized (tag, length, name): bytes of a
#: message that lack it prove that no attribute in it has that key (a cheap pre-check)
DECLARING_KEY = KeyValue(key=ATTRIBUTE).SerializeToString()


def attribute(attributes: Iterable, key: str):
    """The AnyValue of `key` in a repeated KeyValue field, or None."""
    for kv in attributes:
        if kv.key == key:
            return kv.value
    return None


#: stamp text -> what `read` makes of it (`normalize` is pure), at most MAX_READ of them
_READ: dict[str, str] = {}
_ATTRIBUTES, _LAST = attrgetter("attributes"), itemgetter(-1)
MAX_READ = 256


def read(value) -> str:
    """The jurisdiction an AnyValue of `residency.jurisdiction` names: its normalized id,
    UNKNOWN when it is not a string holding a well-formed id. One reading for everyone
    (the residency processor, the router, the pii processor's key choice), so an `EU`
    stamp is `eu` everywhere and a malformed one is `unknown` everywhere."""
    if value.WhichOneof("value") != "string_value":
        return UNKNOWN
    text = value.string_value
    found = _READ.get(text)
    if found is None:
        found = normalize(text) or UNKNOWN
        if len(_READ) < MAX_READ:  # a few ids recur on every item; a flood of odd ones is not kept
            _READ[text] = found
    return found


def declared(attributes: Iterable) -> str | None:
    """Step 1/2 on one attribute list: the normalized id, UNKNOWN if malformed, None if absent."""
    value = attribute(attributes, ATTRIBUTE)
    return None if value is None else read(value)


@dataclass(frozen=True)
class Resolver:
    #: region (lowercase) -> jurisdiction
    regions: Mapping[str, str] = field(default_factory=dict)
    region_attribute: str = "cloud.region"
    #: the deployment's default jurisdiction (None: none configured)
    default: str | None = None

    def for_resource(self, resource) -> str:
        """Steps 2-5 for items of this resource that say nothing themselves."""
        found = declared(resource.attributes)
        if found is not None:
            return found
        region = attribute(resource.attributes, self.region_attribute)
        if region is not None and region.WhichOneof("value") == "string_value":
            jurisdiction = self.regions.get(region.string_value.strip().lower())
            if jurisdiction:
                return jurisdiction
        return self.default or UNKNOWN


def stamped(item, resource_jurisdiction: str = UNKNOWN) -> str:
    """Step 1, else `resource_jurisdiction`: what the residency processor stamps on an item
    (given what `Resolver.for_resource` found) and what the router reads back (given the
    resource's own stamp, `resource_stamp`)."""
    found = declared(item.attributes)
    return resource_jurisdiction if found is None else found


def last_attributes(items) -> list | None:
    """Every item's last attribute, or None if an item has none: where the residency processor
    leaves its stamp, so the router and the aggregates can read it without scanning the rest.
    (Two `map`s: the loop runs in C; an item without attributes raises IndexError.)"""
    try:
        return list(map(_LAST, map(_ATTRIBUTES, items)))
    except IndexError:
        return None


def resource_stamp(resource) -> str:
    found = declared(resource.attributes)
    return UNKNOWN if found is None else found
