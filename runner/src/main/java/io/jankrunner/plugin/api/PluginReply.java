package io.jankrunner.plugin.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Optional;

/**
 * What a plugin answered to one call.
 *
 * @param data the plugin's data
 * @param coldStart the start of the instance that served the call, when the call waited for it
 *     (it paid a cold start); empty when a warm instance took it
 */
public record PluginReply(ObjectNode data, Optional<Duration> coldStart) {}
