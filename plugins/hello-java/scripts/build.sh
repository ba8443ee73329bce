#!/usr/bin/env bash
# Builds the Java hello plugin: the shaded jar through the repo's Maven build, then
# bin/hello-java, a launcher pinned to the JDK found now (java_plugin_launcher in lib.sh).
set -euo pipefail
plugin_dir="$(pwd)"
source "$plugin_dir/../../scripts/lib.sh"
find_jdk
jar="$plugin_dir/target/hello-java.jar"
# Skip Maven when the jar is newer than everything it is built from (the repo's own build
# makes it too, and a second Maven run would rewrite jars a running build is using). Maven runs
# under the repo's build lock, so it never races a `scripts/runner` building the same modules.
jar_stale() {
  [ ! -f "$jar" ] || [ -n "$(find "$plugin_dir/src" "$plugin_dir/pom.xml" "$REPO_ROOT/proto/src" "$REPO_ROOT/proto/pom.xml" \
      "$REPO_ROOT/pom.xml" -newer "$jar" -type f -print -quit)" ]
}
build_jar() {
  "$REPO_ROOT/mvnw" -q -B -f "$REPO_ROOT/pom.xml" -pl plugins/hello-java -am package -DskipTests -Dmaven.test.skip=true
}
if jar_stale; then
  with_build_lock jar_stale build_jar
else
  echo "target/hello-java.jar is up to date"
fi

# target/hello-java.aot (JDK 25's AOT cache; target/hello-java.jsa, a class-data archive, on JDK
# 21-24) for fast cold starts, and bin/hello-java.
java_plugin_launcher hello-java
echo "built $plugin_dir/bin/hello-java"
