package io.jankrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.plugin.isolation.PluginLimits;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class WorkerCommandTest {

  @Test
  void pluginLimitDefaultsComeFromPluginLimits() {
    WorkerCommand command = new WorkerCommand();
    new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs();
    PluginLimits expected = PluginLimits.fromEnvironment(System.getenv());
    assertEquals(expected.memoryMbDefault(), command.pluginMemoryMb);
    assertEquals(expected.memoryMbMax(), command.pluginMemoryMbMax);
    assertEquals(expected.maxProcessesDefault(), command.pluginMaxProcesses);
    assertEquals(expected.maxProcessesMax(), command.pluginMaxProcessesMax);
    assertEquals(expected.cpuMillisDefault(), command.pluginCpuMillis);
    assertEquals(expected.cpuMillisMax(), command.pluginCpuMillisMax);
    assertEquals(expected.maxInstancesMax(), command.pluginMaxInstancesMax);
    assertEquals(expected.maxConcurrencyMax(), command.pluginMaxConcurrencyMax);
    assertEquals(expected.fileSizeMb(), command.pluginFileSizeMb);
    assertEquals(expected.openFiles(), command.pluginOpenFiles);
    assertEquals(expected.requireCgroups(), command.requireCgroups);
    assertEquals(expected.rebuildInterval().toSeconds(), command.rebuildIntervalSeconds);
  }

  @Test
  void anOptionOverridesItsDefault() {
    WorkerCommand command = new WorkerCommand();
    new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true).parseArgs("--plugin-memory-mb", "300", "--require-cgroups", "--rebuild-interval", "5");
    assertEquals(300, command.pluginMemoryMb);
    assertTrue(command.requireCgroups);
    assertEquals(5, command.rebuildIntervalSeconds);
  }

  @Test
  void helpShowsTheDefaultsThatApply() {
    String help = new CommandLine(new WorkerCommand()).setCaseInsensitiveEnumValuesAllowed(true).getUsageMessage();
    assertTrue(help.contains("default " + PluginLimits.fromEnvironment(System.getenv()).memoryMbMax()), help);
  }
}
