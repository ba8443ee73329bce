package {{PACKAGE}};

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.sdk.PluginException;
import io.jankrunner.sdk.PluginHandler;
import io.jankrunner.sdk.PluginServer;

/** {{ID}}: answers {@code hello} with a greeting. Add methods to the switch. */
public final class Plugin implements PluginHandler {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  public static void main(String[] args) {
    // The runner starts a plugin with its own directory as working directory.
    PluginServer.serve(new Plugin());
  }

  /** Calls arrive concurrently, each on its own virtual thread: keep shared state thread-safe. */
  @Override
  public ObjectNode execute(String method, ObjectNode args) throws PluginException {
    return switch (method) {
      case "hello" -> hello(args);
      default -> throw PluginException.unknownMethod(method);
    };
  }

  private static ObjectNode hello(ObjectNode args) {
    JsonNode name = args.get("name");
    String who = name != null && name.isTextual() && !name.textValue().isBlank() ? name.textValue() : "world";
    return NODES.objectNode().put("message", "Hello, " + who + "!");
  }
}
