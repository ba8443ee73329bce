package io.jankrunner.plugin;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.sdk.PluginException;
import io.jankrunner.sdk.PluginServer;
import java.util.Arrays;
import java.util.List;

/**
 * A real plugin, served by the SDK, that misbehaves on request: it hangs in a call, crashes in
 * the middle of one, or floods its stderr. Started by tests as a child process.
 */
public final class MisbehavingPlugin {

  public static void main(String[] args) {
    List<String> flags = Arrays.asList(args);
    if (flags.contains("--flood-stderr")) {
      Thread.ofPlatform().daemon(true).start(MisbehavingPlugin::flood);
    }
    PluginServer.serve(MisbehavingPlugin::execute);
  }

  private static ObjectNode execute(String method, ObjectNode args) throws Exception {
    return switch (method) {
      case "echo" -> args;
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
      case "flood-stderr" -> {
        floodStderr(args.path("bytes").asLong(10L * 1024 * 1024));
        yield args;
      }
      default -> throw PluginException.unknownMethod(method);
    };
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
