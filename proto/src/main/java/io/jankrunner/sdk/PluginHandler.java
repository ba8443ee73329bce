package io.jankrunner.sdk;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * What a Java plugin author implements. Calls arrive concurrently, each on its own virtual
 * thread, so implementations must be thread-safe and may block.
 */
@FunctionalInterface
public interface PluginHandler {

  /**
   * Runs one method.
   *
   * @param method the method name the caller asked for
   * @param args the call's arguments, a JSON object (empty when the caller sent none)
   * @return the result data, a JSON object
   * @throws PluginException for an error the caller should see as a plugin error, with its message
   */
  ObjectNode execute(String method, ObjectNode args) throws Exception;

  /** Whether the plugin can take calls; answered to the host's {@code HealthCheck}. */
  default boolean healthy() {
    return true;
  }
}
