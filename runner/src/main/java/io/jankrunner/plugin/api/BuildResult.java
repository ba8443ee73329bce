package io.jankrunner.plugin.api;

import java.time.Duration;
import java.util.OptionalInt;

/**
 * The outcome of one {@code scripts/build.sh} run.
 *
 * @param exitCode empty when the build was killed (timeout) or could not start
 * @param outputTail the last lines of its combined stdout and stderr
 */
public record BuildResult(String pluginId, boolean success, OptionalInt exitCode, Duration duration,
                          String outputTail, String message) {}
