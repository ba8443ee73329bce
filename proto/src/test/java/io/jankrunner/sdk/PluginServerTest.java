package io.jankrunner.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;

class PluginServerTest {

  @Test
  void theSocketDirIsNewAndOnlyItsOwnersEachTime() throws Exception {
    Path first = PluginServer.privateSocketDir();
    Path second = PluginServer.privateSocketDir();
    try {
      assertNotEquals(first, second);
      for (Path dir : new Path[] {first, second}) {
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
        assertEquals(0, Files.list(dir).count());
      }
    } finally {
      Files.deleteIfExists(first);
      Files.deleteIfExists(second);
    }
  }
}
