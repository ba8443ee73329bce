package io.jankrunner.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.RunnerException;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code scripts/bench plugins}: a worker holding {@code max_plugins} (100) copies of the Go
 * example, each registered under its own id and called once (so each runs as its own process,
 * over auto-mTLS as the example's manifest asks). Reports the worker JVM's resident memory,
 * plugin processes excluded, and the total time; checks the next registration is refused.
 * The last line printed is one JSON object with every figure.
 */
public final class PluginsBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private PluginsBench() {}

  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : PluginManagerConfig.DEFAULT_MAX_PLUGINS;
    Path example = Path.of(args.length > 1 ? args[1] : "plugins/hello-go").toAbsolutePath();
    Path binary = example.resolve("bin/hello-world");
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(binary + " is missing: scripts/runner plugins build com.jank.plugins.hello-world");
    }
    Path root = Files.createTempDirectory("bench-plugins");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path plugins = Files.createDirectories(root.resolve("plugins"));
    Path sharedBinary = Files.copy(binary, root.resolve("hello-world"));
    String manifest = Files.readString(example.resolve("plugin.json"));
    for (int i = 0; i <= count; i++) {
      Path dir = Files.createDirectories(plugins.resolve("hello-" + i).resolve("bin"));
      Files.createLink(dir.resolve("hello-world"), sharedBinary); // one binary on disk, 101 plugin dirs
      Files.writeString(dir.getParent().resolve("plugin.json"),
          manifest.replace("\"com.jank.plugins.hello-world\"", "\"" + id(i) + "\""));
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.toList()) {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(
            Files.isDirectory(path) || Files.isExecutable(path) ? "rwxr-xr-x" : "rw-r--r--"));
      }
    }

    Map<String, Object> figures = new LinkedHashMap<>();
    figures.put("plugins", count);
    long rssBefore = rssKib();
    long started = System.nanoTime();
    try (PluginManager manager = new PluginManager(PluginManagerConfig.defaults(plugins)
        .withStateDir(root.resolve("state")), change -> { })) {
      for (int i = 0; i < count; i++) {
        manager.register(id(i));
      }
      long registered = System.nanoTime();
      ObjectNode args1 = JSON.createObjectNode().put("name", "bench");
      for (int i = 0; i < count; i++) {
        manager.execute(id(i), "greet", args1);
      }
      long called = System.nanoTime();
      String refused;
      try {
        manager.register(id(count));
        refused = "NOT REFUSED";
      } catch (RunnerException e) {
        refused = e.code() + ": " + e.getMessage();
      }
      System.gc();
      figures.put("register_all_ms", (registered - started) / 1_000_000);
      figures.put("first_call_each_ms", (called - registered) / 1_000_000);
      figures.put("total_ms", (called - started) / 1_000_000);
      figures.put("worker_rss_mb_before", rssBefore / 1024);
      figures.put("worker_rss_mb", rssKib() / 1024);
      figures.put("worker_heap_used_mb",
          (Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory()) / (1024 * 1024));
      figures.put("plugin_processes", ProcessHandle.current().descendants().count());
      figures.put("plugin_processes_rss_mb", ProcessHandle.current().descendants()
          .mapToLong(p -> rssKib(p.pid())).sum() / 1024);
      figures.put("registration_past_cap", refused);
    } finally {
      try (Stream<Path> paths = Files.walk(root)) {
        paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
    System.out.println(JSON.writeValueAsString(figures));
  }

  private static String id(int i) {
    return "com.jank.plugins.hello-world-" + i;
  }

  private static long rssKib() {
    return rssKib(ProcessHandle.current().pid());
  }

  private static long rssKib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", ""));
        }
      }
    } catch (Exception e) {
      // exited meanwhile
    }
    return 0;
  }
}
