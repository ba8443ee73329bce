package io.jankrunner.plugins.hello;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.sdk.PluginException;
import io.jankrunner.sdk.PluginHandler;
import io.jankrunner.sdk.PluginServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The Java twin of the Go hello plugin: {@code greet}, {@code info} and {@code echo}. */
public final class HelloPlugin implements PluginHandler {

  private static final List<String> INFO_FIELDS = List.of("id", "name", "version", "author", "description", "type");

  private final ObjectMapper json = new ObjectMapper();
  private final JsonNode manifest;

  HelloPlugin(JsonNode manifest) {
    this.manifest = manifest;
  }

  public static void main(String[] args) throws IOException {
    // The runner starts plugins with their own directory as working directory.
    JsonNode manifest = new ObjectMapper().readTree(Path.of("plugin.json").toFile());
    PluginServer.serve(new HelloPlugin(manifest));
  }

  @Override
  public ObjectNode execute(String method, ObjectNode args) throws PluginException {
    return switch (method) {
      case "greet" -> greet(args);
      case "info" -> info();
      case "echo" -> args;
      default -> throw PluginException.unknownMethod(method);
    };
  }

  private ObjectNode greet(ObjectNode args) throws PluginException {
    JsonNode name = args.get("name");
    if (name == null || !name.isTextual() || name.textValue().isBlank()) {
      throw new PluginException("greet needs a string argument 'name'");
    }
    return json.createObjectNode().put("message", "Hello, " + name.textValue() + "!");
  }

  private ObjectNode info() {
    ObjectNode info = json.createObjectNode();
    INFO_FIELDS.forEach(field -> info.set(field, manifest.path(field).isMissingNode() ? null : manifest.get(field)));
    return info.put("language", "java").put("pid", ProcessHandle.current().pid());
  }
}
