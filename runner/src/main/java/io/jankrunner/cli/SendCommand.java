package io.jankrunner.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.jankrunner.client.Command.Type;
import io.jankrunner.client.ErrorCode;
import io.jankrunner.client.ExecuteOptions;
import io.jankrunner.client.Result;
import io.jankrunner.client.RunnerClient;
import io.jankrunner.client.RunnerException;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code runner send}: put one command on Kafka and print its result, through {@link RunnerClient}
 * (so the CLI and the Java client cannot drift apart): 0 for an ok result, 1 for an error result,
 * 2 for a command a worker would refuse (not sent), 3 when no result came within the timeout + 5 s.
 */
@Command(name = "send", mixinStandardHelpOptions = true,
    description = "Send a command and wait for its result (matched by id); print it as JSON.")
final class SendCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  /** How much longer than the command's timeout to wait for a result: a worker's own TIMEOUT comes at the deadline. */
  private static final Duration RESULT_GRACE = Duration.ofSeconds(5);

  @Mixin KafkaOptions kafka;
  @Option(names = "--type", defaultValue = "execute",
      description = "execute, register, unregister, build, get or list (default ${DEFAULT-VALUE}).") String type;
  @Option(names = "--plugin", paramLabel = "ID", description = "The plugin id.") String plugin;
  @Option(names = "--method", paramLabel = "M", description = "The method, for execute.") String method;
  @Option(names = "--args", paramLabel = "JSON", description = "The arguments, a JSON object.") String args;
  @Option(names = "--id", paramLabel = "ID", description = "The command id (default: a new UUID).") String id;
  @Option(names = "--reply-to", paramLabel = "TOPIC", description = "Where the result goes (default P.results).")
  String replyTo;
  @Option(names = "--timeout-ms", paramLabel = "N", defaultValue = "30000",
      description = "Bound the command, and how long to wait for its result (default ${DEFAULT-VALUE}).")
  long timeoutMs;
  @Option(names = "--rebuild", description = "For register: build the plugin first.") boolean rebuild;
  @Option(names = "--no-wait", description = "Send and exit without waiting for the result.") boolean noWait;
  @Option(names = "--key", description = "The record key (default: the plugin id).") String key;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (type.equals("execute") && (plugin == null || method == null)) {
      return usage(err, "execute needs --plugin and --method");
    }
    String commandId = id != null ? id : UUID.randomUUID().toString();
    JsonNode parsedArgs = args == null ? null : JSON.readTree(args);
    io.jankrunner.client.Command command;
    ExecuteOptions options;
    try {
      command = io.jankrunner.client.Command.of(Type.parse(type), plugin, method, parsedArgs, rebuild);
      options = ExecuteOptions.timeout(Duration.ofMillis(timeoutMs)).withId(commandId)
          .withKey(key != null ? key : plugin != null ? plugin : commandId);
    } catch (IllegalArgumentException e) { // what a worker would refuse: said here, not sent
      return usage(err, e.getMessage());
    }
    RunnerClient.Builder builder = RunnerClient.builder()
        .properties(kafka.client(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrap)))
        .topicPrefix(kafka.topicPrefix)
        .replyTopic(replyTo != null ? replyTo : kafka.topics().results())
        .resultGrace(RESULT_GRACE);
    if (noWait) {
      builder.withoutReplies();
    }
    try (RunnerClient client = builder.build()) {
      if (noWait) {
        try {
          out.println(client.send(command, options).get(30, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception cause ? cause : e;
        }
        out.flush();
        return 0;
      }
      try {
        return print(out, client.call(command, options).get(), 0);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof RunnerException failed) {
          if (failed.result().isPresent()) {
            return print(out, failed.result().get(), 1);
          }
          if (failed.code() == ErrorCode.TIMEOUT) {
            err.println(failed.getMessage());
            err.flush();
            return 3;
          }
        }
        throw e.getCause() instanceof Exception cause ? cause : e; // reported as before: exit 1 with the reasons
      }
    }
  }

  private static int print(PrintWriter out, Result result, int exitCode) throws Exception {
    out.println(JSON.writeValueAsString(result.json()));
    out.flush();
    return exitCode;
  }

  private static int usage(PrintWriter err, String message) {
    err.println(message);
    err.flush();
    return 2;
  }
}
