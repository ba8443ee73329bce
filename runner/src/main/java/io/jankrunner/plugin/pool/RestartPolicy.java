package io.jankrunner.plugin.pool;

import io.jankrunner.plugin.manifest.PluginManifest;
import java.time.Duration;

/**
 * When a crashed plugin is started again: after a backoff that doubles from {@code backoffInitial}
 * up to {@code backoffMax} (with jitter), and not at all for {@code quarantine} once more than
 * {@code crashLimit} crashes fall within {@code crashWindow}.
 */
public record RestartPolicy(int crashLimit, Duration crashWindow, Duration quarantine, Duration backoffInitial,
                            Duration backoffMax) {

  /** What a user of a serverless runner would expect: 5 crashes in 60 s, 30 s quarantine, 100 ms → 10 s. */
  public static final RestartPolicy DEFAULT = new RestartPolicy(5, Duration.ofSeconds(60), Duration.ofSeconds(30),
      Duration.ofMillis(100), Duration.ofSeconds(10));

  public RestartPolicy {
    if (crashLimit < 0 || crashWindow.isNegative() || quarantine.isNegative() || backoffInitial.isNegative()
        || backoffMax.compareTo(backoffInitial) < 0) {
      throw new IllegalArgumentException("invalid restart policy: " + crashLimit + " crashes in " + crashWindow
          + ", quarantine " + quarantine + ", backoff " + backoffInitial + ".." + backoffMax);
    }
  }

  /** This policy with what a plugin's manifest overrides. */
  RestartPolicy overriddenBy(PluginManifest.RunnerSettings.Lifecycle manifest) {
    return new RestartPolicy(manifest.crashLimit().orElse(crashLimit), manifest.crashWindow().orElse(crashWindow),
        manifest.quarantine().orElse(quarantine), manifest.backoffInitial().orElse(backoffInitial),
        max(manifest.backoffMax().orElse(backoffMax), manifest.backoffInitial().orElse(backoffInitial)));
  }

  /** The backoff before the restart that follows the {@code crashes}-th crash in the window (1-based), no jitter. */
  Duration backoffAfter(int crashes) {
    Duration backoff = backoffInitial;
    for (int i = 1; i < crashes && backoff.compareTo(backoffMax) < 0; i++) {
      backoff = backoff.multipliedBy(2);
    }
    return backoff.compareTo(backoffMax) > 0 ? backoffMax : backoff;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
