package io.jankrunner;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules a reader relies on: no package cycles (a command goes down from intake to
 * dispatch to the plugin manager, never back up), none among the plugin host's sub-packages
 * either (the facade uses them, they never use the facade), Kafka only where records are read
 * and written, gRPC only in the plugin client ({@code plugin.grpc}).
 */
class ArchitectureTest {

  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("io.jankrunner");
  }

  @Test
  void packagesHaveNoCycles() {
    slices().matching("io.jankrunner.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void pluginSubPackagesHaveNoCycles() {
    slices().matching("io.jankrunner.plugin.(*)..").should().beFreeOfCycles().check(classes);
  }

  @Test
  void pluginSubPackagesDoNotUseTheFacade() {
    noClasses().that().resideInAPackage("io.jankrunner.plugin.*..")
        .should().dependOnClassesThat().resideInAPackage("io.jankrunner.plugin")
        .because("the manager is built from the sub-packages; a sub-package that used it would close a cycle")
        .check(classes);
  }

  @Test
  void onlyTheKafkaFacingPackagesImportKafka() {
    noClasses().that().resideOutsideOfPackages("io.jankrunner.intake..", "io.jankrunner.result..",
            "io.jankrunner.registry..", "io.jankrunner.worker..", "io.jankrunner.cli..", "io.jankrunner.config..",
            "io.jankrunner.http..", "io.jankrunner.metrics..", "io.jankrunner.client..")
        .should().dependOnClassesThat().resideInAPackage("org.apache.kafka..")
        .because("the command, dispatch, resilience and plugin packages work without Kafka")
        .check(classes);
  }

  @Test
  void onlyThePluginClientSpeaksGrpc() {
    noClasses().that().resideOutsideOfPackages("io.jankrunner.plugin.grpc..", "io.jankrunner.sdk..",
            "io.jankrunner.proto..", "io.jankrunner.protocol..")
        .should().dependOnClassesThat().resideInAPackage("io.grpc..")
        .because("plugin processes are the only gRPC peers")
        .check(classes);
  }
}
