#!/usr/bin/env bash
# Builds the `helm` CLI from its Go module (the Go module proxy serves it; no prebuilt binary is
# downloaded) into a cached location, once. `.ci/run` calls this before the tests; the chart tests
# call it too when helm is missing. Prints the path of the binary on stdout.
#
#   deploy/install-helm.sh            # -> .cache/bin/helm (gitignored)
#   HELM_VERSION=v3.21.4 deploy/install-helm.sh
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN_DIR="${SCRUBBER_TOOLS_BIN:-$ROOT/.cache/bin}"
HELM="$BIN_DIR/helm"

if [[ -x "$HELM" ]] && "$HELM" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"; then
    echo "$HELM"
    exit 0
fi
# Go's own installer puts it in /usr/local/go, which is not always on PATH
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
if ! command -v go >/dev/null 2>&1; then
    echo "install-helm: 'go' is not on PATH (Go >= 1.24 builds helm $HELM_VERSION)" >&2
    exit 1
fi
mkdir -p "$BIN_DIR"
# Built to a temporary name first, so an interrupted build never leaves a broken helm behind.
TMP_BIN="$(mktemp -d "$BIN_DIR/.build.XXXXXX")"
trap 'rm -rf "$TMP_BIN"' EXIT
echo "install-helm: building helm $HELM_VERSION (a few minutes the first time, cached after)" >&2
# The version is stamped as helm's own Makefile does, so `helm version` says what was built.
GOBIN="$TMP_BIN" CGO_ENABLED=0 go install -trimpath \
    -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
    "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
mv -f "$TMP_BIN/helm" "$HELM"
echo "$HELM"
