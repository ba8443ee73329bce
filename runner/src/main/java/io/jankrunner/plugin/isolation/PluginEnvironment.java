package io.jankrunner.plugin.isolation;

import io.jankrunner.plugin.manifest.PluginManifest;
import io.jankrunner.protocol.Handshake;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The environment a plugin process or build sees: a clean one. Only {@code PATH}, {@code HOME},
 * {@code LANG}, {@code TMPDIR}, the go-plugin handshake variables and the names the plugin lists
 * in {@code runner.env} come from the worker, and a listed name only when the operator allows it
 * in {@code JANK_PLUGIN_ENV} (names or {@code *} patterns, comma-separated). Names that are the
 * runner's own or look like credentials ({@link #isProtected}) pass only when the operator names
 * them exactly: a pattern never lets them through, so a plugin cannot ask for the worker's secrets.
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

  /** The worker's variable with the operator's allow-list for {@code runner.env}. */
  public static final String ALLOW_LIST_ENV = "JANK_PLUGIN_ENV";
  /** Prefixes of the runner's own settings, Kafka clients' and cloud or CI credentials. */
  private static final List<String> PROTECTED_PREFIXES = List.of("JANK_", "KAFKA_", "AWS_", "AZURE_", "GOOGLE_",
      "GCP_", "GCLOUD_", "VAULT_", "GITHUB_", "GH_", "NPM_", "DOCKER_", "SSL_", "SASL_");
  /** Parts of a name that say it holds a credential. */
  private static final List<String> SECRET_WORDS = List.of("TOKEN", "SECRET", "PASSWORD", "PASSWD", "KEY",
      "CREDENTIAL", "AUTH", "PRIVATE", "COOKIE", "SESSION");
  private static final Logger log = LoggerFactory.getLogger(PluginEnvironment.class);
  /** Plugin and name of refusals already logged: once per plugin, not once per instance start. */
  private static final Set<String> REFUSALS_LOGGED = ConcurrentHashMap.newKeySet();

  private PluginEnvironment() {}

  public static Map<String, String> forPlugin(PluginManifest manifest, Map<String, String> host) {
    Map<String, String> env = base(host);
    List<String> allowed = allowList(host.get(ALLOW_LIST_ENV));
    for (String name : manifest.runner().env()) {
      // The handshake variables are the host's to set; a manifest cannot override them.
      if (!host.containsKey(name) || isHandshakeVariable(name)) {
        continue;
      }
      if (operatorAllows(allowed, name)) {
        env.put(name, host.get(name));
      } else if (REFUSALS_LOGGED.add(manifest.id() + "\0" + name)) {
        log.warn("plugin {}: runner.env names {}, which is not passed: {}", manifest.id(), name,
            isProtected(name) ? "it looks like the runner's or a credential; the operator must name it exactly in "
                + ALLOW_LIST_ENV : "it is not in the operator's " + ALLOW_LIST_ENV);
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

  /** The operator's entries: names, or patterns where {@code *} stands for any characters. */
  static List<String> allowList(String value) {
    return value == null ? List.of()
        : Arrays.stream(value.split(",")).map(String::strip).filter(entry -> !entry.isEmpty()).toList();
  }

  /** A protected name only when listed exactly; any other when listed or matched by a pattern. */
  static boolean operatorAllows(List<String> allowed, String name) {
    if (allowed.contains(name)) {
      return true;
    }
    return !isProtected(name) && allowed.stream().anyMatch(entry -> entry.contains("*") && matches(entry, name));
  }

  /** The runner's own settings, Kafka client settings and names that look like credentials. */
  static boolean isProtected(String name) {
    String upper = name.toUpperCase(Locale.ROOT);
    return PROTECTED_PREFIXES.stream().anyMatch(upper::startsWith) || SECRET_WORDS.stream().anyMatch(upper::contains);
  }

  private static boolean matches(String pattern, String name) {
    StringBuilder regex = new StringBuilder();
    for (String part : pattern.split("\\*", -1)) {
      regex.append(java.util.regex.Pattern.quote(part)).append(".*");
    }
    regex.setLength(regex.length() - 2);
    return name.matches(regex.toString());
  }

  private static boolean isHandshakeVariable(String name) {
    return name.equals(Handshake.MAGIC_COOKIE_KEY) || name.startsWith("PLUGIN_");
  }
}
