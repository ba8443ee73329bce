package io.jankrunner.plugin.isolation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.jankrunner.ErrorCode;
import io.jankrunner.RunnerException;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.plugin.PluginManager;
import io.jankrunner.plugin.PluginManagerConfig;
import io.jankrunner.plugin.RecordingListener;
import io.jankrunner.plugin.SandboxedPlugins;
import io.jankrunner.plugin.TestPlugins;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plugins kept apart from each other and from the host's network, attacked as a hostile plugin
 * would: a uid of their own each (from the operator's range) and a network namespace of their
 * own per instance; handshakes that would have the worker connect somewhere else are refused.
 * Every refusal leaves the manager serving the plugins that behave.
 */
class PluginSeparationIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** A range of its own, so no other test JVM's plugins share these uids. */
  private static final UidRange UIDS = new UidRange(62000, 62999);
  private static final String A = "test.separation.a";
  private static final String B = "test.separation.b";
  private static final String HOST = "test.separation.host";

  @TempDir static Path root;
  private static Path plugins;
  private static PluginManager manager;
  private static PluginManager permissive;
  private static ServerSocket listener;

  @BeforeAll
  static void startManagers() throws Exception {
    assumeTrue(PluginUser.workerIsRoot(), "the worker is not root: there are no users to switch to");
    Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    plugins = Files.createDirectories(root.resolve("plugins"));
    String classpath = SandboxedPlugins.worldReadableClasspath(Files.createDirectories(root.resolve("classpath")));
    SandboxedPlugins.misbehaving(plugins, A, "", classpath, "");
    SandboxedPlugins.misbehaving(plugins, B, "", classpath, "");
    SandboxedPlugins.misbehaving(plugins, HOST, "", classpath, "\"runner\": {\"network\": \"host\"}");
    SandboxedPlugins.openUp(plugins);
    PluginSeparation separation = PluginSeparation.DEFAULT.withUids(UIDS);
    manager = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(root.resolve("state"))
        .withStopGrace(Duration.ofSeconds(2)).withPluginUser("auto").withSeparation(separation),
        new RecordingListener());
    permissive = new PluginManager(PluginManagerConfig.defaults(plugins).withStateDir(root.resolve("state-host"))
        .withStopGrace(Duration.ofSeconds(2)).withPluginUser("auto")
        .withSeparation(separation.withHostNetworkAllowed(true)), new RecordingListener());
    manager.register(A);
    manager.register(B);
    listener = new ServerSocket(0, 50, InetAddress.getByName("0.0.0.0"));
    Thread.ofVirtual().start(() -> {
      while (!listener.isClosed()) {
        try (Socket accepted = listener.accept()) {
          accepted.getOutputStream().write('x');
        } catch (java.io.IOException e) {
          // closed at the end
        }
      }
    });
  }

  @AfterAll
  static void stopManagers() throws Exception {
    if (manager != null) {
      manager.close();
    }
    if (permissive != null) {
      permissive.close();
    }
    if (listener != null) {
      listener.close();
    }
  }

  private static ObjectNode call(PluginManager on, String plugin, String method, ObjectNode args) throws RunnerException {
    return on.execute(plugin, method, args).data();
  }

  private static ObjectNode args() {
    return JSON.createObjectNode();
  }

  /** The call is refused by the OS (a plugin error naming the refusal), and both plugins go on serving. */
  private static RunnerException refused(String method, ObjectNode args) throws Exception {
    RunnerException error = assertThrows(RunnerException.class, () -> call(manager, A, method, args));
    assertEquals(ErrorCode.PLUGIN_ERROR, error.code(), error.getMessage());
    assertBothServe();
    return error;
  }

  private static void assertBothServe() throws RunnerException {
    assertEquals("still here", call(manager, A, "echo", args().put("v", "still here")).path("v").asText());
    assertEquals("still here", call(manager, B, "echo", args().put("v", "still here")).path("v").asText());
  }

  private static Path socketOf(Path instanceDir) throws Exception {
    try (Stream<Path> files = Files.walk(instanceDir)) {
      return files.filter(path -> path.getFileName().toString().endsWith(".sock")).findFirst().orElseThrow(
          () -> new AssertionError("no socket under " + instanceDir));
    }
  }

  @Test
  void eachPluginRunsAsAUidOfItsOwnFromTheRangeWithATempDirOnlyThatUidMayEnter() throws Exception {
    ObjectNode a = call(manager, A, "uid", args());
    ObjectNode b = call(manager, B, "uid", args());

    assertTrue(UIDS.contains(a.path("uid").asInt()), a.toString());
    assertTrue(UIDS.contains(b.path("uid").asInt()), b.toString());
    assertNotEquals(a.path("uid").asInt(), b.path("uid").asInt());
    for (ObjectNode plugin : List.of(a, b)) {
      Path temp = Path.of(plugin.path("tmpdir").asText());
      assertEquals(plugin.path("uid").asInt(), (Integer) Files.getAttribute(temp, "unix:uid"));
      assertEquals(plugin.path("uid").asInt(), (Integer) Files.getAttribute(temp, "unix:gid"));
      assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(temp)));
    }
  }

  @Test
  void aPluginCannotReadAnotherPluginsEnvironment() throws Exception {
    long pidOfB = call(manager, B, "pid", args()).path("pid").asLong();
    Path environ = Path.of("/proc/" + pidOfB + "/environ");
    assertTrue(Files.readString(environ).contains("TMPDIR="), "root reads it: the path is right");

    RunnerException error = refused("read-file", args().put("path", environ.toString()));

    assertTrue(error.getMessage().contains("AccessDenied"), error.getMessage());
  }

  @Test
  void aPluginCannotEnterAnotherPluginsTempDir() throws Exception {
    call(manager, B, "write-file", args().put("mb", 1));
    Path tempOfB = Path.of(call(manager, B, "uid", args()).path("tmpdir").asText());
    assertTrue(Files.exists(tempOfB.resolve("big")));

    RunnerException list = refused("list-dir", args().put("path", tempOfB.toString()));
    RunnerException read = refused("read-file", args().put("path", tempOfB.resolve("big").toString()));

    assertTrue(list.getMessage().contains("AccessDenied"), list.getMessage());
    assertTrue(read.getMessage().contains("AccessDenied"), read.getMessage());
  }

  @Test
  void aPluginCannotConnectToAnotherPluginsSocket() throws Exception {
    Path socketOfB = socketOf(Path.of(call(manager, B, "uid", args()).path("tmpdir").asText()));

    RunnerException error = refused("connect-unix", args().put("path", socketOfB.toString()));

    assertTrue(error.getMessage().contains("ermission denied") || error.getMessage().contains("AccessDenied"),
        error.getMessage());
  }

  @Test
  void aPluginCannotOpenATcpConnectionToTheBrokerNorToAnyAddressOfTheHost() throws Exception {
    String broker = TestBroker.bootstrap().split(",")[0];
    int colon = broker.lastIndexOf(':');
    List<InetSocketAddress> targets = new java.util.ArrayList<>(List.of(
        new InetSocketAddress(broker.substring(0, colon), Integer.parseInt(broker.substring(colon + 1))),
        new InetSocketAddress("127.0.0.1", listener.getLocalPort())));
    hostAddress().ifPresent(address -> targets.add(new InetSocketAddress(address, listener.getLocalPort())));

    for (InetSocketAddress target : targets) {
      try (Socket fromTheHost = new Socket()) {
        fromTheHost.connect(target, 10_000); // the worker's own network reaches it
      }
      RunnerException error = refused("connect-tcp", args().put("host", target.getAddress().getHostAddress())
          .put("port", target.getPort()));
      assertTrue(error.getMessage().contains("ConnectException") || error.getMessage().contains("unreachable"),
          target + ": " + error.getMessage());
    }
  }

  @Test
  void aPluginWithTheHostNetworkAndTheOperatorsPermissionCanConnect() throws Exception {
    permissive.register(HOST);

    ObjectNode answer = call(permissive, HOST, "connect-tcp", args().put("host", "127.0.0.1")
        .put("port", listener.getLocalPort()));

    assertTrue(answer.path("connected").asBoolean(), answer.toString());
    assertTrue(UIDS.contains(call(permissive, HOST, "uid", args()).path("uid").asInt()), "still a uid of its own");
  }

  @Test
  void aPluginAskingForTheHostNetworkWithoutTheOperatorsPermissionIsRefusedAtRegistration() throws Exception {
    RunnerException error = assertThrows(RunnerException.class, () -> manager.register(HOST));

    assertEquals(ErrorCode.INVALID_COMMAND, error.code());
    assertTrue(error.getMessage().contains("runner.network \"host\" is not permitted")
        && error.getMessage().contains("--plugin-network-host"), error.getMessage());
    assertFalse(manager.isRegistered(HOST));
    assertBothServe();
  }

  /** A script plugin that prints {@code handshake} (after {@code setup}) as its first line, then waits. */
  private static String handshakePlugin(String name, String setup, String handshake) throws Exception {
    String id = "test.separation.handshake." + name;
    TestPlugins.scriptPlugin(plugins, "handshake-" + name, id, setup + "\necho \"" + handshake + "\"\nexec sleep 60",
        "");
    SandboxedPlugins.openUp(plugins.resolve("handshake-" + name));
    manager.register(id);
    return id;
  }

  private static RunnerException startRefused(String id) throws Exception {
    RunnerException error = assertThrows(RunnerException.class, () -> call(manager, id, "echo", args()));
    assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code(), error.getMessage());
    assertBothServe();
    return error;
  }

  /** A socket root serves outside any instance dir, that every user may connect to. */
  private static Path rootsSocket(String name) throws Exception {
    Path dir = Files.createDirectories(root.resolve("root-sockets"));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path socket = dir.resolve(name + ".sock");
    ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
    server.bind(UnixDomainSocketAddress.of(socket));
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    return socket;
  }

  @Test
  void aHandshakeNamingASocketOutsideTheInstanceDirIsRefused() throws Exception {
    Path outside = rootsSocket("outside");
    String id = handshakePlugin("outside", "", "1|1|unix|" + outside + "|grpc|");

    RunnerException error = startRefused(id);

    assertTrue(error.getMessage().contains("is not inside the instance's own directory"), error.getMessage());
  }

  @Test
  void aHandshakeNamingASymlinkInTheInstanceDirToASocketOutsideIsRefused() throws Exception {
    Path outside = rootsSocket("linked");
    String id = handshakePlugin("symlink", "ln -s " + outside + " \"$PLUGIN_UNIX_SOCKET_DIR/plugin.sock\"",
        "1|1|unix|$PLUGIN_UNIX_SOCKET_DIR/plugin.sock|grpc|");

    RunnerException error = startRefused(id);

    assertTrue(error.getMessage().contains("is a symbolic link"), error.getMessage());
  }

  @Test
  void aSocketInTheInstanceDirServedByAnotherUserIsRefusedByItsPeerCredentials() throws Exception {
    // The kernel refuses a hard link to another user's socket (protected_hardlinks), so the other
    // user binds it there itself: the plugin says where its dir is and waits for the socket.
    Path rendezvous = Files.createDirectories(root.resolve("rendezvous"));
    Files.setPosixFilePermissions(rendezvous, PosixFilePermissions.fromString("rwxrwxrwx"));
    String id = handshakePlugin("impostor", "echo \"$PLUGIN_UNIX_SOCKET_DIR\" > " + rendezvous + "/dir.tmp && mv "
        + rendezvous + "/dir.tmp " + rendezvous + "/dir\nwhile [ ! -S \"$PLUGIN_UNIX_SOCKET_DIR/plugin.sock\" ]; do "
        + "sleep 0.1; done", "1|1|unix|$PLUGIN_UNIX_SOCKET_DIR/plugin.sock|grpc|");
    java.util.concurrent.CompletableFuture<RunnerException> start = java.util.concurrent.CompletableFuture.supplyAsync(
        () -> assertThrows(RunnerException.class, () -> call(manager, id, "echo", args())));
    Path said = rendezvous.resolve("dir");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.exists(said) && System.nanoTime() < deadline && !start.isDone()) {
      Thread.sleep(50);
    }
    try (ServerSocketChannel impostor = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      impostor.bind(UnixDomainSocketAddress.of(Path.of(Files.readString(said).strip(), "plugin.sock")));

      RunnerException error = start.get(60, java.util.concurrent.TimeUnit.SECONDS);

      assertEquals(ErrorCode.PLUGIN_UNAVAILABLE, error.code(), error.getMessage());
      assertTrue(error.getMessage().contains("is served by user root, not by the plugin's uid"), error.getMessage());
    }
    assertBothServe();
  }

  @Test
  void aTcpHandshakeToANonLoopbackAddressIsRefused() throws Exception {
    String id = handshakePlugin("remote", "", "1|1|tcp|192.0.2.10:4000|grpc|");

    RunnerException error = startRefused(id);

    assertTrue(error.getMessage().contains("not a loopback address"), error.getMessage());
  }

  @Test
  void aTcpHandshakeToTheWorkersLoopbackFromAPluginInItsOwnNamespaceIsRefused() throws Exception {
    String id = handshakePlugin("loopback", "", "1|1|tcp|127.0.0.1:" + listener.getLocalPort() + "|grpc|");

    RunnerException error = startRefused(id);

    assertTrue(error.getMessage().contains("network namespace of its own"), error.getMessage());
  }

  @Test
  void rootAsThePluginUserIsRefusedWithAClearMessageAndTheManagerGoesOnAnswering() throws Exception {
    try (PluginManager asRoot = new PluginManager(PluginManagerConfig.defaults(plugins)
        .withStateDir(root.resolve("state-root")).withPluginUser("0:0"), new RecordingListener())) {
      // Certain before any start: refused at register, not by the calls that would start it.
      RunnerException error = assertThrows(RunnerException.class, () -> asRoot.register(A));

      assertEquals(ErrorCode.INVALID_COMMAND, error.code());
      assertTrue(error.getMessage().contains("is root or in root's group"), error.getMessage());
      assertFalse(asRoot.isRegistered(A));
      assertTrue(asRoot.list().stream().anyMatch(info -> info.id().equals(Optional.of(A))), "the manager still answers");
    }
    assertBothServe();
  }

  @Test
  void aPluginsBuildRunsAsThePluginsOwnUidOnlyInADirectoryThatUidMayWrite() throws Exception {
    String id = "test.separation.built";
    Path dir = Files.createDirectories(plugins.resolve("built"));
    Files.writeString(dir.resolve("plugin.json"), TestPlugins.manifest(id, "./bin/plugin", ""));
    TestPlugins.executable(dir.resolve("scripts/build.sh"), "echo \"uid=$(id -u)\"\nmkdir -p bin\n"
        + "printf '#!/bin/sh\\nexit 1\\n' > bin/plugin\nchmod +x bin/plugin\n");
    SandboxedPlugins.openUp(dir);

    io.jankrunner.plugin.api.BuildFailedException refused = assertThrows(
        io.jankrunner.plugin.api.BuildFailedException.class, () -> manager.build(id, line -> { }));
    java.util.regex.Matcher chown = java.util.regex.Pattern.compile("chown -R (\\d+):(\\d+) " + dir)
        .matcher(refused.getMessage());
    assertTrue(chown.find(), refused.getMessage());
    int uid = Integer.parseInt(chown.group(1));
    assertTrue(UIDS.contains(uid), refused.getMessage());
    assertFalse(Files.exists(dir.resolve("bin")), "nothing of the build ran");

    try (Stream<Path> files = Files.walk(dir)) {
      for (Path path : files.toList()) {
        Files.setAttribute(path, "unix:uid", uid);
        Files.setAttribute(path, "unix:gid", uid);
      }
    }
    String output = manager.build(id, line -> { }).outputTail();

    assertTrue(output.contains("uid=" + uid), output);
    assertNotEquals(call(manager, A, "uid", args()).path("uid").asInt(), uid, "not another plugin's uid");
    assertBothServe();
  }

  private static Optional<InetAddress> hostAddress() throws Exception {
    return NetworkInterface.networkInterfaces().filter(nic -> {
      try {
        return nic.isUp() && !nic.isLoopback();
      } catch (java.net.SocketException e) {
        return false;
      }
    }).flatMap(NetworkInterface::inetAddresses).filter(Inet4Address.class::isInstance).findFirst();
  }
}
