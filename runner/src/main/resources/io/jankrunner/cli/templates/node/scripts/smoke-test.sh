#!/usr/bin/env bash
# Smoke test: builds and registers this plugin with the local plugin manager (no Kafka), calls
# `hello` and checks the greeting. Run it from anywhere: scripts/smoke-test.sh
set -euo pipefail
plugin_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="${JANK_RUNNER_HOME:-{{REPO}}}"
reply="$("$repo/scripts/runner" plugins --plugins-dir "$(dirname "$plugin_dir")" exec {{ID}} hello --args '{"name":"smoke"}')"
echo "$reply"
if ! grep -q 'Hello, smoke!' <<<"$reply"; then
  echo "smoke test FAILED: no greeting in the reply" >&2
  exit 1
fi
echo "smoke test passed"
