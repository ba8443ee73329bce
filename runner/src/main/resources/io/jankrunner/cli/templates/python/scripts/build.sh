#!/usr/bin/env bash
# Builds bin/{{NAME}} with the jank-runner Python SDK, which is not on PyPI: it is taken from the
# jank-runner checkout this plugin was scaffolded from (JANK_RUNNER_HOME overrides it). Its
# build-plugin copies the SDK into .build/python, generates the message classes from the
# runner's plugin.proto there (never committed) and writes a launcher pinned to a Python that
# has grpcio, protobuf, grpcio-tools and cryptography (Debian's /usr/bin/python3 unless
# JANK_PYTHON names another). The built directory needs the checkout no more.
set -euo pipefail
repo="${JANK_RUNNER_HOME:-{{REPO}}}"
build_plugin="$repo/proto/sdk-python/build-plugin"
if [ ! -x "$build_plugin" ]; then
  echo "{{NAME}} needs the jank-runner Python SDK at $repo/proto/sdk-python; set JANK_RUNNER_HOME to a jank-runner checkout." >&2
  exit 1
fi
exec "$build_plugin" main.py bin/{{NAME}}
