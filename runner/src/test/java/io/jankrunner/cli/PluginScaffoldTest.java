package io.jankrunner.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PluginScaffoldTest {

  @TempDir Path dir;

  @Test
  void aPluginIdBecomesAJavaPackageOfValidIdentifiers() {
    assertEquals("com.example.plugins.greeter_java", PluginScaffold.javaPackage("com.example.plugins.greeter-java"));
    assertEquals("_1st._class.hello_world", PluginScaffold.javaPackage("1st.class.Hello-World"));
  }

  @Test
  void theMavenGroupIsTheIdWithoutItsLastSegment() {
    assertEquals("com.example.plugins", PluginScaffold.mavenGroup("com.example.plugins.greeter"));
    assertEquals("hello-world", PluginScaffold.mavenGroup("hello-world"));
  }

  @Test
  void everyLanguageIsWrittenWithEveryPlaceholderFilled() throws Exception {
    Path checkout = Files.createDirectories(dir.resolve("checkout"));
    Files.writeString(checkout.resolve("pom.xml"),
        "<project><artifactId>jank-runner-parent</artifactId>\n  <version>1.2.3-SNAPSHOT</version></project>");
    for (String lang : PluginScaffold.languages()) {
      List<Path> written = PluginScaffold.write(lang, "com.example.p." + lang, dir.resolve(lang), checkout);
      assertTrue(written.contains(dir.resolve(lang).resolve("plugin.json")), lang);
      assertTrue(Files.isExecutable(dir.resolve(lang).resolve(PluginScaffold.SMOKE_TEST)), lang);
      assertTrue(Files.isRegularFile(dir.resolve(lang).resolve(".gitignore")), lang);
      for (Path file : written) {
        String text = Files.readString(file);
        assertFalse(text.contains("{{") || file.toString().contains("{{"), file + " has an unfilled placeholder");
      }
    }
    assertTrue(Files.readString(dir.resolve("java/pom.xml")).contains("<version>1.2.3-SNAPSHOT</version>"));
    assertTrue(Files.isRegularFile(dir.resolve("java/src/main/java/com/example/p/java/Plugin.java")));
    assertTrue(Files.readString(dir.resolve("go/proto/plugin.proto")).contains("service PluginService"));
  }

  @Test
  void aJavaPluginNeedsACheckoutWithAVersion() {
    IllegalArgumentException refused = assertThrows(IllegalArgumentException.class,
        () -> PluginScaffold.write("java", "com.example.j", dir.resolve("j"), dir.resolve("nowhere")));
    assertTrue(refused.getMessage().contains("no pom.xml in"), refused.getMessage());
    assertTrue(Files.notExists(dir.resolve("j")));
  }
}
