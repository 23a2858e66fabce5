"""A trace export request read for its attribute keys only: what `ContentCheck` decides on.

The content check reads every key of every span (and of its events) of a plain request, a
wrapper object and a string per attribute, about 5 us per span in the main process. Here the
request's serialized bytes (made anyway for the pool worker) are parsed into a schema that
declares nothing but those keys: the same field numbers as the OTLP protos for the path to
each key (request -> resource spans -> resource / scope spans -> scope / span -> event ->
key), every other field unknown and dropped (`DiscardUnknownFields`, in C). A span then
serializes to a short blob of exactly its keys, in order, which a set answers "seen plain
before" for at the cost of one small serialization. The field numbers are taken from the
OTLP descriptors themselves, so the schema cannot drift from them.
"""

from __future__ import annotations

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, ScopeSpans, Span

_PACKAGE = "scrubber.span_keys"
_F = descriptor_pb2.FieldDescriptorProto

#: (our message, OTLP message, [(field, our type or None for the key string, repeated)])
_SCHEMA = (
    ("Key", KeyValue, [("key", None, False)]),
    ("Event", Span.Event, [("attributes", "Key", True)]),
    ("Span", Span, [("attributes", "Key", True), ("events", "Event", True)]),
    ("Scope", InstrumentationScope, [("attributes", "Key", True)]),
    ("ScopeSpans", ScopeSpans, [("scope", "Scope", False), ("spans", "Span", True)]),
    ("Resource", Resource, [("attributes", "Key", True)]),
    ("ResourceSpans", ResourceSpans, [("resource", "Resource", False), ("scope_spans", "ScopeSpans", True)]),
    ("Request", ExportTraceServiceRequest, [("resource_spans", "ResourceSpans", True)]),
)


def _message_class():
    file = descriptor_pb2.FileDescriptorProto(name="scrubber_span_keys.proto", package=_PACKAGE, syntax="proto3")
    for name, otlp, fields in _SCHEMA:
        message = file.message_type.add(name=name)
        for field_name, type_name, repeated in fields:
            field = message.field.add(name=field_name, number=otlp.DESCRIPTOR.fields_by_name[field_name].number,
                                      label=_F.LABEL_REPEATED if repeated else _F.LABEL_OPTIONAL)
            if type_name is None:
                field.type = _F.TYPE_STRING
            else:
                field.type, field.type_name = _F.TYPE_MESSAGE, f".{_PACKAGE}.{type_name}"
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(f"{_PACKAGE}.Request"))


#: a trace export request with nothing but the keys `ContentCheck` reads
TraceKeys = _message_class()


def trace_keys(data: bytes):
    """The keys-only view of a serialized ExportTraceServiceRequest (DecodeError if malformed)."""
    keys = TraceKeys.FromString(data)
    keys.DiscardUnknownFields()
    return keys
