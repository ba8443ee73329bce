package io.jankrunner.bench;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.plugin.grpc.GrpcWarmup;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * A fresh JVM's first plugin call, as a worker makes it: {@code FirstCall PLUGINS_DIR ID warm|cold}.
 * With {@code warm} the worker's gRPC warm-up runs first (as it does while a worker connects to
 * Kafka). Prints one line: the first call's milliseconds without the plugin's own start
 * (launch + handshake), those of the second call, the whole first start (the first call with
 * the plugin's launch and handshake: a fresh worker's first cold start), and the same JVM's
 * second start (unregistered, registered and called again).
 */
public final class FirstCall {

  private FirstCall() {}

  public static void main(String[] args) throws Exception {
    Path plugins = Path.of(args[0]);
    String id = args[1];
    if (args[2].equals("warm")) {
      GrpcWarmup.inBackground().join();
    }
    ObjectNode payload = JsonNodeFactory.instance.objectNode().put("name", "Ada").put("n", 42);
    try (PluginManager manager = new PluginManager(PluginManagerConfig.defaults(plugins)
        .withStateDir(Files.createTempDirectory("first-call")), PluginStateListener.NONE)) {
      manager.register(id);
      long start = System.nanoTime();
      manager.execute(id, "echo", payload);
      long first = System.nanoTime() - start;
      long handshake = manager.coldStart(id).map(Duration::toNanos).orElse(0L);
      start = System.nanoTime();
      manager.execute(id, "echo", payload);
      long second = System.nanoTime() - start;
      // The same JVM's second start: what is left of the first start's extra once the JVM did one.
      manager.unregister(id);
      manager.register(id);
      start = System.nanoTime();
      manager.execute(id, "echo", payload);
      long secondStart = System.nanoTime() - start;
      System.out.printf(Locale.ROOT, "%.2f %.2f %.2f %.2f%n", (first - handshake) / 1e6, second / 1e6, first / 1e6,
          secondStart / 1e6);
    }
    System.exit(0);
  }
}
