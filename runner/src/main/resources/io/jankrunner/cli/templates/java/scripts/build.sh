#!/usr/bin/env bash
# Builds bin/{{NAME}}: target/{{NAME}}.jar (shaded: the plugin, the jank-runner Java SDK and its
# dependencies) with Maven, a start-up cache for fast cold starts, and a launcher pinned to
# the JDK found now (plugins start with a clean environment: no JAVA_HOME at run time).
#
# The SDK, io.jankrunner:jank-runner-proto:{{VERSION}}, is not on Maven Central: the pom takes it
# and jank-runner's parent pom from the local Maven repository. When they are missing there (or
# older than the checkout's build), they are installed from the jank-runner checkout this plugin
# was scaffolded from (JANK_RUNNER_HOME overrides it), whose lib.sh and Maven wrapper this also uses.
set -euo pipefail
plugin_dir="$(pwd)"
repo="${JANK_RUNNER_HOME:-{{REPO}}}"
if [ ! -f "$repo/scripts/lib.sh" ] || [ ! -d "$repo/proto" ]; then
  echo "{{NAME}} needs the jank-runner Java SDK from a checkout at $repo; set JANK_RUNNER_HOME to one." >&2
  exit 1
fi
source "$repo/scripts/lib.sh" # find_jdk, with_build_lock, java_plugin_launcher
find_jdk
mvnw="$repo/mvnw"
version="{{VERSION}}"

# Where Maven keeps artifacts: -Dmaven.repo.local in MAVEN_OPTS (the runner sets it when a build
# may use the worker's repository), else ~/.m2/repository.
local_repo="$HOME/.m2/repository"
if [[ " ${MAVEN_OPTS:-} " =~ -Dmaven\.repo\.local=([^[:space:]]+) ]]; then
  local_repo="${BASH_REMATCH[1]}"
fi
built_sdk="$repo/proto/target/jank-runner-proto-$version.jar"
installed_sdk="$local_repo/io/jankrunner/jank-runner-proto/$version/jank-runner-proto-$version.jar"
installed_parent="$local_repo/io/jankrunner/jank-runner-parent/$version/jank-runner-parent-$version.pom"
sdk_unbuilt() {
  [ ! -f "$built_sdk" ] || [ -n "$(find "$repo/proto/src" "$repo/proto/pom.xml" "$repo/pom.xml" -newer "$built_sdk" -type f -print -quit)" ]
}
sdk_stale() {
  sdk_unbuilt || [ ! -f "$installed_sdk" ] || [ "$built_sdk" -nt "$installed_sdk" ] \
    || [ ! -f "$installed_parent" ] || [ "$repo/pom.xml" -nt "$installed_parent" ]
}
# Installing copies the jar the checkout's build made (install:install-file) rather than
# rebuilding it: a Maven build of the checkout may be using that jar right now.
install_sdk() {
  if sdk_unbuilt; then
    "$mvnw" -q -B -f "$repo/pom.xml" -pl proto -am package -DskipTests -Dmaven.test.skip=true
  fi
  "$mvnw" -q -B -N -f "$repo/pom.xml" install:install-file -Dfile="$repo/pom.xml" -DpomFile="$repo/pom.xml" -Dpackaging=pom
  "$mvnw" -q -B -N -f "$repo/pom.xml" install:install-file -Dfile="$built_sdk" -DpomFile="$repo/proto/pom.xml"
}
if sdk_stale; then
  with_build_lock sdk_stale install_sdk
fi

jar="$plugin_dir/target/{{NAME}}.jar"
if [ ! -f "$jar" ] || [ "$installed_sdk" -nt "$jar" ] \
   || [ -n "$(find "$plugin_dir/src" "$plugin_dir/pom.xml" -newer "$jar" -type f -print -quit)" ]; then
  "$mvnw" -q -B -f "$plugin_dir/pom.xml" package -DskipTests
fi

# target/{{NAME}}.aot, JDK 25's AOT cache (target/{{NAME}}.jsa, a class-data archive, on JDK 21-24),
# for fast cold starts (a training run: the SDK calls itself once), and bin/{{NAME}}, the launcher
# (java_plugin_launcher in the checkout's lib.sh).
java_plugin_launcher {{NAME}}
echo "built $plugin_dir/bin/{{NAME}}"
