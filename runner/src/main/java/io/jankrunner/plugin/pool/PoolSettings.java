package io.jankrunner.plugin.pool;

import java.time.Duration;

/**
 * How a {@link PluginPool} runs its instances, the same for every plugin of a worker.
 *
 * @param restartPolicy crash backoff and quarantine, where a plugin's {@code runner} block does not say
 * @param stopGrace how long a stopping instance gets for in-flight calls, and again after SIGTERM
 * @param healthCheckInterval how often an idle instance is asked {@code HealthCheck}
 * @param healthCheckTimeout how long an instance has to answer one before it is taken for hung
 */
public record PoolSettings(RestartPolicy restartPolicy, Duration stopGrace, Duration healthCheckInterval,
                           Duration healthCheckTimeout) {}
