"""Workloads in the shapes real GenAI traffic has (issue 14 item 4), from a generator unlike `workloads.py`.

`workloads.py` builds prose from random English words and sends system prompt, RAG chunks
and history as separate message parts, the shape the whole-text cache was designed around.
This module is a different generator on purpose: Faker's per-locale lorem sentences and
paragraphs in four locales (en_GB, de_DE, fr_FR, en_IN), names, e-mails, phones and addresses
of those locales, a RAG pool of 300 titled documents with Zipf(1.3) popularity, and the shapes:

- `world-rag-concat`: OTel GenAI chat spans whose system message is ONE text part holding a
  system prompt (one of five) followed by three RAG chunks, a conversation history that grows
  turn by turn (re-sent each turn), a unique user turn with personal data;
- `world-rag-docs`: OpenInference retriever spans, the retrieved documents as separate
  attributes (`retrieval.documents.{i}.document.content`), a unique query in `input.value`;
- `world-multi-turn`: OpenLLMetry-style chats (`gen_ai.prompt.{i}.content` per message) of up to
  ten turns, each span re-sending the whole history;
- `world-logs`: GenAI log events (log records `gen_ai.user.message` / `gen_ai.choice` with the
  message in a kvlist body), the history re-sent as earlier events;
- `world-mixed`: an ordinary service: HTTP, database, cache and messaging spans (~15 attributes,
  a few user ids), one span in twenty a `world-rag-concat` GenAI span;
- `world-unique`: the `world-rag-concat` shape with every text unique, single-turn (nothing is
  re-sent: the worst case for any cache).
"""

from __future__ import annotations

import json
import random

from faker import Faker
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord
from opentelemetry.proto.trace.v1.trace_pb2 import Span

WORKLOADS = ("world-rag-concat", "world-rag-docs", "world-multi-turn", "world-logs", "world-mixed", "world-unique")
SPANS_PER_REQUEST = {"world-rag-concat": 10, "world-rag-docs": 10, "world-multi-turn": 10, "world-logs": 20,
                     "world-mixed": 100, "world-unique": 10}
LOCALES = ("en_GB", "de_DE", "fr_FR", "en_IN")
POOL_SEED = 14_000_014


def _kv(key: str, value) -> KeyValue:
    if isinstance(value, float):
        return KeyValue(key=key, value=AnyValue(double_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=str(value)))


class _Voices:
    """One Faker per locale; texts in a random locale each."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.fakers = []
        for i, locale in enumerate(LOCALES):
            faker = Faker(locale)
            faker.seed_instance(seed + i)
            self.fakers.append(faker)

    def any(self) -> Faker:
        return self.rng.choice(self.fakers)

    def person(self) -> str:
        f = self.any()
        return f"{f.name()} ({f.email()}, {f.phone_number()})"

    def user_turn(self) -> str:
        f = self.any()
        return (f"{f.sentence()} My name is {f.name()}, my account e-mail is {f.email()}. "
                f"{f.paragraph(nb_sentences=self.rng.randint(1, 3))} Please call me on {f.phone_number()}; "
                f"I live at {f.address().replace(chr(10), ', ')}. Order {self.rng.getrandbits(40):x}.")

    def answer(self) -> str:
        f = self.any()
        return (f"Hello {f.first_name()}, {f.paragraph(nb_sentences=self.rng.randint(2, 5))} "
                f"A confirmation goes to {f.email()}.")


class _Pool:
    """What recurs across requests: five system prompts and 300 RAG documents (fixed seed)."""

    def __init__(self, size: int = 300):
        v = _Voices(POOL_SEED)
        self.system = [f"You are the assistant of {f.company()}. {f.paragraph(nb_sentences=4)} "
                       f"Escalate complaints to {v.person()}." for f in (v.any() for _ in range(5))]
        self.docs = []
        for i in range(size):
            f = v.any()
            self.docs.append(f"[KB-{1000 + i}] {f.catch_phrase()}\n{f.paragraph(nb_sentences=v.rng.randint(4, 9))} "
                             f"Owner: {f.name()}, {f.phone_number()}.")
        self.weights = [1.0 / (rank + 1) ** 1.3 for rank in range(size)]


def _messages(role: str, content: str) -> dict:
    return {"role": role, "parts": [{"type": "text", "content": content}]}


class _Maker:
    def __init__(self, workload: str, seed: int):
        self.workload = workload
        self.voices = _Voices(seed)
        self.rng = self.voices.rng
        self.pool = _Pool() if workload != "world-unique" else None
        self.t = 1_770_000_000_000_000_000
        self.chats: list[dict] = []
        self._seed = seed
        self._chats_made = 0

    def chat(self, max_turns: int = 6) -> dict:
        """One of eight conversations in flight; a finished one is replaced."""
        self.chats = [c for c in self.chats if c["turn"] < c["turns"]]
        while len(self.chats) < 8:
            system = (self.rng.choice(self.pool.system) if self.pool else
                      f"You are an assistant. {self.voices.any().paragraph(nb_sentences=4)} Escalate to {self.voices.person()}.")
            self._chats_made += 1
            self.chats.append({"system": system, "history": [], "turn": 0, "turns": self.rng.randint(1, max_turns),
                               # 12 hex digits, from the seed and a count: the same in every process (not id())
                               "id": f"{((self._seed << 24) | self._chats_made) % 16**12:012x}"})
        chat = self.rng.choice(self.chats)
        chat["turn"] += 1
        return chat

    def docs(self, k: int) -> list[str]:
        if self.pool is None:
            return [f"[KB-{self.rng.randint(1, 10**6)}] {self.voices.any().paragraph(nb_sentences=6)} "
                    f"Owner: {self.voices.person()}." for _ in range(k)]
        return self.rng.choices(self.pool.docs, weights=self.pool.weights, k=k)

    def span(self, name: str, kind: int, attrs: list[KeyValue]) -> Span:
        self.t += self.rng.randint(10_000, 3_000_000)
        return Span(trace_id=self.rng.randbytes(16), span_id=self.rng.randbytes(8), name=name, kind=kind,
                    start_time_unix_nano=self.t, end_time_unix_nano=self.t + self.rng.randint(10**5, 10**8),
                    attributes=attrs)

    # -- the shapes ---------------------------------------------------------------------
    def rag_concat(self) -> Span:
        chat = self.chat(max_turns=6 if self.pool else 1)  # worst case: no history, nothing re-sent
        system = "\n\n".join([chat["system"], *self.docs(3)])  # context concatenated into ONE part
        prompt, answer = self.voices.user_turn(), self.voices.answer()
        messages = [_messages("system", system), *chat["history"], _messages("user", prompt)]
        chat["history"] += [_messages("user", prompt), _messages("assistant", answer)]
        return self.span("chat gpt-4.1", Span.SPAN_KIND_CLIENT, [
            _kv("gen_ai.operation.name", "chat"), _kv("gen_ai.provider.name", "azure.ai.openai"),
            _kv("gen_ai.request.model", "gpt-4.1"), _kv("gen_ai.request.temperature", 0.2),
            _kv("gen_ai.input.messages", json.dumps(messages, ensure_ascii=False, separators=(",", ":"))),
            _kv("gen_ai.output.messages", json.dumps([{**_messages("assistant", answer), "finish_reason": "stop"}],
                                                     ensure_ascii=False, separators=(",", ":"))),
            _kv("gen_ai.usage.input_tokens", self.rng.randint(500, 6000)),
            _kv("gen_ai.usage.output_tokens", self.rng.randint(20, 400)),
            _kv("gen_ai.conversation.id", f"conv-{chat['id']}")])

    def rag_docs(self) -> Span:
        docs = self.docs(4)
        attrs = [_kv("openinference.span.kind", "RETRIEVER"), _kv("input.value", self.voices.user_turn())]
        for i, doc in enumerate(docs):
            attrs += [_kv(f"retrieval.documents.{i}.document.id", doc[1:8]),
                      _kv(f"retrieval.documents.{i}.document.score", round(self.rng.random(), 4)),
                      _kv(f"retrieval.documents.{i}.document.content", doc)]
        return self.span("retrieve", Span.SPAN_KIND_INTERNAL, attrs)

    def multi_turn(self) -> Span:
        chat = self.chat(max_turns=10)
        prompt, answer = self.voices.user_turn(), self.voices.answer()
        history = [("system", chat["system"]), *chat["history"], ("user", prompt)]
        chat["history"] += [("user", prompt), ("assistant", answer)]
        attrs = [_kv("llm.request.type", "chat"), _kv("gen_ai.system", "openai"), _kv("gen_ai.request.model", "gpt-4o")]
        for i, (role, content) in enumerate(history):
            attrs += [_kv(f"gen_ai.prompt.{i}.role", role), _kv(f"gen_ai.prompt.{i}.content", content)]
        attrs += [_kv("gen_ai.completion.0.role", "assistant"), _kv("gen_ai.completion.0.content", answer)]
        return self.span("openai.chat", Span.SPAN_KIND_CLIENT, attrs)

    def log_events(self) -> list[LogRecord]:
        chat = self.chat()
        prompt, answer = self.voices.user_turn(), self.voices.answer()
        events = [("gen_ai.system.message", "system", chat["system"]), *chat["history"],
                  ("gen_ai.user.message", "user", prompt), ("gen_ai.choice", "assistant", answer)]
        chat["history"] += [("gen_ai.user.message", "user", prompt), ("gen_ai.assistant.message", "assistant", answer)]
        trace_id, span_id = self.rng.randbytes(16), self.rng.randbytes(8)
        out = []
        for name, role, content in events:
            self.t += 1000
            body = AnyValue(kvlist_value=KeyValueList(values=[_kv("role", role), _kv("content", content)]))
            out.append(LogRecord(time_unix_nano=self.t, event_name=name, body=body, trace_id=trace_id, span_id=span_id,
                                 attributes=[_kv("gen_ai.system", "openai"), _kv("event.name", name)]))
        return out

    def plain(self, i: int) -> Span:
        rng = self.rng
        user = f"cust_{rng.randint(10**6, 10**7)}"
        common = [_kv("service.instance.id", f"pod-{rng.randint(1, 40)}"), _kv("thread.name", f"worker-{rng.randint(1, 16)}"),
                  _kv("code.function.name", rng.choice(["handle", "process", "fetch", "commit"])),
                  _kv("app.tenant", rng.choice(["acme", "globex", "initech"]))]
        kind = i % 4
        if kind == 0:
            route = rng.choice(["/v2/accounts/{id}", "/v2/invoices", "/health", "/v2/cart/items"])
            return self.span(f"PUT {route}", Span.SPAN_KIND_SERVER, common + [
                _kv("http.request.method", "PUT"), _kv("http.route", route), _kv("url.path", route.replace("{id}", user)),
                _kv("url.scheme", "https"), _kv("http.response.status_code", rng.choice([200, 201, 204, 409])),
                _kv("server.address", "api.example.org"), _kv("server.port", 443),
                _kv("client.address", f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"),
                _kv("user.id", user), _kv("network.protocol.version", "1.1"), _kv("http.request.body.size", rng.randint(50, 4000))])
        if kind == 1:
            return self.span("INSERT invoices", Span.SPAN_KIND_CLIENT, common + [
                _kv("db.system.name", "mysql"), _kv("db.namespace", "billing"), _kv("db.operation.name", "INSERT"),
                _kv("db.collection.name", "invoices"),
                _kv("db.query.text", "INSERT INTO invoices (account_id, amount, currency) VALUES (?, ?, ?)"),
                _kv("server.address", "mysql.billing.svc"), _kv("server.port", 3306), _kv("db.response.returned_rows", 1),
                _kv("enduser.id", user), _kv("network.peer.address", "10.8.1.4"), _kv("network.peer.port", 3306)])
        if kind == 2:
            return self.span("GET", Span.SPAN_KIND_CLIENT, common + [
                _kv("db.system.name", "redis"), _kv("db.operation.name", "GET"),
                _kv("db.query.text", f"GET session:{rng.randbytes(8).hex()}"),
                _kv("server.address", "redis.cache.svc"), _kv("server.port", 6379), _kv("db.namespace", "0"),
                _kv("network.peer.address", "10.8.2.9"), _kv("network.transport", "tcp"), _kv("enduser.id", user)])
        return self.span("orders publish", Span.SPAN_KIND_PRODUCER, common + [
            _kv("messaging.system", "kafka"), _kv("messaging.operation.type", "send"), _kv("messaging.destination.name", "orders"),
            _kv("messaging.kafka.message.key", user), _kv("messaging.message.id", f"{rng.getrandbits(64):x}"),
            _kv("messaging.destination.partition.id", str(rng.randint(0, 11))), _kv("server.address", "kafka-0.kafka.svc"),
            _kv("server.port", 9092), _kv("messaging.client.id", "order-service"),
            _kv("messaging.message.body.size", rng.randint(100, 2000))])


def _resource(workload: str) -> list[KeyValue]:
    return [_kv("service.name", f"world-{workload}"), _kv("service.version", "4.2.0"), _kv("cloud.provider", "azure"),
            _kv("cloud.region", "westeurope"), _kv("k8s.namespace.name", "prod"), _kv("telemetry.sdk.language", "python")]


def generate(workload: str, n_requests: int, spans_per_request: int, seed: int) -> list:
    """`n_requests` serialized requests (traces, or logs for `world-logs`) of `spans_per_request` items."""
    from benchmarks.throughput.workloads import Batch

    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; known: {', '.join(WORKLOADS)}")
    maker = _Maker(workload, seed)
    out = []
    for r in range(n_requests):
        if workload == "world-logs":
            request = ExportLogsServiceRequest()
            rl = request.resource_logs.add()
            rl.resource.attributes.extend(_resource(workload))
            sl = rl.scope_logs.add()
            sl.scope.name = "opentelemetry.instrumentation.openai_v2"
            while len(sl.log_records) < spans_per_request:
                sl.log_records.extend(maker.log_events())
            out.append(Batch(request.SerializeToString(), len(sl.log_records), "logs"))
            continue
        spans = [_span(maker, workload, r * spans_per_request + i) for i in range(spans_per_request)]
        request = ExportTraceServiceRequest()
        rs = request.resource_spans.add()
        rs.resource.attributes.extend(_resource(workload))
        ss = rs.scope_spans.add()
        ss.scope.name = "benchmarks.throughput.world"
        ss.spans.extend(spans)
        out.append(Batch(request.SerializeToString(), len(spans)))
    return out


def _span(maker: _Maker, workload: str, i: int) -> Span:
    if workload in ("world-rag-concat", "world-unique"):
        return maker.rag_concat()
    if workload == "world-rag-docs":
        return maker.rag_docs()
    if workload == "world-multi-turn":
        return maker.multi_turn()
    return maker.rag_concat() if maker.rng.random() < 0.05 else maker.plain(i)  # world-mixed
