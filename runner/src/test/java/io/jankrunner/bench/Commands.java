package io.jankrunner.bench;

import java.nio.charset.StandardCharsets;

/** The bench's command: the Go plugin's {@code echo} of a small object, serialized without a tree. */
final class Commands {

  static final String PLUGIN = "com.jank.plugins.hello-world";

  private Commands() {}

  static byte[] echo(String id, String replyTo) {
    // ids and topic names here are [A-Za-z0-9.-]: nothing to escape.
    return ("{\"v\":1,\"id\":\"" + id + "\",\"type\":\"execute\",\"plugin\":\"" + PLUGIN
        + "\",\"method\":\"echo\",\"reply_to\":\"" + replyTo + "\",\"args\":{\"n\":42,\"name\":\"Ada\"}}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] register(String id, String plugin, String replyTo) {
    return ("{\"v\":1,\"id\":\"" + id + "\",\"type\":\"register\",\"plugin\":\"" + plugin + "\",\"reply_to\":\""
        + replyTo + "\"}").getBytes(StandardCharsets.UTF_8);
  }
}
