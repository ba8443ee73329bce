package io.jankrunner.intake;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.sdk.PluginException;
import io.jankrunner.sdk.PluginServer;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real plugin for the intake tests, served by the SDK: it echoes, sleeps, names its process, returns
 * results of a requested size, and reports how many calls it had in flight at once.
 */
public final class PipelinePlugin {

  private static final AtomicInteger inFlight = new AtomicInteger();
  private static final AtomicInteger mostInFlight = new AtomicInteger();

  public static void main(String[] args) {
    PluginServer.serve(PipelinePlugin::execute);
  }

  private static ObjectNode execute(String method, ObjectNode args) throws Exception {
    return switch (method) {
      case "echo" -> args;
      case "sleep" -> {
        Thread.sleep(args.path("ms").asLong(100));
        yield args;
      }
      case "pid" -> {
        Thread.sleep(args.path("ms").asLong(100));
        yield args.put("pid", ProcessHandle.current().pid());
      }
      case "big" -> args.put("blob", "x".repeat(args.path("bytes").asInt(1024)));
      case "concurrency" -> {
        int now = inFlight.incrementAndGet();
        mostInFlight.accumulateAndGet(now, Math::max);
        try {
          Thread.sleep(args.path("ms").asLong(50));
        } finally {
          inFlight.decrementAndGet();
        }
        yield args.put("in_flight", now).put("most_in_flight", mostInFlight.get());
      }
      default -> throw PluginException.unknownMethod(method);
    };
  }
}
