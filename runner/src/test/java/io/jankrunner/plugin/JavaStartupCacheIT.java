package io.jankrunner.plugin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.jankrunner.plugin.api.PluginStateListener;
import io.jankrunner.proto.ExecuteRequest;
import io.jankrunner.proto.ExecuteResponse;
import io.jankrunner.proto.PluginServiceGrpc;
import io.jankrunner.protocol.Handshake;
import io.jankrunner.protocol.JsonValues;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java example plugin's start-up cache (JDK 25's AOT cache, or the class-data archive on an
 * older JDK, made by {@code java_plugin_launcher} in scripts/lib.sh) speeds a start up and never
 * stops one: a copy of the built plugin, its cache missing, overwritten, cut short or older than
 * its jar, still starts and answers. Real processes, launched as a go-plugin host does, over
 * real gRPC.
 */
@org.junit.jupiter.api.extension.ExtendWith(io.jankrunner.plugin.CheckoutPluginsLock.Shared.class) // copies the checkout's Java example
class JavaStartupCacheIT {

  private static final String NAME = "hello-java";
  private static EventLoopGroup loop;
  private static Path built;

  @TempDir
  Path copies;

  @BeforeAll
  static void buildTheExample(@TempDir Path state) throws Exception {
    try (PluginManager manager = new PluginManager(PluginManagerConfig.defaults(TestPlugins.repo().resolve("plugins"))
        .withStateDir(state).withStopGrace(Duration.ofSeconds(2)), PluginStateListener.NONE)) {
      manager.register(ExamplePluginsIT.JAVA); // builds it when it has no binary yet
    }
    built = TestPlugins.repo().resolve("plugins").resolve(NAME);
    loop = new EpollEventLoopGroup(1);
  }

  @AfterAll
  static void stopLoop() {
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  @Test
  void startsWithTheCacheAsBuilt() throws Exception {
    Path plugin = copy();
    String record = Files.readString(plugin.resolve("target/" + NAME + ".startup-cache")).strip();
    assertTrue(record.matches("(aot|cds) \\d+-\\d+"), record);
    assertTrue(Files.size(cache(plugin)) > 0);
    assertAnswers(plugin);
  }

  @Test
  void startsWithoutTheCache() throws Exception {
    Path plugin = copy();
    Files.delete(cache(plugin));
    assertAnswers(plugin);
  }

  @Test
  void startsWithACacheOverwrittenByGarbage() throws Exception {
    Path plugin = copy();
    byte[] garbage = new byte[64 * 1024];
    new Random(42).nextBytes(garbage);
    overwriteKeepingItNewer(cache(plugin), garbage);
    assertAnswers(plugin);
  }

  @Test
  void startsWithACacheCutShort() throws Exception {
    Path plugin = copy();
    byte[] head = new byte[1 << 20];
    try (var in = Files.newInputStream(cache(plugin))) {
      head = in.readNBytes(head.length);
    }
    overwriteKeepingItNewer(cache(plugin), head);
    assertAnswers(plugin);
  }

  @Test
  void startsWhenTheJarIsNewerThanTheCache() throws Exception {
    Path plugin = copy();
    Files.setLastModifiedTime(plugin.resolve("target/" + NAME + ".jar"), FileTime.from(Instant.now().plusSeconds(60)));
    assertAnswers(plugin);
  }

  /** The fallback a JDK without the AOT cache (21-24) gets, forced on this one. */
  @Test
  void theClassDataArchiveFallbackStartsAndSurvivesBeingBroken() throws Exception {
    Path plugin = copy();
    Process build = new ProcessBuilder("bash", "-c",
        "source \"$1/scripts/lib.sh\" && find_jdk && JANK_JAVA_STARTUP_CACHE=cds java_plugin_launcher " + NAME,
        "bash", TestPlugins.repo().toString())
        .directory(plugin.toFile()).redirectErrorStream(true).start();
    String output = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(build.waitFor(3, TimeUnit.MINUTES), output);
    assertEquals(0, build.exitValue(), output);
    assertTrue(Files.readString(plugin.resolve("target/" + NAME + ".startup-cache")).startsWith("cds "), output);
    Path archive = plugin.resolve("target/" + NAME + ".jsa");
    assertTrue(Files.size(archive) > 0, output);
    assertTrue(Files.notExists(plugin.resolve("target/" + NAME + ".aot")), output);
    assertTrue(Files.readString(plugin.resolve("bin/" + NAME)).contains("-XX:SharedArchiveFile="));
    assertAnswers(plugin);

    overwriteKeepingItNewer(archive, new byte[] {1, 2, 3});
    assertAnswers(plugin);
  }

  /** A copy of the built plugin (the files its launcher uses), their times kept. */
  private Path copy() throws IOException {
    Path plugin = Files.createDirectories(copies.resolve(NAME));
    Files.createDirectories(plugin.resolve("bin"));
    Files.createDirectories(plugin.resolve("target"));
    for (String file : List.of("plugin.json", "bin/" + NAME, "target/" + NAME + ".jar", "target/" + NAME + ".startup-cache",
        "target/" + NAME + ".aot", "target/" + NAME + ".jsa")) {
      if (Files.exists(built.resolve(file))) {
        Files.copy(built.resolve(file), plugin.resolve(file), StandardCopyOption.COPY_ATTRIBUTES);
      }
    }
    return plugin;
  }

  private static Path cache(Path plugin) {
    Path aot = plugin.resolve("target/" + NAME + ".aot");
    return Files.exists(aot) ? aot : plugin.resolve("target/" + NAME + ".jsa");
  }

  /** New content, still newer than the jar, so the launcher hands it to the JVM. */
  private static void overwriteKeepingItNewer(Path file, byte[] content) throws IOException {
    Files.write(file, content);
    Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(30)));
  }

  /** Starts the plugin's launcher as a go-plugin host does and calls {@code echo} once. */
  private static void assertAnswers(Path plugin) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(plugin.resolve("bin/" + NAME).toString()).directory(plugin.toFile())
        .redirectError(plugin.resolve("stderr.log").toFile());
    builder.environment().clear();
    builder.environment().put("PATH", "/usr/bin:/bin");
    builder.environment().put(Handshake.MAGIC_COOKIE_KEY, Handshake.MAGIC_COOKIE_VALUE);
    builder.environment().put(Handshake.PROTOCOL_VERSIONS_ENV, "1");
    Process process = builder.start();
    ManagedChannel channel = null;
    try {
      String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)).readLine();
      String stderr = Files.readString(plugin.resolve("stderr.log"));
      assertTrue(line != null && line.startsWith("1|1|unix|"), "no handshake: " + line + "; stderr: " + stderr);
      channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(Handshake.parse(line).address()))
          .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loop).usePlaintext()
          .overrideAuthority("localhost").build();
      ObjectNode args = JsonNodeFactory.instance.objectNode().put("name", "Ada").put("n", 42);
      // A liveness bound, not a timing: generous for a cold JVM on a machine with both cores busy.
      ExecuteResponse response = PluginServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
          .execute(ExecuteRequest.newBuilder().setMethod("echo").putAllArgs(JsonValues.toAnyMap(args)).build());
      assertEquals(args, JsonValues.fromAnyMap(response.getDataMap()));
    } finally {
      if (channel != null) {
        channel.shutdownNow();
      }
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
  }
}
