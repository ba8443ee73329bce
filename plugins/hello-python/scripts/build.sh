#!/usr/bin/env bash
# Builds bin/hello-python with the repo's Python SDK: message classes generated from plugin.proto
# now (never committed) and a launcher pinned to a Python that has grpcio, protobuf, grpcio-tools
# and cryptography (Debian's /usr/bin/python3 unless JANK_PYTHON names another; see
# proto/sdk-python/find-python).
set -euo pipefail
exec "$(dirname "${BASH_SOURCE[0]}")/../../../proto/sdk-python/build-plugin" main.py bin/hello-python
