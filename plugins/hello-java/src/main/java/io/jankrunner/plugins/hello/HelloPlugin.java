package io.jankrunner.plugins.hello;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.sdk.PluginException;
import io.jankrunner.sdk.PluginHandler;
import io.jankrunner.sdk.PluginServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/** The Java twin of the Go hello plugin: {@code greet}, {@code info} and {@code echo}. */
public final class HelloPlugin implements PluginHandler {

  private static final List<String> INFO_FIELDS = List.of("id", "name", "version", "author", "description", "type");

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final Path manifestFile;
  private JsonNode manifest;

  HelloPlugin(Path manifestFile) {
    this.manifestFile = manifestFile;
  }

  public static void main(String[] args) {
    // The runner starts plugins with their own directory as working directory. The manifest is
    // read on the first `info`: an ObjectMapper costs ~100 ms of a cold start that `greet` and
    // `echo` never need.
    PluginServer.serve(new HelloPlugin(Path.of("plugin.json")));
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
    return NODES.objectNode().put("message", "Hello, " + name.textValue() + "!");
  }

  private synchronized JsonNode manifest() {
    if (manifest == null) {
      try {
        manifest = new ObjectMapper().readTree(manifestFile.toFile());
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + manifestFile.toAbsolutePath(), e);
      }
    }
    return manifest;
  }

  private ObjectNode info() {
    JsonNode manifest = manifest();
    ObjectNode info = NODES.objectNode();
    INFO_FIELDS.forEach(field -> info.set(field, manifest.path(field).isMissingNode() ? null : manifest.get(field)));
    return info.put("language", "java").put("pid", ProcessHandle.current().pid());
  }
}
