package io.jankrunner.plugin;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@code get} and {@code list} report about one plugin.
 *
 * @param id the plugin id, or empty when plugin.json could not be read
 * @param status a registered state ({@link PluginState#jsonName()}) or an unregistered one
 *     ({@code available}, {@code source_only}, {@code incomplete})
 * @param registered whether the plugin is registered with this manager
 * @param reason why it is incomplete or in error, when it is
 * @param pid the process serving it, when one runs
 * @param inFlight calls in flight now
 */
public record PluginInfo(Optional<String> id, Optional<String> name, Optional<String> version,
                         Optional<String> description, Path directory, String status, boolean registered,
                         Optional<String> reason, OptionalLong pid, int inFlight) {}
