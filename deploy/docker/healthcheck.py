"""The image's HEALTHCHECK: asks scrubber's health_check extension where the config put it.

Both shipped configs take the health endpoint from SCRUBBER_HEALTH_ENDPOINT (the image sets
0.0.0.0:13133), so the probe reads the same variable instead of hard-coding a port: moving the
endpoint moves the probe with it. A wildcard bind address (0.0.0.0, ::) is probed on loopback.
Exit 0 when the endpoint answers 200 (every pipeline started), 1 otherwise: Docker's contract.
Standard library only, so it runs with any Python in the image.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_ENDPOINT = "localhost:13133"
WILDCARDS = {"", "0.0.0.0", "::", "[::]"}


def probe_url(endpoint: str, path: str = "/") -> str:
    """`host:port` as the config writes it -> the URL a local probe can reach."""
    host, _, port = endpoint.rpartition(":")
    if host in WILDCARDS:
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/{path.lstrip('/')}"


def main() -> int:
    endpoint = os.environ.get("SCRUBBER_HEALTH_ENDPOINT") or DEFAULT_ENDPOINT
    url = probe_url(endpoint, os.environ.get("SCRUBBER_HEALTH_PATH", "/"))
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            healthy = response.status == 200
    except (urllib.error.URLError, OSError) as exc:
        print(f"unhealthy: {url}: {exc}", file=sys.stderr)
        return 1
    print(f"{'healthy' if healthy else 'unhealthy'}: {url}")
    return 0 if healthy else 1


if __name__ == "__main__":
    raise SystemExit(main())
