package io.jankrunner.plugin;

import io.jankrunner.plugin.api.PluginStateListener;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkout's {@code plugins/} (and the SDKs they build against) for a whole test class, now
 * that failsafe runs classes in several forks at once: a class that builds there
 * ({@code @ExtendWith(CheckoutPluginsLock.class)}) has it to itself; classes that only run or
 * copy the example plugins ({@code @ExtendWith(CheckoutPluginsLock.Shared.class)}) share it with
 * each other, after building the examples still missing (a fresh clone) one fork at a time.
 * Other classes run beside all of them.
 *
 * <p>An OS file lock ({@code runner/target/checkout-plugins.lock}) between the forks, each its
 * own JVM; a JVM runs one class at a time, so it holds at most one.
 */
public class CheckoutPluginsLock implements BeforeAllCallback, AfterAllCallback {

  private static final Logger log = LoggerFactory.getLogger(CheckoutPluginsLock.class);
  /** The example plugins the shared classes run: plugin id → its directory and binary. */
  private static final Map<String, Path> EXAMPLES = new LinkedHashMap<>();

  static {
    EXAMPLES.put("com.jank.plugins.hello-world", Path.of("hello-go/bin/hello-world"));
    EXAMPLES.put("com.jank.plugins.hello-java", Path.of("hello-java/bin/hello-java"));
  }

  private static FileChannel channel;

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    lock(context, false);
  }

  @Override
  public void afterAll(ExtensionContext context) throws IOException {
    unlock();
  }

  /** Runs or copies the checkout's example plugins; builds those still missing first. */
  public static final class Shared extends CheckoutPluginsLock {

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
      if (!missingExamples().isEmpty()) {
        lock(context, false);
        try {
          buildMissingExamples();
        } finally {
          unlock();
        }
      }
      lock(context, true);
    }
  }

  static void lock(ExtensionContext context, boolean shared) throws IOException {
    Path file = TestPlugins.repo().resolve("runner/target/checkout-plugins.lock");
    Files.createDirectories(file.getParent());
    channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    FileLock held = channel.tryLock(0, Long.MAX_VALUE, shared);
    if (held == null) {
      log.info("{} waits for another test fork to be done with the checkout's plugins ({})",
          context.getDisplayName(), file);
      channel.lock(0, Long.MAX_VALUE, shared);
    }
  }

  static void unlock() throws IOException {
    try {
      if (channel != null) {
        channel.close(); // releases the lock
      }
    } finally {
      channel = null;
    }
  }

  private static Map<String, Path> missingExamples() {
    Map<String, Path> missing = new LinkedHashMap<>();
    Path plugins = TestPlugins.repo().resolve("plugins");
    EXAMPLES.forEach((id, binary) -> {
      boolean buildable = !id.endsWith("hello-world") || TestPlugins.missingGoToolchain().isEmpty();
      if (buildable && !Files.isExecutable(plugins.resolve(binary))) {
        missing.put(id, binary);
      }
    });
    return missing;
  }

  /** As the first class to register them would: the manager runs their {@code scripts/build.sh}. */
  private static void buildMissingExamples() throws Exception {
    Map<String, Path> missing = missingExamples(); // again: another fork may have built them meanwhile
    if (missing.isEmpty()) {
      return;
    }
    Path state = Files.createTempDirectory("checkout-build-");
    try (PluginManager manager = new PluginManager(PluginManagerConfig.defaults(TestPlugins.repo().resolve("plugins"))
        .withStateDir(state), PluginStateListener.NONE)) {
      for (String id : missing.keySet()) {
        log.info("building the example plugin {} in the checkout for the tests that run it", id);
        manager.build(id, line -> { });
      }
    } finally {
      try (var files = Files.walk(state)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
      }
    }
  }
}
