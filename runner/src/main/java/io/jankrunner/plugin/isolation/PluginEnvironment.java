package io.jankrunner.plugin.isolation;

import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.protocol.Handshake;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The environment a plugin process or build sees: a clean one. Only {@code PATH}, {@code HOME},
 * {@code LANG}, {@code TMPDIR}, the go-plugin handshake variables and the names the plugin lists
 * in {@code runner.env} come from the worker; never its credentials.
 */
public final class PluginEnvironment {

  private static final List<String> BASE = List.of("PATH", "HOME", "LANG", "TMPDIR");
  /**
   * Builds may also need to find a JDK or a Go tree, and must know when the repo's build lock is
   * already held by the build that runs them (scripts/lib.sh), or they would wait for themselves.
   */
  private static final List<String> BUILD_EXTRA =
      List.of("JAVA_HOME", "GOPATH", "GOROOT", "MAVEN_OPTS", "JANK_BUILD_LOCK_HELD");
  private static final String DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin";

  private PluginEnvironment() {}

  public static Map<String, String> forPlugin(PluginManifest manifest, Map<String, String> host) {
    Map<String, String> env = base(host);
    for (String name : manifest.runner().env()) {
      // The handshake variables are the host's to set; a manifest cannot override them.
      if (host.containsKey(name) && !isHandshakeVariable(name)) {
        env.put(name, host.get(name));
      }
    }
    env.put(Handshake.MAGIC_COOKIE_KEY, Handshake.MAGIC_COOKIE_VALUE);
    env.put(Handshake.PROTOCOL_VERSIONS_ENV, Integer.toString(Handshake.APP_PROTOCOL_VERSION));
    env.put(Handshake.MIN_PORT_ENV, Integer.toString(manifest.minPort()));
    env.put(Handshake.MAX_PORT_ENV, Integer.toString(manifest.maxPort()));
    return env;
  }

  /**
   * A build's environment, without the worker's HOME and TMPDIR (the build sandbox sets private
   * ones). A build that runs as the worker's own user (plugin user {@code worker}) may still use
   * the worker's Maven repository and npm cache, named explicitly; one that runs as a plugin user
   * gets no path into the worker's home.
   */
  public static Map<String, String> forBuild(Map<String, String> host, boolean asWorkerUser) {
    Map<String, String> env = base(host);
    env.remove("HOME");
    env.remove("TMPDIR");
    BUILD_EXTRA.stream().filter(host::containsKey).forEach(name -> env.put(name, host.get(name)));
    String home = host.get("HOME");
    if (asWorkerUser && home != null && !home.isBlank()) {
      env.put("MAVEN_USER_HOME", host.getOrDefault("MAVEN_USER_HOME", home + "/.m2"));
      String mavenOpts = host.getOrDefault("MAVEN_OPTS", "");
      if (!mavenOpts.contains("-Dmaven.repo.local=")) {
        env.put("MAVEN_OPTS", (mavenOpts + " -Dmaven.repo.local=" + env.get("MAVEN_USER_HOME") + "/repository").strip());
      }
      env.put("npm_config_cache", host.getOrDefault("npm_config_cache", home + "/.npm"));
    }
    return env;
  }

  private static Map<String, String> base(Map<String, String> host) {
    Map<String, String> env = new LinkedHashMap<>();
    BASE.stream().filter(host::containsKey).forEach(name -> env.put(name, host.get(name)));
    env.putIfAbsent("PATH", DEFAULT_PATH);
    env.putIfAbsent("LANG", "C.UTF-8");
    return env;
  }

  private static boolean isHandshakeVariable(String name) {
    return name.equals(Handshake.MAGIC_COOKIE_KEY) || name.startsWith("PLUGIN_");
  }
}
