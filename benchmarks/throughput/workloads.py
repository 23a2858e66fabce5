"""The three benchmark workloads, as pre-built `ExportTraceServiceRequest`s.

- `plain`: HTTP server / client and DB spans, ~10 attributes each, with identifiers
  (`enduser.id`, `client.address`, `url.full` with a query string), no free text;
- `genai-chat`: chat spans in the OTel GenAI conventions of
  `shared/fixtures/instrumented/otel-genai` (`gen_ai.input.messages` /
  `gen_ai.output.messages` JSON of `{role, parts[]}`): a system prompt from 5
  templates, three RAG chunks drawn from a corpus of 300 with Zipf-like
  popularity, a conversation whose history grows turn by turn (each turn re-sends
  the earlier ones, as chat instrumentations do), a unique user prompt and a
  unique model answer with personal data;
- `genai-unique`: the same shape, every text unique (the worst case for any cache).

Generation is deterministic per (workload, seed). The shared parts (templates, RAG
corpus) come from a fixed seed, so every load-generator process draws from the same
corpus; the unique parts from the per-process seed. Personal values come from a pool
of Faker values combined with random words, which keeps generation fast enough to
build thousands of unique spans in a few seconds.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from faker import Faker
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from benchmarks.throughput import world

BASE_WORKLOADS = ("plain", "genai-chat", "genai-unique")
#: the shapes of this module, then those of `world.py` (a different generator, issue 14)
WORKLOADS = BASE_WORKLOADS + world.WORKLOADS
CORPUS_SEED = 20260101


@dataclass
class Batch:
    """One export request, serialized, with what it holds."""

    payload: bytes
    spans: int  # spans, or log records when signal is "logs"
    signal: str = "traces"


def _kv(key: str, value) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


class _People:
    """A pool of fake personal values, drawn at random."""

    def __init__(self, rng: random.Random, faker: Faker, size: int = 400):
        self.rng = rng
        self.names = [faker.name() for _ in range(size)]
        self.emails = [faker.email() for _ in range(size)]
        self.phones = [faker.phone_number() for _ in range(size)]
        self.cities = [faker.city() for _ in range(size // 4)]
        self.streets = [faker.street_address() for _ in range(size)]
        self.words = faker.words(nb=2000, unique=False) + faker.words(nb=500, unique=True)

    def pick(self, values: list[str]) -> str:
        return self.rng.choice(values)

    def prose(self, n_words: int) -> str:
        words = self.rng.choices(self.words, k=n_words)
        for i in range(0, n_words, 12):
            words[i] = words[i].capitalize()
            if i:
                words[i - 1] += "."
        return " ".join(words) + "."


def _request(spans: list[Span], service: str) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    rs = request.resource_spans.add()
    rs.resource.attributes.extend([_kv("service.name", service), _kv("cloud.region", "eu-central-1"),
                                   _kv("telemetry.sdk.language", "python"), _kv("deployment.environment", "prod")])
    ss = rs.scope_spans.add()
    ss.scope.name = "benchmarks.throughput"
    ss.spans.extend(spans)
    return request


class _SpanMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        self.t = 1_760_000_000_000_000_000

    def span(self, name: str, kind: int, attrs: list[KeyValue]) -> Span:
        self.t += self.rng.randint(10_000, 5_000_000)
        return Span(trace_id=self.rng.randbytes(16), span_id=self.rng.randbytes(8), name=name, kind=kind,
                    start_time_unix_nano=self.t, end_time_unix_nano=self.t + self.rng.randint(100_000, 90_000_000),
                    attributes=attrs)


# -- plain ------------------------------------------------------------------------------
def _plain_span(maker: _SpanMaker, people: _People, i: int) -> Span:
    rng = maker.rng
    user = f"u-{rng.randint(10_000_000, 99_999_999)}"
    ip = f"{rng.randint(11, 220)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
    kind = i % 3
    if kind == 0:
        path = rng.choice(["/api/orders", "/api/users/profile", "/checkout", "/search"])
        query = f"q={rng.choice(people.words)}&page={rng.randint(1, 9)}&email={people.pick(people.emails)}"
        return maker.span(f"GET {path}", Span.SPAN_KIND_SERVER, [
            _kv("http.request.method", "GET"), _kv("url.full", f"https://shop.example.com{path}?{query}"),
            _kv("url.path", path), _kv("url.scheme", "https"), _kv("http.route", path),
            _kv("http.response.status_code", rng.choice([200, 200, 200, 404, 500])),
            _kv("client.address", ip), _kv("enduser.id", user), _kv("server.address", "shop.example.com"),
            _kv("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")])
    if kind == 1:
        return maker.span("POST", Span.SPAN_KIND_CLIENT, [
            _kv("http.request.method", "POST"),
            _kv("url.full", f"https://payments.internal/v1/charge?customer={user}&token=tok_{rng.randbytes(6).hex()}"),
            _kv("server.address", "payments.internal"), _kv("server.port", 443),
            _kv("http.response.status_code", 200), _kv("network.protocol.version", "2"),
            _kv("enduser.id", user), _kv("client.address", ip), _kv("http.request.body.size", rng.randint(100, 9000)),
            _kv("peer.service", "payments")])
    return maker.span("SELECT orders", Span.SPAN_KIND_CLIENT, [
        _kv("db.system.name", "postgresql"), _kv("db.namespace", "shop"), _kv("db.operation.name", "SELECT"),
        _kv("db.collection.name", "orders"),
        _kv("db.query.text", "SELECT id, total FROM orders WHERE customer_id = $1 AND status = $2 LIMIT 50"),
        _kv("server.address", "db.internal"), _kv("server.port", 5432), _kv("enduser.id", user),
        _kv("db.response.returned_rows", rng.randint(0, 50)), _kv("network.peer.address", "10.0.3.7")])


# -- genai --------------------------------------------------------------------------------
class _Corpus:
    """What repeats across requests: system prompt templates and the RAG corpus (fixed seed)."""

    def __init__(self, n_chunks: int = 300):
        rng = random.Random(CORPUS_SEED)
        faker = Faker("en_US")
        faker.seed_instance(CORPUS_SEED)
        people = _People(rng, faker, 200)
        self.system = [f"You are a helpful support agent for {faker.company()}. {people.prose(60)} "
                       f"Escalations go to {people.pick(people.names)} at {people.pick(people.emails)}."
                       for _ in range(5)]
        self.chunks = [f"Article {i}: {people.prose(rng.randint(80, 160))} Contact {people.pick(people.names)} "
                       f"({people.pick(people.phones)}) for details." for i in range(n_chunks)]
        self.weights = [1.0 / (rank + 1) ** 1.1 for rank in range(n_chunks)]  # Zipf-like popularity


def _user_prompt(people: _People) -> str:
    return (f"Hi, I'm {people.pick(people.names)}, {people.prose(people.rng.randint(15, 40))} "
            f"You can reach me at {people.pick(people.emails)} or {people.pick(people.phones)}; "
            f"I live at {people.pick(people.streets)}, {people.pick(people.cities)}. #{people.rng.getrandbits(48):x}")


def _answer(people: _People, name: str) -> str:
    return (f"Thanks {name}. {people.prose(people.rng.randint(40, 90))} I will send the confirmation to "
            f"{people.pick(people.emails)}. Ref {people.rng.getrandbits(48):x}.")


def _text(role: str, content: str) -> dict:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


class _Conversation:
    def __init__(self, system: str, turns: int):
        self.system = system
        self.turns = turns
        self.history: list[dict] = []


def _genai_span(maker: _SpanMaker, people: _People, corpus: _Corpus, conv: _Conversation, unique: bool) -> Span:
    rng = maker.rng
    if unique:  # every text new: fresh system prompt and RAG chunks too
        system = f"You are a helpful support agent. {people.prose(60)} Escalate to {people.pick(people.emails)}."
        chunks = [f"Article: {people.prose(rng.randint(80, 160))} Contact {people.pick(people.names)}." for _ in range(3)]
    else:
        system = conv.system
        chunks = rng.choices(corpus.chunks, weights=corpus.weights, k=3)
    prompt = _user_prompt(people)
    answer = _answer(people, people.pick(people.names).split()[0])
    messages = [_text("system", system), *conv.history,
                {"role": "user", "parts": [{"type": "text", "content": c} for c in chunks]
                 + [{"type": "text", "content": prompt}]}]
    output = [{"role": "assistant", "parts": [{"type": "text", "content": answer}], "finish_reason": "stop"}]
    conv.history += [_text("user", prompt), _text("assistant", answer)]
    return maker.span("chat gpt-4o-mini", Span.SPAN_KIND_CLIENT, [
        _kv("gen_ai.operation.name", "chat"), _kv("gen_ai.provider.name", "openai"),
        _kv("gen_ai.request.model", "gpt-4o-mini"), _kv("gen_ai.response.model", "gpt-4o-mini"),
        _kv("gen_ai.response.id", f"chatcmpl-{rng.getrandbits(40):x}"),
        _kv("gen_ai.usage.input_tokens", rng.randint(200, 3000)), _kv("gen_ai.usage.output_tokens", rng.randint(20, 300)),
        _kv("gen_ai.input.messages", json.dumps(messages, separators=(",", ":"))),
        _kv("gen_ai.output.messages", json.dumps(output, separators=(",", ":"))),
        _kv("enduser.id", f"u-{rng.randint(10_000_000, 99_999_999)}")])


def generate(workload: str, n_requests: int, spans_per_request: int, seed: int) -> list[Batch]:
    """`n_requests` serialized requests of `spans_per_request` spans each."""
    if workload in world.WORKLOADS:
        return world.generate(workload, n_requests, spans_per_request, seed)
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; known: {', '.join(WORKLOADS)}")
    rng = random.Random(seed)
    faker = Faker("en_US")
    faker.seed_instance(seed)
    people, maker = _People(rng, faker), _SpanMaker(rng)
    corpus = _Corpus() if workload == "genai-chat" else None
    conversations: list[_Conversation] = []
    out = []
    for r in range(n_requests):
        if workload == "plain":
            spans = [_plain_span(maker, people, r * spans_per_request + i) for i in range(spans_per_request)]
        else:
            spans = [_genai_span(maker, people, corpus, _next_conversation(rng, corpus, conversations), workload == "genai-unique")
                     for _ in range(spans_per_request)]
        request = _request(spans, f"bench-{workload}")
        out.append(Batch(request.SerializeToString(), len(spans)))
    return out


def _next_conversation(rng: random.Random, corpus: _Corpus | None, live: list[_Conversation]) -> _Conversation:
    """Eight conversations in flight; a finished one (1-6 turns) is replaced by a new one."""
    live[:] = [c for c in live if len(c.history) // 2 < c.turns]
    while len(live) < 8:
        system = rng.choice(corpus.system) if corpus else ""
        live.append(_Conversation(system, rng.randint(1, 6)))
    return rng.choice(live)
