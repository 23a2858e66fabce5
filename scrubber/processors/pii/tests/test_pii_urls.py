"""URLs and SQL are scrubbed by structure (urls.py): named query parameters by name,
every other piece pattern-scanned, SQL literals replaced; the URL stays valid and what
is not personal keeps its bytes. Also: values propagate without a per-batch regex."""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

import pytest

from scrubber.pdata import Signal, items
from scrubber.processors.pii import urls
from scrubber.processors.pii.engine import KnownValues
from scrubber.processors.pii.tests import build
from scrubber.processors.pii.tests.conftest import Harness
from scrubber.pseudonym import TOKEN_RE, parse_token

EMAIL = "jane.roe@example.org"


class CountingDetection:
    """The real detection service, recording what is asked of it."""

    def __init__(self, inner):
        self.inner, self.calls = inner, []

    async def detect(self, texts, ner):
        self.calls += list(zip(texts, ner))
        return await self.inner.detect(texts, ner)


@pytest.fixture
def counted(host):
    detection = CountingDetection(host.objects["detection"])
    host.objects["detection"] = detection
    return detection


def scrubbed(h: Harness, attributes: dict) -> dict:
    out = h.run(Signal.TRACES, build.traces({"attributes": attributes}))
    return build.attrs([item for _, _, item in items(out)][0])


def test_url_query_values_by_name_path_patterns_no_ner(harness, counted):
    url = (f"https://shop.example.com/api/users/{EMAIL.replace('@', '%40')}/orders"
           f"?q=blue+shoes&page=3&email={EMAIL.replace('@', '%40')}&token=tok_abc123&customer=u-4711#top")
    out = scrubbed(harness(), {"url.full": url, "enduser.id": EMAIL})["url.full"]
    parts = urlsplit(out)
    assert parts.scheme == "https" and parts.netloc == "shop.example.com" and parts.fragment == "top"
    query = dict(parse_qsl(parts.query))
    assert query["page"] == "3" and query["q"] == "blue shoes"
    assert parse_token(query["email"]).entity == "EMAIL_ADDRESS"
    assert query["token"] == "<SECRET>" and parse_token(query["customer"]).entity == "USER_ID"
    assert EMAIL not in unquote(out) and "u-4711" not in out and "tok_abc123" not in out
    segments = [unquote(s) for s in parts.path.split("/")]
    assert segments[:3] == ["", "api", "users"] and segments[4] == "orders"
    assert parse_token(segments[3]).digest == parse_token(query["email"]).digest  # decoded before the HMAC
    assert " " not in out and "<" not in out  # still a valid URL
    # no NER but on the search box; no detection at all on named identifiers
    assert [t for t, ner in counted.calls if ner and t != "op"] == ["blue shoes"]  # "op": the span name
    assert not any("u-4711" in t or "tok_abc123" in t for t, _ in counted.calls)


def test_url_without_personal_data_keeps_its_bytes_and_twice_is_harmless(harness):
    h = harness()
    plain = "https://example.com/a%2Fb/c?x=1&y=a+b&flag#frag"
    assert scrubbed(h, {"url.full": plain})["url.full"] == plain
    once = scrubbed(h, {"http.target": f"/p?email={EMAIL}&phone=%2B49%2030%20901820"})["http.target"]
    assert scrubbed(h, {"http.target": once})["http.target"] == once
    assert EMAIL not in once and "901820" not in once


def test_url_userinfo_ip_host_and_query_only_key(harness):
    out = scrubbed(harness(), {"url.full": "postgres://admin:s3cret@10.1.2.3:5432/db",
                               "url.query": f"user=jdoe&note=mail%20{EMAIL}"})
    assert "s3cret" not in out["url.full"] and "admin" not in out["url.full"] and "10.1.2.3" not in out["url.full"]
    assert out["url.full"].startswith("postgres://%3CSECRET%3E@") and out["url.full"].endswith(":5432/db")
    query = dict(parse_qsl(out["url.query"]))
    assert parse_token(query["user"]).entity == "USER_ID" and EMAIL not in query["note"]
    assert query["note"].startswith("mail ") and TOKEN_RE.search(query["note"])


def test_sql_literals_replaced_patterns_found_placeholders_kept(harness, counted):
    sql = f"SELECT id FROM users WHERE name = 'O''Brien' AND email = '{EMAIL}' AND id = $1 AND phone = '+49 30 901820'"
    out = scrubbed(harness(), {"db.query.text": sql, "db.statement": "UPDATE t SET c = 'x' WHERE id = ?"})
    assert out["db.query.text"] == ("SELECT id FROM users WHERE name = '<SQL_LITERAL>' AND email = '<SQL_LITERAL>' "
                                    "AND id = $1 AND phone = '<SQL_LITERAL>'")
    assert out["db.statement"] == "UPDATE t SET c = '<SQL_LITERAL>' WHERE id = ?"
    assert not any(ner for t, ner in counted.calls if t != "op")  # no NER on SQL ("op": the span name)


def test_sql_pattern_outside_literals_and_configurable_operator(harness):
    h = harness(operators={"entities": {"SQL_LITERAL": "pseudonymize"}})
    out = scrubbed(h, {"db.statement": f"SELECT * FROM t WHERE a = 'abc' -- by {EMAIL}"})["db.statement"]
    assert EMAIL not in out and parse_token(out.split("'")[1]).entity == "SQL_LITERAL"


def test_url_split_joins_back_exactly():
    for url in ["https://u:p@h.example:8080/a/b%20c/?x=1&&y&z=%3D#f", "/only/path", "", "?a=1", "mailto:jane@x.org"]:
        raw, pieces = urls.split(url)
        assert "".join(raw) == url
        assert all(raw[p.index] for p in pieces)


def test_known_values_whole_words_leftmost_longest():
    finder = KnownValues({"u-4711": "USER_ID", "Jane Roe": "PERSON", "Jane Roe-Smith": "PERSON", "----": "X"})
    text = "u-4711 and xu-4711 and u-47110, Jane Roe-Smith met Jane Roe; ----"
    found = [(text[h.start:h.end], h.entity) for h in finder.find(text)]
    assert found == [("u-4711", "USER_ID"), ("Jane Roe-Smith", "PERSON"), ("Jane Roe", "PERSON"), ("----", "X")]
    assert finder.find("nothing here") == []


def test_identifier_propagates_into_url_piece_and_prompt(harness):
    out = scrubbed(harness(), {"enduser.id": "cust-998877", "url.path": "/api/cust-998877/cart",
                               "gen_ai.prompt": "I am cust-998877"})
    token = out["enduser.id"]
    assert unquote(out["url.path"]) == f"/api/{token}/cart" and out["gen_ai.prompt"] == f"I am {token}"


def test_a_recurring_url_base_is_split_once_and_never_shared_between_urls():
    """The split of scheme, authority and path is memoised (`urls._BASES`): two URLs on one base
    get the same pieces but their own raw lists, so replacing a piece of one leaves the other;
    a base with user info (a secret) is never kept."""
    first_raw, first = urls.split("https://shop.example.com/users/ada-42?page=1")
    second_raw, second = urls.split("https://shop.example.com/users/ada-42?email=a%40b.org#top")
    assert "https://shop.example.com/users/ada-42" in urls._BASES
    assert [p.text for p in first][:3] == [p.text for p in second][:3] == ["shop.example.com", "users", "ada-42"]
    changed, kept = [], []
    rebuild = urls.Rebuild(first_raw, changed.append)
    rebuild.piece_setter(first[2])("<USER_ID>")
    rebuild()
    urls.Rebuild(second_raw, kept.append)()
    assert changed == ["https://shop.example.com/users/%3CUSER_ID%3E?page=1"] and kept == []
    assert "".join(second_raw) == "https://shop.example.com/users/ada-42?email=a%40b.org#top"
    _, pieces = urls.split("https://bob:hunter2@db.internal/x")
    assert [p.kind for p in pieces][:2] == ["userinfo", "host"]
    assert not [base for base in urls._BASES if "hunter2" in base]
