package io.jankrunner.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.plugin.api.PluginReply;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The host side of go-plugin's own services, against a plugin that serves them as go-plugin
 * >= 1.4 does: its output read from {@code plugin.GRPCStdio/StreamStdio}, its stop through
 * {@code plugin.GRPCController/Shutdown}.
 */
class GoPluginHostIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ID = "test.plugins.go-plugin-server";

  @TempDir Path plugins;
  @TempDir Path state;
  @TempDir Path markers;
  private PluginManager manager;
  private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
  private final Logger pluginOutput = (Logger) LoggerFactory.getLogger("io.jankrunner.plugin.output");

  @BeforeEach
  void startManager() throws Exception {
    TestPlugins.javaPlugin(plugins, "go-plugin-server", ID, GoPluginServer.class,
        "'" + markers.resolve("shutdown") + "'", "");
    logged.start();
    pluginOutput.addAppender(logged);
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state)
        .withStopGrace(Duration.ofSeconds(10)), new RecordingListener());
    manager.register(ID);
  }

  @AfterEach
  void stopManager() {
    manager.close();
    pluginOutput.detachAppender(logged);
  }

  @Test
  void tenMebibytesWrittenToTheStdioStreamDuringACallAreReadAndTheCallIsAnswered() throws Exception {
    // The plugin blocks on its 64 KiB buffer while no host reads the stream, as go-plugin does:
    // a TIMEOUT here is a host that does not read it.
    ObjectNode answer = manager.execute(ID, "flood-stdio", JSON.createObjectNode().put("n", 1),
        Optional.of(Instant.now().plusSeconds(30)), Optional.empty()).data();

    assertEquals(1, answer.path("n").asInt());
    List<String> lines = List.copyOf(logged.list).stream().map(ILoggingEvent::getFormattedMessage)
        .filter(message -> message.contains("flood line")).toList();
    assertTrue(!lines.isEmpty(), "no line of the stdio stream reached the log");
    // ~80,000 lines were written; the log's rate limit lets a small part of them through.
    assertTrue(lines.size() < 40_000, lines.size() + " lines logged: not rate limited");
    assertTrue(lines.stream().anyMatch(message -> message.contains(" stdout]"))
        && lines.stream().anyMatch(message -> message.contains(" stderr]")), "both channels are logged");
  }

  @Test
  void unregisteringStopsThePluginThroughItsControllerAfterItsCallInFlightFinished() throws Exception {
    long pid = processPid();
    CompletableFuture<PluginReply> inFlight = CompletableFuture.supplyAsync(() -> {
      try {
        return manager.execute(ID, "slow", JSON.createObjectNode().put("n", 2),
            Optional.of(Instant.now().plusSeconds(30)), Optional.empty());
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    });
    Path callStarted = markers.resolve("shutdown.call");
    for (long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); !Files.exists(callStarted)
        && System.nanoTime() < until; ) {
      Thread.sleep(20); // a liveness bound: the plugin is running the call
    }
    assertTrue(Files.exists(callStarted), "the call never reached the plugin");

    manager.unregister(ID);

    assertEquals(2, inFlight.get(30, TimeUnit.SECONDS).data().path("n").asInt());
    // The marker is written only when the plugin's server stopped on Shutdown (a signal would
    // end the JVM with 143 and no marker).
    assertTrue(Files.exists(markers.resolve("shutdown")), "the plugin was not stopped through its controller");
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isPresent()) {
      process.get().onExit().get(30, TimeUnit.SECONDS);
    }
  }

  private long processPid() throws Exception {
    manager.execute(ID, "echo", JSON.createObjectNode());
    return manager.get(ID).orElseThrow().pid().orElseThrow();
  }
}
