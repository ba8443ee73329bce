#!/usr/bin/env bash
# Smoke test: builds this plugin with its scripts/build.sh and calls `hello` through the local
# plugin manager (`runner plugins build` and `runner plugins exec`, no Kafka), then checks the
# greeting. Run it from anywhere: scripts/smoke-test.sh
#
# The build runs as this user, not as the unprivileged plugin user a root worker builds with:
# this is your own code on your own machine, as an operator builds a plugin before deploying it.
# Set JANK_PLUGIN_USER to build and run it as another user (the directory must be theirs).
set -euo pipefail
plugin_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
repo="${JANK_RUNNER_HOME:-{{REPO}}}"
if [ ! -x "$repo/scripts/runner" ]; then
  echo "smoke test needs a jank-runner checkout at $repo (scripts/runner); set JANK_RUNNER_HOME." >&2
  exit 1
fi
export JANK_PLUGIN_USER="${JANK_PLUGIN_USER:-worker}"
plugins_dir="$(dirname "$plugin_dir")"
"$repo/scripts/runner" plugins build --plugins-dir "$plugins_dir" {{ID}}
reply="$("$repo/scripts/runner" plugins exec --plugins-dir "$plugins_dir" {{ID}} hello --args '{"name":"smoke"}')"
echo "$reply"
if ! grep -q 'Hello, smoke!' <<<"$reply"; then
  echo "smoke test FAILED: no greeting in the reply" >&2
  exit 1
fi
echo "smoke test passed"
