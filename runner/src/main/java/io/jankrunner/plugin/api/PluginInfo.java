package io.jankrunner.plugin.api;

import io.jankrunner.plugin.manifest.PluginManifest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What {@code get} and {@code list} report about one plugin.
 *
 * @param id the plugin id, or empty when plugin.json could not be read or holds none
 * @param status a registered state ({@link PluginState#jsonName()}, {@code running} when ready
 *     with calls in flight) or an unregistered one ({@code available}, {@code source_only},
 *     {@code incomplete})
 * @param registered whether the plugin is registered with this manager
 * @param reason why it is incomplete or in error, when it is
 * @param pid a ready instance's process, when one runs
 * @param inFlight calls in flight now, over all instances
 * @param instances its instances now (empty when none runs or it is not registered)
 * @param manifest its plugin.json, when one could be read (a registered plugin's is the one it was
 *     registered with)
 */
public record PluginInfo(Optional<String> id, Optional<String> name, Optional<String> version,
                         Optional<String> description, Path directory, String status, boolean registered,
                         Optional<String> reason, OptionalLong pid, int inFlight, List<Instance> instances,
                         Optional<PluginManifest> manifest) {

  /** One process of a registered plugin. */
  public record Instance(String id, OptionalLong pid, String state, int inFlight, Instant startedAt) {}
}
