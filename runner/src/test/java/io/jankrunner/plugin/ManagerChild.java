package io.jankrunner.plugin;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.jankrunner.plugin.api.PluginStateListener;
import java.nio.file.Path;

/**
 * A worker stand-in for the orphan tests: a separate JVM that registers a plugin, starts it,
 * calls it ({@code pid}, or the command given fourth, e.g. {@code escape}), prints the pid the
 * answer names and waits to be killed.
 */
public final class ManagerChild {

  public static void main(String[] args) throws Exception {
    Path plugins = Path.of(args[0]);
    Path state = Path.of(args[1]);
    String id = args[2];
    String command = args.length > 3 ? args[3] : "pid";
    PluginManager manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(state),
        PluginStateListener.NONE);
    manager.register(id);
    var data = manager.execute(id, command, new ObjectMapper().createObjectNode()).data();
    System.out.println("PLUGIN_PID " + data.get("pid").asLong());
    System.out.flush();
    Thread.sleep(Long.MAX_VALUE);
  }
}
