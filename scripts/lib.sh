# Shared by the scripts in this folder: finds the repo and a JDK >= 21.
# Sourced, not run.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Plugins are forked with setpriv's parent-death signal, spoken to over epoll and limited by
# cgroups: jank-runner runs on Linux only.
if [ "$(uname -s)" != "Linux" ]; then
  echo "jank-runner runs on Linux only (it uses setpriv, epoll and cgroups); this is $(uname -s)." >&2
  exit 1
fi

# Prints the major version of the java binary under $1 (a JAVA_HOME), or nothing.
jdk_major() {
  [ -x "$1/bin/javac" ] || return 0
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
}

# Sets JAVA_HOME to a JDK >= 21: the one already set if it qualifies, else the newest under
# /usr/lib/jvm (or /usr/local/lib/jvm, ~/.sdkman, ~/.jdks). Fails with what to install.
find_jdk() {
  local candidate major best="" best_major=0
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(jdk_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then export JAVA_HOME; quiet_maven_on_new_jdks; return 0; fi
  fi
  for candidate in /usr/lib/jvm/* /usr/local/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/* \
                   "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
    [ -d "$candidate" ] || continue
    major=$(jdk_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then
      best="$candidate"; best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "jank-runner needs a JDK >= 21 and none was found (JAVA_HOME, /usr/lib/jvm)." >&2
    echo "Install one (e.g. 'apt-get install openjdk-21-jdk' or Temurin 21/25) and set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME="$best"
  quiet_maven_on_new_jdks
}

# Maven 3.9 itself uses sun.misc.Unsafe; JDK 23+ warns about it on every run.
quiet_maven_on_new_jdks() {
  local major
  major=$(jdk_major "$JAVA_HOME")
  if [ -n "$major" ] && [ "$major" -ge 23 ] && [[ "${MAVEN_OPTS:-}" != *sun-misc-unsafe* ]]; then
    export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
  fi
}

# JVM flags for our own processes on the JDK in JAVA_HOME: netty's native transport needs
# native access, and protobuf/netty still use sun.misc.Unsafe (JDK 23+ warns without this).
jvm_flags() {
  local major
  major=$(jdk_major "$JAVA_HOME")
  printf '%s ' --enable-native-access=ALL-UNNAMED
  if [ -n "$major" ] && [ "$major" -ge 23 ]; then printf '%s ' --sun-misc-unsafe-memory-access=allow; fi
}

# One Maven build at a time in this tree. Two scripts started together on a fresh clone (a
# worker and a `send`) would otherwise both build into the same target/ directories and one of
# them fails. `with_build_lock STALE BUILD...` runs BUILD only if the command STALE still
# succeeds once the lock is held: whoever waited finds the other's build done and skips its own.
# The lock is $REPO_ROOT/.build.lock (flock, released when the process holding it ends). Scripts
# started by a build that holds it (the tests run by `scripts/test`) do not wait for themselves;
# the lock's descriptor is not inherited, so a daemon started by a build cannot keep it held.
with_build_lock() {
  local stale=$1
  shift
  if [ "${JANK_BUILD_LOCK_HELD:-}" = "$REPO_ROOT" ]; then
    if "$stale"; then "$@"; fi
    return
  fi
  local fd status=0
  exec {fd}>>"$REPO_ROOT/.build.lock"
  if ! flock -n "$fd"; then
    echo "waiting for another build in $REPO_ROOT to finish (.build.lock)..." >&2
    flock "$fd"
  fi
  if "$stale"; then
    JANK_BUILD_LOCK_HELD="$REPO_ROOT" "$@" {fd}>&- || status=$?
  fi
  exec {fd}>&-
  return "$status"
}

# `operator_build ID`: builds one of this repo's example plugins before it is deployed, as the
# operator. A build run for a worker runs as the plugin user (nobody when the worker is root) and
# only in a plugin directory that user may write, which a checkout owned by root is not; the
# examples are the operator's own code, so the dev scripts build them with the operator's user,
# and the plugins still run as the plugin user.
operator_build() {
  JANK_PLUGIN_USER=worker "$REPO_ROOT/scripts/runner" plugins build "$1"
}

# `java_plugin_launcher NAME`, run from a Java plugin's directory after its build made the shaded
# target/NAME.jar: writes a start-up cache of the plugin (target/NAME.aot or target/NAME.jsa) and
# bin/NAME, the launcher, pinned to $JAVA_HOME (plugins start with a clean environment, so a
# launcher cannot rely on JAVA_HOME at run time). Used by plugins/hello-java and by Java plugins
# made with `runner plugins new --lang java`.
java_plugin_launcher() {
  local name=$1 jar="target/$1.jar" kind cache part jvm_options jdk_id record="target/$1.startup-cache"
  # JVM options for a short-lived plugin process: one GC thread, only the C1 compiler (a plugin
  # rarely runs long enough for C2 to pay off), compiling a method after 10x the usual calls (a
  # cold start otherwise spends 40 % of its CPU compiling code it runs a few times), no perf-data
  # file; small thread stacks. The start-up cache is mapped where it was made
  # (ArchiveRelocationMode=0, what JDKs before 20 did) instead of at a random address, which
  # costs a relocation pass over its 20-35 MiB at every start; the JVM still relocates it when
  # that address is taken.
  jvm_options="$(jvm_flags)-XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:CompileThresholdScaling=10 -XX:-UsePerfData -Xss512k"
  jvm_options="$jvm_options -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0"

  # The start-up cache holds every class the plugin loads to start and to serve a call, made by a
  # training run: the plugin started with JANK_PLUGIN_TRAINING=1 calls itself once and exits. On a
  # JDK with the AOT cache (JDK 25: JEP 483/514/515, `-XX:AOTCacheOutput`) the classes are stored
  # loaded and linked, with the training run's method profiles; on an older one (JDK 21-24) it is
  # a class-data archive (AppCDS, `-XX:ArchiveClassesAtExit`). Which one this JDK makes is found
  # by asking it which flags it has (never by a trial run with -XX:AOTCacheOutput=/dev/null: the
  # JVM deletes the output path first, and as root that replaces /dev/null with a plain file), and recorded in target/NAME.startup-cache with the JDK's identity (size and
  # time of its lib/modules), so a JDK replaced under the same path is noticed.
  # JANK_JAVA_STARTUP_CACHE=cds makes the class-data archive on any JDK (how the fallback is tested).
  if [ "${JANK_JAVA_STARTUP_CACHE:-}" != cds ] \
     && "$JAVA_HOME/bin/java" -XX:+PrintFlagsFinal -version 2>/dev/null | grep -qw AOTCacheOutput; then
    kind=aot; cache="target/$name.aot"
  else
    kind=cds; cache="target/$name.jsa"
  fi
  jdk_id=$(stat -c %s-%Y "$JAVA_HOME/lib/modules")
  # Remade whenever the jar is newer or the JDK another; written to a .part file and renamed, so
  # a launcher never maps a half-written cache.
  if [ ! -f "$cache" ] || [ "$jar" -nt "$cache" ] || [ "$(cat "$record" 2>/dev/null)" != "$kind $jdk_id" ]; then
    rm -f "target/$name.aot" "target/$name.jsa" "$record"
    part="$cache.$$.part"
    local training=(-XX:ArchiveClassesAtExit="$part")
    [ "$kind" = aot ] && training=(-XX:AOTCacheOutput="$part")
    # shellcheck disable=SC2086
    if JANK_PLUGIN=jank-plugin JANK_PLUGIN_TRAINING=1 timeout 120 "$JAVA_HOME/bin/java" $jvm_options \
         "${training[@]}" -Xlog:disable -Xlog:all=warning:stderr -jar "$jar" >/dev/null 2>"target/$name-training.log" \
       && [ -s "$part" ]; then
      mv -f "$part" "$cache"
      echo "$kind $jdk_id" > "$record"
      echo "start-up cache ($kind): $cache ($(( $(stat -c %s "$cache") / 1048576 )) MiB)"
    else
      rm -f "$part" "$part.config"
      echo "warning: no start-up cache (training run failed, see target/$name-training.log); cold starts are slower" >&2
    fi
  fi

  # The launcher uses the cache only if it is newer than the jar (Maven rebuilt the jar since:
  # rebuild the plugin to remake it) and the JDK is the one it was made with. Even then the JVM
  # checks the cache against the jar and the JDK itself and runs without one that does not
  # match, or that it cannot read: a stale or broken cache makes a start slower, never fail.
  # (-Xshare:auto, the default, spelled out for the archive; the JVM refuses it beside -XX:AOTCache.)
  local use_cache="-XX:SharedArchiveFile" share="-Xshare:auto " quiet="-Xlog:cds*=off:stderr"
  if [ "$kind" = aot ]; then use_cache=-XX:AOTCache; share=""; quiet="$quiet -Xlog:aot*=off:stderr"; fi
  mkdir -p bin
  cat > "bin/$name" <<LAUNCHER
#!/bin/sh
# Generated by scripts/build.sh.
dir="\$(cd "\$(dirname "\$0")/.." && pwd)"
jar="\$dir/$jar"
cache="\$dir/$cache"
if [ "\$cache" -nt "\$jar" ] && [ "\$(stat -c %s-%Y "$JAVA_HOME/lib/modules")" = "$jdk_id" ]; then
  set -- $use_cache="\$cache" -jar "\$jar" "\$@"
else
  set -- -jar "\$jar" "\$@"
fi
# stdout carries the go-plugin handshake: the JVM's own warnings go to stderr (by default they go
# to stdout). cds and aot are silenced: the JDK's base archive was made without
# --enable-native-access, which every start would otherwise report as a harmless mismatch, and a
# cache the JVM rejects is reported there too.
exec "$JAVA_HOME/bin/java" $jvm_options $share-Xlog:disable -Xlog:all=warning:stderr \\
  $quiet "\$@"
LAUNCHER
  chmod +x "bin/$name"
}
