"""Collector components scrubber leaves out on purpose, with the reason and what to use.

A config copied from the Collector's docs that names one of them gets this text instead
of a bare "unknown type": the operator learns why and what to write instead.
"""

from __future__ import annotations

from scrubber.component import Kind

ABSENT: dict[tuple[Kind, str], str] = {
    (Kind.EXTENSION, "pprof"): (
        "the pprof extension serves Go runtime profiles, which a Python process does not have; "
        "profile scrubber with py-spy (py-spy record --pid PID) instead, and read "
        "scrubber_process_* and process_* on the own-metrics endpoint"),
    (Kind.EXTENSION, "zpages"): (
        "zpages would show sampled spans in flight, that is raw, unscrubbed telemetry, on an HTTP page; "
        "use the own-metrics endpoint (service::telemetry::metrics) and the health_check extension instead"),
    (Kind.PROCESSOR, "redaction"): (
        "scrubber's pii processor does the redaction processor's job with detection, keyed pseudonyms and "
        "fail-closed handling; configure a pii processor instead"),
    (Kind.PROCESSOR, "transform"): (
        "OTTL transforms can copy personal data to places the residency proof does not see; "
        "not available: scrub with pii, route with residency_router"),
    (Kind.PROCESSOR, "attributes"): (
        "not available: personal data in attributes is handled by the pii processor (rules: for your own keys)"),
}


def absent_reason(kind: Kind, type_: str) -> str | None:
    return ABSENT.get((kind, type_))
