package io.jankrunner.plugin.grpc;

import io.jankrunner.plugin.api.PluginStartException;
import io.jankrunner.plugin.isolation.Sandbox;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.UserPrincipal;
import java.util.OptionalInt;
import java.util.regex.Pattern;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * Where a handshake says to connect, checked before the worker (root) connects there: a plugin
 * names the address, so without the checks it could have the worker connect to any socket on
 * the machine, or to another plugin's, or to a service on the host's loopback.
 *
 * <ul>
 *   <li>unix: the socket lies inside the instance's own directory, every step to it a real
 *       directory and the last a socket, none a symbolic link; and when the plugin runs as a
 *       user of its own, the process listening there is that user ({@code SO_PEERCRED} of a
 *       probe connection), so a socket another user serves (hard-linked in, or swapped in
 *       after the check) is refused too;
 *   <li>tcp: only a loopback IP literal, and only for an instance in the host's network (in a
 *       namespace of its own the plugin's loopback is not the worker's, so a tcp address would
 *       name a service of the host instead).
 * </ul>
 */
final class HandshakeAddress {

  private static final Pattern IP_LITERAL = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}|\\[?[0-9a-fA-F:.]*:[0-9a-fA-F:.]*]?");

  private HandshakeAddress() {}

  /** The socket of a {@code unix} handshake, checked as above; what gRPC then connects to. */
  static Path unixSocket(String pluginId, String address, Sandbox sandbox) throws PluginStartException {
    Path directory = sandbox.directory();
    Path socket = Path.of(address);
    if (!socket.isAbsolute() || !socket.normalize().equals(socket) || !socket.startsWith(directory)
        || socket.equals(directory)) {
      throw new PluginStartException(pluginId, "the handshake's socket " + address + " is not inside the instance's "
          + "own directory " + directory + " (PLUGIN_UNIX_SOCKET_DIR): refused, not connected to");
    }
    Path step = directory;
    for (Path name : directory.relativize(socket)) {
      step = step.resolve(name);
      BasicFileAttributes attributes;
      try {
        attributes = Files.readAttributes(step, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      } catch (IOException e) {
        throw new PluginStartException(pluginId, "the handshake's socket " + address + " cannot be checked: " + step
            + ": " + e.getMessage());
      }
      boolean last = step.equals(socket);
      if (attributes.isSymbolicLink() || (last ? !attributes.isOther() : !attributes.isDirectory())) {
        throw new PluginStartException(pluginId, "the handshake's socket " + address + " is refused: " + step + " is "
            + (attributes.isSymbolicLink() ? "a symbolic link" : last ? "not a socket" : "not a directory")
            + " (the socket must be a socket file inside the instance's own directory, reached without links)");
      }
    }
    OptionalInt uid = sandbox.uid();
    if (uid.isPresent()) {
      verifyPeer(pluginId, socket, uid.getAsInt());
    }
    return socket;
  }

  /** Connects once and reads who serves the socket: it must be the plugin's own uid. */
  private static void verifyPeer(String pluginId, Path socket, int uid) throws PluginStartException {
    try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
      UnixDomainPrincipal peer = probe.getOption(ExtendedSocketOptions.SO_PEERCRED);
      UserPrincipal expected = FileSystems.getDefault().getUserPrincipalLookupService()
          .lookupPrincipalByName(Integer.toString(uid));
      if (!peer.user().equals(expected)) {
        throw new PluginStartException(pluginId, "the handshake's socket " + socket + " is served by user "
            + peer.user().getName() + ", not by the plugin's uid " + uid + ": refused");
      }
    } catch (IOException e) {
      throw new PluginStartException(pluginId, "could not check who serves the handshake's socket " + socket + ": "
          + e.getMessage(), e);
    }
  }

  /** The address of a {@code tcp} handshake: a loopback IP literal, for an instance in the host's network only. */
  static InetSocketAddress tcp(String pluginId, String address, Sandbox sandbox) throws PluginStartException {
    int colon = address.lastIndexOf(':');
    String host = colon > 0 ? address.substring(0, colon) : "";
    int port;
    try {
      port = Integer.parseInt(address.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (host.isEmpty() || port < 1 || port > 65535) {
      throw new PluginStartException(pluginId, "the handshake's tcp address " + address + " is not HOST:PORT");
    }
    InetAddress ip;
    try {
      if (!IP_LITERAL.matcher(host).matches()) {
        throw new UnknownHostException(host);
      }
      ip = InetAddress.getByName(host); // a literal: no name lookup
    } catch (UnknownHostException e) {
      throw new PluginStartException(pluginId, "the handshake's tcp address " + address + " is refused: the host must "
          + "be a loopback IP address (e.g. 127.0.0.1), not a name");
    }
    if (!ip.isLoopbackAddress()) {
      throw new PluginStartException(pluginId, "the handshake's tcp address " + address + " is refused: not a "
          + "loopback address; a plugin is connected to on this machine only");
    }
    if (sandbox.ownNetwork()) {
      throw new PluginStartException(pluginId, "the handshake's tcp address " + address + " is refused: the plugin "
          + "runs in a network namespace of its own, whose loopback is not the worker's; serve on a unix socket in "
          + "PLUGIN_UNIX_SOCKET_DIR (go-plugin does on Linux), or ask for runner.network \"host\"");
    }
    return new InetSocketAddress(ip, port);
  }
}
