package io.jankrunner.plugin.manifest;

import java.nio.file.Path;
import java.util.Optional;

/**
 * One directory of the plugins directory as discovery found it.
 *
 * @param directory the plugin's directory (absolute, normalized)
 * @param manifest its parsed plugin.json; empty when it could not be read or was invalid
 * @param availability Jank's unregistered state
 * @param binary the executable, when {@link Availability#AVAILABLE}
 * @param reason why it is {@link Availability#INCOMPLETE}, or a note (empty when all is well)
 * @param declaredId the id plugin.json declares even when it is otherwise invalid, if it can be read
 */
public record DiscoveredPlugin(Path directory, Optional<PluginManifest> manifest, Availability availability,
                               Optional<Path> binary, Optional<String> reason, Optional<String> declaredId) {

  public DiscoveredPlugin(Path directory, Optional<PluginManifest> manifest, Availability availability,
                          Optional<Path> binary, Optional<String> reason) {
    this(directory, manifest, availability, binary, reason, manifest.map(PluginManifest::id));
  }

  /** Jank's states of a plugin that is not registered. */
  public enum Availability {
    /** plugin.json is valid and the binary is present. */
    AVAILABLE,
    /** plugin.json is valid, no binary yet, but {@code scripts/build.sh} can make one. */
    SOURCE_ONLY,
    /** Unusable: invalid plugin.json, duplicate id, or neither binary nor build script. */
    INCOMPLETE;

    public String jsonName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The id from plugin.json, if it could be read (also when the rest of it is invalid). */
  public Optional<String> id() {
    return manifest.map(PluginManifest::id).or(() -> declaredId);
  }

  public Path buildScript() {
    return PluginPaths.buildScript(directory);
  }

  /** This plugin as {@link Availability#INCOMPLETE}, for {@code why}. */
  public DiscoveredPlugin incomplete(String why) {
    return new DiscoveredPlugin(directory, manifest, Availability.INCOMPLETE, Optional.empty(), Optional.of(why),
        declaredId);
  }
}
