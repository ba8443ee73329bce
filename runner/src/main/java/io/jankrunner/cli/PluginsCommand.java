package io.jankrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.dispatch.PluginInfoJson;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.api.BuildResult;
import io.jankrunner.plugin.api.PluginInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code runner plugins list|build|exec|new}: the local plugin manager, without Kafka. */
@Command(name = "plugins", description = "Discover, build and call plugins locally.",
    mixinStandardHelpOptions = true,
    subcommands = {PluginsCommand.ListPlugins.class, PluginsCommand.BuildPlugin.class, PluginsCommand.ExecPlugin.class,
        PluginsCommand.NewPlugin.class})
final class PluginsCommand {

  static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** Options every plugins subcommand takes. */
  static final class PluginsDirOption {
    @Option(names = "--plugins-dir", paramLabel = "DIR",
        description = "The plugins directory (default: $JANK_PLUGINS_DIR, else the repo's plugins/).")
    Path pluginsDir;

    @Option(names = {"-v", "--verbose"}, description = "Log what the manager and plugins do (to stderr).")
    boolean verbose;

    PluginManager open() throws IOException {
      Logging.quietUnless(verbose);
      return new PluginManager(PluginManagerConfig.defaults(resolve()), change -> { });
    }

    Path resolve() {
      if (pluginsDir != null) {
        return pluginsDir;
      }
      String env = System.getenv("JANK_PLUGINS_DIR");
      return env != null && !env.isBlank() ? Path.of(env) : defaultPluginsDir();
    }
  }

  /** The repo's plugins/ ({@code scripts/runner} sets JANK_RUNNER_HOME), else ./plugins. */
  static Path defaultPluginsDir() {
    String repo = System.getProperty("jankrunner.repo", System.getenv("JANK_RUNNER_HOME"));
    return repo != null ? Path.of(repo, "plugins") : Path.of("plugins");
  }

  @Command(name = "list", description = "List every plugin directory and its state.", mixinStandardHelpOptions = true)
  static final class ListPlugins implements Callable<Integer> {
    @Mixin PluginsDirOption dir;
    @Option(names = "--json", description = "Print a JSON array instead of a table.") boolean json;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      try (PluginManager manager = dir.open()) {
        List<PluginInfo> plugins = manager.list();
        if (json) {
          ArrayNode array = JSON.createArrayNode();
          plugins.forEach(info -> array.add(PluginInfoJson.toJson(info)));
          out.println(JSON.writeValueAsString(array));
        } else {
          out.printf("%-36s %-10s %-12s %s%n", "ID", "VERSION", "STATUS", "DIRECTORY / REASON");
          for (PluginInfo info : plugins) {
            out.printf("%-36s %-10s %-12s %s%s%n", info.id().orElse("-"), info.version().orElse("-"), info.status(),
                info.directory().getFileName(), info.reason().map(r -> " (" + r + ")").orElse(""));
          }
        }
        out.flush();
      }
      return 0;
    }
  }

  @Command(name = "build", description = "Run a plugin's scripts/build.sh, showing its output.",
      mixinStandardHelpOptions = true)
  static final class BuildPlugin implements Callable<Integer> {
    @Mixin PluginsDirOption dir;
    @Parameters(index = "0", paramLabel = "ID", description = "The plugin id.") String id;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      try (PluginManager manager = dir.open()) {
        BuildResult result = manager.build(id, line -> {
          out.println(line);
          out.flush();
        });
        err.printf("built %s in %d ms%n", id, result.duration().toMillis());
        return 0;
      } catch (RunnerException e) {
        err.printf("%s: %s%n", e.code(), e.getMessage());
        return 1;
      } finally {
        err.flush();
      }
    }
  }

  @Command(name = "exec", description = "Register a plugin (building it if needed), call a method, print the data.",
      mixinStandardHelpOptions = true)
  static final class ExecPlugin implements Callable<Integer> {
    @Mixin PluginsDirOption dir;
    @Parameters(index = "0", paramLabel = "ID", description = "The plugin id.") String id;
    @Parameters(index = "1", paramLabel = "METHOD", description = "The method to call.") String method;
    @Option(names = "--args", paramLabel = "JSON", description = "The arguments, a JSON object (default {}).",
        defaultValue = "{}") String args;
    @Option(names = "--timeout-ms", paramLabel = "N", description = "Bound the call (default: the plugin's).")
    Long timeoutMs;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      JsonNode parsed;
      try {
        parsed = JSON.readTree(args);
      } catch (IOException e) {
        err.println("INVALID_COMMAND: --args is not valid JSON: " + e.getMessage());
        err.flush();
        return 2;
      }
      if (!(parsed instanceof ObjectNode argsObject)) {
        err.println("INVALID_COMMAND: --args must be a JSON object");
        err.flush();
        return 2;
      }
      try (PluginManager manager = dir.open()) {
        manager.register(id, false, line -> {
          err.println("[build] " + line);
          err.flush();
        });
        // As a worker would: args that fail the method's schema in plugin.json never reach the plugin.
        var invalidArgs = manager.manifest(id).flatMap(manifest -> manifest.runner().methods().violations(method,
            argsObject));
        if (invalidArgs.isPresent()) {
          err.println(ErrorCode.INVALID_ARGS + ": " + invalidArgs.get());
          err.flush();
          return 1;
        }
        var deadline = java.util.Optional.ofNullable(timeoutMs).map(ms -> java.time.Instant.now().plusMillis(ms));
        ObjectNode data = manager.execute(id, method, argsObject, deadline, java.util.Optional.empty()).data();
        out.println(JSON.writeValueAsString(data));
        out.flush();
        return 0;
      } catch (RunnerException e) {
        err.printf("%s: %s%n", e.code(), e.getMessage());
        err.flush();
        return 1;
      }
    }
  }
  @Command(name = "new", description = "Write a new plugin directory that builds and answers `hello` at once.",
      mixinStandardHelpOptions = true)
  static final class NewPlugin implements Callable<Integer> {
    @Option(names = "--lang", required = true, paramLabel = "LANG", description = "The plugin's language: node.")
    String lang;
    @Parameters(index = "0", paramLabel = "ID", description = "The plugin id, e.g. com.example.plugins.hello.")
    String id;
    @Parameters(index = "1", arity = "0..1", paramLabel = "DIR",
        description = "Where to write it (default: plugins/<last id segment> under the current directory).")
    Path dir;
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String repo = System.getProperty("jankrunner.repo", System.getenv("JANK_RUNNER_HOME"));
      if (repo == null) {
        err.println("plugins new: the jank-runner checkout is unknown (run it through scripts/runner, "
            + "or set JANK_RUNNER_HOME); the plugin builds against its SDK");
        err.flush();
        return 2;
      }
      Path target = dir != null ? dir : PluginScaffold.defaultDir(Path.of(""), id == null ? "" : id);
      try {
        PluginScaffold.write(lang, id, target, Path.of(repo));
      } catch (IllegalArgumentException e) {
        err.println("plugins new: " + e.getMessage());
        err.flush();
        return 2;
      }
      out.printf("wrote %s plugin %s in %s%nbuild and call it: %s/scripts/smoke-test.sh%n", lang, id,
          target.toAbsolutePath(), target);
      out.flush();
      return 0;
    }
  }
}
