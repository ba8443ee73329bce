package io.jankrunner.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.sdk.PluginException;
import io.jankrunner.sdk.PluginServer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The long command of {@code scripts/bench share}, served by the Java SDK: {@code sleep} writes
 * the file named by {@code marker} (so the bench knows the command is running, not only sent),
 * then sleeps {@code ms}.
 */
public final class SleepPlugin {

  static final String ID = "bench.plugins.sleep";

  private SleepPlugin() {}

  public static void main(String[] args) {
    PluginServer.serve(SleepPlugin::execute);
  }

  private static ObjectNode execute(String method, ObjectNode args) throws Exception {
    if (!method.equals("sleep")) {
      throw PluginException.unknownMethod(method);
    }
    if (args.hasNonNull("marker")) {
      Files.writeString(Path.of(args.path("marker").asText()), "running");
    }
    Thread.sleep(args.path("ms").asLong(1000));
    return args;
  }
}
