"""What a key's name says about its value: `app.customer.display_name` holds a person's name.

Custom attributes, JSON fields of tool-call arguments and metric labels are named by
people who describe what they store. A key that is not in the catalog but whose name
says "first name", "phone", "customer ref" holds a value that must be treated as that
entity as a whole: pattern detection alone misses a lone first name or a `u-...` user id.

The key is split into lower-case tokens at `.`, `_`, `-`, `/`, spaces and camelCase
(`customerDisplayName` -> customer, display, name). Its *head*, the last token that names
an entity, decides (`user.email` -> EMAIL_ADDRESS, `email.user` -> USER_ID); a person
noun followed by `name` is a PERSON (`customer_name`); a token after the head that says
"this is about the value, not the value" (`count`, `size`, `length`, `type`, `status`,
`version`, `agent`...) or a prefix such as `is_`, `has_`, `num_` leaves the key alone
(`user_agent.original`, `http.request.body.size`, `email.count`, `is_mobile`); a text noun
after the head (`customer_message`, `user_feedback`) makes it free text (patterns + NER).

The tables are data below; `classify` answers (role, entity) or None and is cached.
"""

from __future__ import annotations

import re
from functools import lru_cache

from scrubber.pseudonym import TOKEN_RE

#: single tokens (and run-together compounds) naming the entity of the whole value
ENTITY_TOKENS: dict[str, str] = {
    # people's names
    **dict.fromkeys(("firstname", "lastname", "surname", "surnames", "fullname", "displayname", "nickname",
                     "givenname", "givennames", "familyname", "middlename", "maidenname", "forename", "forenames",
                     "realname", "legalname", "personname", "cardholder", "nachname", "vorname", "prenom",
                     "nom", "apellido", "apellidos", "nombre", "sobrenome"), "PERSON"),
    # handles and account references
    **dict.fromkeys(("user", "username", "userid", "uid", "login", "customer", "client",
                     "account", "member", "patient", "employee", "contact", "recipient", "sender", "subscriber",
                     "buyer", "seller", "passenger", "guest", "applicant", "holder", "owner", "person", "enduser",
                     "principal", "student", "traveler", "traveller", "assignee", "reporter", "requester",
                     "beneficiary", "payee", "payer", "tenant", "visitor", "shopper", "screenname"),
                    "USER_ID"),
    # contact details
    **dict.fromkeys(("email", "emails", "mail", "emailaddress", "mailaddress"), "EMAIL_ADDRESS"),
    **dict.fromkeys(("phone", "phones", "phonenumber", "mobile", "mobilenumber", "tel", "telephone", "msisdn",
                     "cellphone", "fax", "whatsapp", "telefon", "telefono"), "PHONE_NUMBER"),
    **dict.fromkeys(("address", "street", "streetaddress", "addressline", "address1", "address2", "strasse",
                     "adresse", "direccion", "endereco", "residence", "domicile"), "ADDRESS"),
    **dict.fromkeys(("city", "town", "zip", "zipcode", "postcode", "postal", "postalcode", "plz", "pincode", "cep",
                     "ort", "wohnort", "stadt", "ville", "ciudad", "localidad", "cidade", "citta", "città", "plaats",
                     "woonplaats", "hometown"), "LOCATION"),
    # government and financial identifiers
    **dict.fromkeys(("ssn", "nationalid", "taxid", "tin", "passport", "passportnumber", "nino", "aadhaar",
                     "aadhar", "cpf", "nif", "nie", "dni", "bsn", "pesel", "driverlicense", "driverslicense",
                     "idcard", "insee", "steuerid", "nhs", "medicare", "mrn"), "NATIONAL_ID"),
    **dict.fromkeys(("dob", "birth", "birthday", "birthdate", "dateofbirth", "geburtsdatum"), "DATE_OF_BIRTH"),
    **dict.fromkeys(("iban", "bic"), "IBAN_CODE"),
    **dict.fromkeys(("card", "pan", "ccnumber", "cardnumber", "creditcard"), "CREDIT_CARD"),
    **dict.fromkeys(("ip", "ipaddress", "ipv4", "ipv6", "ipaddr", "remoteaddr"), "IP_ADDRESS"),
    **dict.fromkeys(("session", "sessionid", "conversation", "conversationid"), "SESSION_ID"),
    **dict.fromkeys(("password", "passwd", "pwd", "passphrase", "secret", "token", "apikey", "credential",
                     "credentials", "cookie", "authorization", "bearer", "privatekey", "otp", "pin"), "SECRET"),
}

#: two tokens read as one (`first name`, `social security`, `date of birth` without `of`)
PAIRS: dict[tuple[str, str], str] = {
    **{(w, n): "PERSON" for w in ("first", "last", "given", "family", "full", "display", "nick", "middle", "maiden",
                                  "legal", "real", "sur", "fore", "birth", "preferred", "christian", "screen")
       for n in ("name", "names")},
    ("social", "security"): "NATIONAL_ID", ("national", "id"): "NATIONAL_ID", ("tax", "id"): "NATIONAL_ID",
    ("tax", "number"): "NATIONAL_ID", ("id", "number"): "NATIONAL_ID", ("driver", "license"): "NATIONAL_ID",
    ("drivers", "license"): "NATIONAL_ID", ("date", "birth"): "DATE_OF_BIRTH", ("birth", "date"): "DATE_OF_BIRTH",
    ("birth", "day"): "DATE_OF_BIRTH", ("birth", "place"): "LOCATION", ("e", "mail"): "EMAIL_ADDRESS",
    ("credit", "card"): "CREDIT_CARD", ("card", "number"): "CREDIT_CARD", ("ip", "address"): "IP_ADDRESS",
    ("email", "address"): "EMAIL_ADDRESS", ("mail", "address"): "EMAIL_ADDRESS", ("zip", "code"): "LOCATION",
    ("postal", "code"): "LOCATION", ("post", "code"): "LOCATION", ("api", "key"): "SECRET",
    ("access", "key"): "SECRET", ("private", "key"): "SECRET", ("secret", "key"): "SECRET",
    ("remote", "addr"): "IP_ADDRESS", ("remote", "address"): "IP_ADDRESS", ("client", "ip"): "IP_ADDRESS",
    ("bank", "account"): "IBAN_CODE", ("account", "number"): "USER_ID",
    **dict.fromkeys(((w, n) for w in ("policy", "contract") for n in ("id", "no", "nr", "number", "ref")), "USER_ID"),
}

#: a person noun followed by `name` (`customer_name`, `patient.name`) is a PERSON
PERSON_NOUNS = frozenset(("user", "customer", "client", "patient", "employee", "contact", "recipient", "sender",
                          "member", "subscriber", "buyer", "seller", "passenger", "guest", "applicant", "holder",
                          "owner", "person", "cardholder", "account", "student", "traveler", "traveller", "author",
                          "assignee", "reporter", "requester", "beneficiary", "payee", "payer", "tenant", "visitor",
                          "shopper", "enduser", "caller", "driver", "doctor", "agent_contact", "parent", "child",
                          "spouse", "emergency", "billing", "shipping"))

#: tokens after the head that describe the value rather than hold it: the key is left alone
NEUTRAL_AFTER = frozenset((
    "count", "counts", "total", "num", "size", "length", "len", "bytes", "duration", "latency", "ms", "seconds",
    "status", "state", "type", "types", "kind", "version", "format", "enabled", "disabled", "verified", "valid",
    "validated", "present", "exists", "missing", "required", "optional", "rate", "ratio", "limit", "max", "min",
    "avg", "mean", "sum", "index", "idx", "position", "score", "level", "mode", "domain", "region", "locale",
    "language", "lang", "timezone", "tz", "country", "schema", "template", "agent", "role", "roles", "group", "tier",
    "segment", "plan", "class", "category", "method", "protocol", "scheme", "port", "pool", "model", "provider",
    "source", "origin", "channel", "flag", "flags", "hash_algorithm", "algorithm", "policy", "quota", "budget",
    "cost", "tokens", "attempts", "retries", "errors", "error", "success", "failures", "metric", "metrics", "bucket",
    "span", "trace", "spans", "traces", "field", "fields", "label", "labels", "column", "table", "prefix",
    "suffix", "pattern", "regex", "placeholder", "mask", "masked", "redacted", "encrypted", "hashed", "configured",
    "expiry", "expires", "expiration", "ttl", "age_bucket", "timeout", "interval", "created", "updated",
    "timestamp", "time", "date", "at", "since", "until", "cache", "store", "storage", "backend", "service",
    "server", "host", "library", "sdk", "client_lib", "lookup", "match", "matched", "changed", "sent", "received",
    "opened", "clicked", "bounced", "delivered", "notifications", "preference", "preferences", "opt", "optin",
    "optout", "consent", "unsubscribed", "visibility", "privacy", "permission", "permissions", "scope", "scopes",
))

#: tokens before the head that make the key a count or a flag (`is_mobile`, `num_users`)
NEUTRAL_BEFORE = frozenset(("is", "has", "num", "n", "count", "total", "max", "min", "avg", "enable",
                            "enabled", "use", "allow", "allowed", "require", "requires", "needs", "show", "hide",
                            "distinct", "unique", "new", "active_count"))

#: technical nouns before an address or id head: `server.address`, `memory.address` are not personal
TECHNICAL_BEFORE = frozenset(("server", "host", "destination", "dst", "memory", "mac", "bind", "listen", "local",
                              "proxy", "broker", "endpoint", "url", "wallet_contract", "contract", "node", "pod",
                              "container", "network", "net", "peer_service", "gateway", "router", "target",
                              "upstream", "downstream", "service", "cluster", "queue", "topic", "bucket", "file",
                              "disk", "device", "span", "trace", "parent", "request", "job", "task", "thread",
                              "process", "event", "message", "run", "batch", "build", "commit", "tool", "call",
                              "function", "model", "oauth", "sdk", "http", "grpc", "db",
                              "k8s", "aws", "gcp", "azure", "cloud", "db_client", "ws", "websocket", "rpc"))

#: tokens after the head that make it free text written by that person (patterns + NER)
TEXT_AFTER = frozenset(("message", "messages", "text", "comment", "comments", "note", "notes", "feedback", "query",
                        "question", "prompt", "description", "body", "content", "input", "review", "summary",
                        "reply", "request_text", "complaint", "bio", "about", "remark", "remarks", "utterance",
                        "transcript", "chat", "conversation_text", "details", "info", "profile"))

#: heads that a technical noun right before them neutralises (`server.address`, `host.ip`)
_CONTEXTUAL = frozenset(("ADDRESS", "LOCATION", "IP_ADDRESS"))

_PLACEHOLDER = re.compile(r"<[A-Z][A-Z0-9_]*>")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")


def tokens(key: str) -> list[str]:
    """`app.customer.displayName` -> ['app', 'customer', 'display', 'name']."""
    out = []
    for part in _SPLIT.split(key):
        out += [t.lower() for t in _CAMEL.split(part) if t]
    return out


def _heads(toks: list[str]) -> list[tuple[int, str]]:
    """(index of the head's last token, entity) for every entity named in the key, in order."""
    found = []
    for i, tok in enumerate(toks):
        prev = toks[i - 1] if i else ""
        if (prev, tok) in PAIRS:
            found.append((i, PAIRS[(prev, tok)]))
        elif tok in ("name", "names") and prev in PERSON_NOUNS:
            found.append((i, "PERSON"))
        elif tok in ENTITY_TOKENS:
            found.append((i, ENTITY_TOKENS[tok]))
    return found


IDENTIFIER = "identifier"
CONTENT = "content"


@lru_cache(maxsize=8192)
def classify(key: str) -> tuple[str, str] | None:
    """What a key's name says its value is: (`identifier`, entity type), (`content`, "") for
    free text, or None (no evidence: the caller's default applies). Never "safe": a name
    cannot prove a value harmless. Pseudonyms and placeholders in a key (a key renamed by
    an earlier pass) are no evidence: `feature.flag.<PERSON:k1:...>` says nothing of its value."""
    toks = tokens(_PLACEHOLDER.sub(" ", TOKEN_RE.sub(" ", key)) if "<" in key else key)
    heads = _heads(toks)
    if not heads:
        return None
    index, entity = heads[-1]
    after = toks[index + 1:]
    start = index - (1 if index and (toks[index - 1], toks[index]) in PAIRS else 0)
    before = toks[:start]
    if any(t in NEUTRAL_BEFORE for t in before[-2:]) or any(t in NEUTRAL_AFTER for t in after):
        return None
    if any(t in TEXT_AFTER for t in after):
        return CONTENT, ""
    if entity in _CONTEXTUAL and before and before[-1] in TECHNICAL_BEFORE and len(heads) == 1:
        return None
    return IDENTIFIER, entity


#: what detection sees of a key: separators as spaces (same length, so offsets map back);
#: in a key holding an `@`, dots and dashes stay (`x.jane@example.com` is still an e-mail address)
_SEPARATORS = str.maketrans({c: " " for c in "._-/:[]{}#$"})
_SEPARATORS_AT = str.maketrans({c: " " for c in "_/:[]{}#$"})


def probe_text(key: str) -> str:
    """The key as words for the detectors (`feature.flag.Ada_Obi` -> `feature flag Ada Obi`);
    pseudonym tokens already in it are blanked (their hex is not a phone number)."""
    if "<" in key:
        key = TOKEN_RE.sub(lambda m: " " * len(m.group(0)), key)
    return key.translate(_SEPARATORS_AT if "@" in key else _SEPARATORS)
