"""Span-name normalisation: ids in a name must not become label values.

`GET /users/12345` and `GET /users/ada-obi-42` are one operation; as labels they
would be one series per user (and the slug would name the user to the global
stack). A route-like name (`METHOD /path`, `/path`, or a URL) has every path
segment that looks like an id, a slug, an e-mail or a number replaced by `{id}`
(`normalize_route`, also used by the pii processor on span names). Then, in any
name: e-mails and UUIDs first (they contain the shorter shapes), then long hex
and token-like runs, then digit runs. Query strings and fragments are cut:
their values are parameters, never names.
"""

from __future__ import annotations

import re
from functools import lru_cache

ID = "{id}"
EMAIL = "{email}"

_RULES: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"[?#]\S*"), ""),
    (re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+"), EMAIL),
    (re.compile(r"\b[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\b"), ID),
    # hex ids (object ids, hashes): 8+ hex characters holding at least one digit
    (re.compile(r"\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), ID),
    # opaque tokens: 16+ letters and digits, mixed (session ids, API-style ids)
    (re.compile(r"\b(?=[A-Za-z0-9_]*\d)(?=[A-Za-z0-9_]*[A-Za-z])[A-Za-z0-9_]{16,}\b"), ID),
    # a whole path segment of digits (`/users/7`), and any run of 3+ digits elsewhere
    (re.compile(r"(?<=/)\d+(?=/|$|\s)"), ID),
    (re.compile(r"\d{3,}"), ID),
)
_SPACES = re.compile(r"\s+")
MAX_LENGTH = 128

#: `GET /users/x`, `/users/x`, `POST https://api.example.com/users/x`: the path is group 2
_ROUTE = re.compile(r"^((?:[A-Z]{3,7}\s+)?(?:[a-z][a-z0-9+.\-]*://[^/\s]+)?)(/\S*)(.*)$", re.DOTALL)
#: segments after which the next one is whoever the collection holds (`/users/<anyone>`)
_COLLECTIONS = frozenset((
    "u", "user", "users", "people", "person", "persons", "profile", "profiles", "customer", "customers", "client",
    "clients", "member", "members", "account", "accounts", "patient", "patients", "employee", "employees",
    "contact", "contacts", "author", "authors", "owner", "owners", "student", "students", "subscriber",
    "subscribers", "recipient", "recipients", "guest", "guests", "player", "players", "team-members", "staff",
    "@", "by", "name", "names", "email", "emails", "phone", "phones", "handle", "handles", "username",
))
#: words after a collection that are part of the route, not someone (`/users/me`, `/users/search`)
_ROUTE_WORDS = frozenset(("me", "self", "current", "search", "new", "list", "all", "count", "bulk", "batch",
                          "export", "import", "lookup", "find", "query", "filter", "stats", "settings", "login",
                          "logout", "register", "signup", "signin", "verify", "reset", "invite", "invites"))
_VERSION = re.compile(r"^v\d+(?:\.\d+)*$|^[a-z]{1,3}\d$")
_FILE = re.compile(r"^[\w\-]+\.(?:html?|json|xml|js|css|png|jpe?g|gif|svg|ico|txt|ya?ml|php|aspx?|pdf|csv|map|wasm)$")
_EMAIL_SEGMENT = re.compile(r"[^@/\s]+(?:@|%40)[^@/\s]+\.[^@/\s]+")
_TEMPLATE = re.compile(r"^(?:\{[^}]*\}|:[A-Za-z_]\w*|<[^>]*>|\*)$")


def _is_id(segment: str, previous: str) -> bool:
    """A path segment that names something rather than the route: digits, @, %, dots,
    mixed case or digits inside words, anything right after a people collection."""
    if not segment or _TEMPLATE.match(segment) or _VERSION.match(segment):
        return False
    if previous.lower() in _COLLECTIONS:
        return segment.lower() not in _ROUTE_WORDS
    if any(c.isdigit() for c in segment) or any(c in segment for c in "@%+~=,;'"):
        return True
    if "." in segment and not _FILE.match(segment):
        return True
    return not segment.islower() and not segment.isupper() and segment[1:] != segment[1:].lower()


@lru_cache(maxsize=4096)
def normalize_route(name: str) -> str:
    """A route-like name with id-like path segments as `{id}` and the query cut; other names as they are."""
    match = _ROUTE.match(name)
    if match is None:
        return name
    head, path, tail = match.groups()
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    segments = path.split("/")
    out = [(EMAIL if _EMAIL_SEGMENT.fullmatch(seg) else ID) if _is_id(seg, segments[i - 1] if i else "") else seg
           for i, seg in enumerate(segments)]
    return head + "/".join(out) + tail


@lru_cache(maxsize=4096)
def normalize_span_name(name: str) -> str:
    """The name with ids replaced by `{id}` / `{email}`, at most 128 characters."""
    name = normalize_route(name)
    for pattern, replacement in _RULES:
        name = pattern.sub(replacement, name)
    name = _SPACES.sub(" ", name).strip()
    return name[:MAX_LENGTH] or "unknown"
