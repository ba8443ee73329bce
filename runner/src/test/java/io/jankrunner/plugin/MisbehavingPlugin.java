package io.jankrunner.plugin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.jankrunner.protocol.EphemeralCertificate;
import io.jankrunner.protocol.Handshake;
import io.jankrunner.sdk.PluginException;
import io.jankrunner.sdk.PluginServer;
import java.util.Arrays;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A real plugin, served by the SDK, that misbehaves on request: it hangs in a call, crashes in
 * the middle of one, or floods its stderr; {@code calls} counts the calls it received. Started by
 * tests as a child process.
 */
public final class MisbehavingPlugin {

  public static void main(String[] args) throws Exception {
    List<String> flags = Arrays.asList(args);
    if (flags.contains("--wrong-cert")) {
      serveWithAnotherCertificateThanTheHandshakeSays();
      return;
    }
    if (flags.contains("--flood-stderr")) {
      Thread.ofPlatform().daemon(true).start(MisbehavingPlugin::flood);
    }
    PluginServer.serve(MisbehavingPlugin::execute);
  }

  /** Execute calls this process has received, whatever their method: what reached the plugin. */
  private static final java.util.concurrent.atomic.AtomicLong CALLS = new java.util.concurrent.atomic.AtomicLong();

  private static ObjectNode execute(String method, ObjectNode args) throws Exception {
    long calls = CALLS.incrementAndGet();
    return switch (method) {
      case "echo" -> args;
      case "calls" -> args.put("calls", calls); // this call included
      case "sleep" -> {
        Thread.sleep(Long.MAX_VALUE);
        yield args;
      }
      case "crash" -> {
        System.err.println("about to crash on purpose");
        System.err.flush();
        Runtime.getRuntime().halt(3);
        yield args;
      }
      case "slow" -> {
        Thread.sleep(args.path("ms").asLong(100));
        yield args;
      }
      case "fail" -> throw new PluginException("failing on purpose");
      case "pid" -> args.put("pid", ProcessHandle.current().pid());
      case "hog" -> hog(args.path("mb").asInt(4096));
      case "spawn" -> {
        boolean exit = args.path("exit").asBoolean(false);
        try {
          yield spawn(args.path("count").asInt(300), exit);
        } catch (Throwable e) {
          if (exit) {
            Runtime.getRuntime().halt(4); // whatever thread the limit hit first, die of it
          }
          throw e;
        }
      }
      case "read-file" -> args.put("content", java.nio.file.Files.readString(java.nio.file.Path.of(args.path("path").asText())));
      case "uid" -> args.put("uid", (Integer) java.nio.file.Files.getAttribute(java.nio.file.Path.of("/proc/self"), "unix:uid"))
          .put("tmpdir", System.getenv("TMPDIR"));
      case "cgroups" -> args.put("cgroups", java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/cgroup")));
      case "escape" -> {
        // A double fork in a new session: the grandchild is in neither the plugin's process group nor its tree.
        Process fork = new ProcessBuilder("setsid", "sh", "-c", "nohup sleep 600 >/dev/null 2>&1 & echo $!")
            .redirectErrorStream(true).start();
        String grandchild = new String(fork.getInputStream().readAllBytes()).strip();
        fork.waitFor();
        yield args.put("pid", Long.parseLong(grandchild));
      }
      case "write-file" -> {
        java.nio.file.Path file = java.nio.file.Path.of(System.getenv("TMPDIR"), "big");
        try (var out = java.nio.file.Files.newOutputStream(file)) {
          byte[] mib = new byte[1024 * 1024];
          for (int i = 0; i < args.path("mb").asInt(); i++) {
            out.write(mib);
          }
        }
        yield args.put("written", java.nio.file.Files.size(file));
      }
      case "list-dir" -> {
        try (var names = java.nio.file.Files.list(java.nio.file.Path.of(args.path("path").asText()))) {
          yield args.put("entries", names.map(Object::toString).toList().toString());
        }
      }
      case "connect-unix" -> {
        try (var socket = java.nio.channels.SocketChannel.open(
            java.net.UnixDomainSocketAddress.of(args.path("path").asText()))) {
          yield args.put("connected", socket.isConnected());
        }
      }
      case "connect-tcp" -> {
        try (var socket = new java.net.Socket()) {
          socket.connect(new java.net.InetSocketAddress(args.path("host").asText(), args.path("port").asInt()), 10_000);
          yield args.put("connected", socket.isConnected());
        }
      }
      case "flood-stderr" -> {
        floodStderr(args.path("bytes").asLong(10L * 1024 * 1024));
        yield args;
      }
      default -> throw PluginException.unknownMethod(method);
    };
  }

  /** Speaks TLS with one certificate and prints another in its handshake: the host must refuse it. */
  private static void serveWithAnotherCertificateThanTheHandshakeSays() throws Exception {
    EphemeralCertificate served = EphemeralCertificate.generate();
    EphemeralCertificate printed = EphemeralCertificate.generate();
    String socketDir = System.getenv().getOrDefault(Handshake.UNIX_SOCKET_DIR_ENV, System.getProperty("java.io.tmpdir"));
    Path socket = Files.createTempDirectory(Path.of(socketDir), "wrong").resolve("plugin.sock");
    Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
        .channelType(EpollServerDomainSocketChannel.class)
        .bossEventLoopGroup(new EpollEventLoopGroup(1))
        .workerEventLoopGroup(new EpollEventLoopGroup(1))
        .sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(served.privateKey(), served.certificate()))
            .build())
        .build()
        .start();
    System.out.println(new Handshake(1, 1, "unix", socket.toString(), "grpc", Optional.of(printed.handshakeField()))
        .toLine());
    System.out.flush();
    server.awaitTermination();
  }

  /** Allocates and touches {@code mb} MiB, keeping all of it: only a memory limit stops it. */
  private static ObjectNode hog(int mb) {
    List<byte[]> kept = new java.util.ArrayList<>();
    for (int i = 0; i < mb; i++) {
      byte[] chunk = new byte[1024 * 1024];
      Arrays.fill(chunk, (byte) i);
      kept.add(chunk);
    }
    return new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("allocated_mb", kept.size());
  }

  /**
   * Starts up to {@code count} child processes that sleep, stopping at the first the OS refuses;
   * answers how many started and why it stopped, or with {@code exit} dies once refused.
   */
  private static ObjectNode spawn(int count, boolean exit) {
    List<Process> children = new java.util.ArrayList<>();
    String refused = "";
    try {
      for (int i = 0; i < count; i++) {
        children.add(new ProcessBuilder("sleep", "60").start());
      }
    } catch (Throwable e) {
      // EAGAIN from fork, or no thread for the child's reaper: both are the pids limit.
      if (exit) {
        Runtime.getRuntime().halt(4);
      }
      refused = e.toString();
    }
    children.forEach(Process::destroyForcibly);
    return new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode()
        .put("started", children.size()).put("refused", refused);
  }

  /** Writes {@code bytes} of short lines to stderr inside the call: the call returns only once the host has read them. */
  private static void floodStderr(long bytes) {
    byte[] line = ("flood in a call " + "y".repeat(111) + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    java.io.FileOutputStream err = new java.io.FileOutputStream(java.io.FileDescriptor.err);
    try {
      for (long written = 0; written < bytes; written += line.length) {
        err.write(line);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // Lines and lines without newlines alike: the host must keep draining and stay healthy.
  private static void flood() {
    String line = "flood ".repeat(200);
    char[] noNewline = new char[64 * 1024];
    Arrays.fill(noNewline, 'x');
    while (true) {
      for (int i = 0; i < 1000; i++) {
        System.err.println(line);
      }
      System.err.print(noNewline);
      System.err.println();
    }
  }
}
