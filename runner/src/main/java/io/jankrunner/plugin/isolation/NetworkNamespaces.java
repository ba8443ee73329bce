package io.jankrunner.plugin.isolation;

import io.jankrunner.plugin.process.ProcessSpawner;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * A fresh network namespace per plugin instance, with only its own loopback: {@code unshare
 * --net} (util-linux) before the user switch, and {@code ip link set lo up} (iproute2) inside.
 * A plugin there reaches no address of the host, neither the broker nor the HTTP API nor another
 * plugin; the worker still reaches it, since a pathname unix socket is a file and not bound to
 * a network namespace. Creating one needs CAP_SYS_ADMIN: probed once, and said why not.
 */
final class NetworkNamespaces {

  private final Optional<Path> unshare;
  private final Optional<Path> ip;
  private final Optional<String> unusable;

  private NetworkNamespaces(Optional<Path> unshare, Optional<Path> ip, Optional<String> unusable) {
    this.unshare = unshare;
    this.ip = ip;
    this.unusable = unusable;
  }

  /** Tries one namespace (and its loopback) the way instances get theirs. */
  static NetworkNamespaces detect() {
    Optional<Path> unshare = ProcessSpawner.systemTool("unshare");
    Optional<Path> ip = ProcessSpawner.systemTool("ip");
    if (unshare.isEmpty()) {
      return new NetworkNamespaces(unshare, ip, Optional.of("unshare (util-linux) not found"));
    }
    List<String> probe = new ArrayList<>(List.of(unshare.get().toString(), "--net", "--"));
    probe.addAll(ip.isPresent() ? List.of(ip.get().toString(), "link", "set", "lo", "up") : List.of("true"));
    try {
      Process process = new ProcessBuilder(probe).redirectErrorStream(true).start();
      process.getOutputStream().close();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        return new NetworkNamespaces(unshare, ip, Optional.of("unshare --net did not finish in 30 s"));
      }
      String output = new String(process.getInputStream().readAllBytes()).strip();
      return process.exitValue() == 0 ? new NetworkNamespaces(unshare, ip, Optional.empty())
          : new NetworkNamespaces(unshare, ip, Optional.of("unshare --net failed: "
              + (output.isEmpty() ? "exit code " + process.exitValue() : output)));
    } catch (IOException e) {
      return new NetworkNamespaces(unshare, ip, Optional.of("unshare --net could not run: " + e.getMessage()));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new NetworkNamespaces(unshare, ip, Optional.of("interrupted while probing unshare --net"));
    }
  }

  /** Why instances cannot get a namespace here; empty when they can. */
  Optional<String> unusable() {
    return unusable;
  }

  /** Whether the loopback inside is brought up (without iproute2 it stays down: unix sockets still work). */
  boolean loopbackUp() {
    return ip.isPresent();
  }

  /** The command prefix that runs what follows in a new network namespace. */
  List<String> enter() {
    return List.of(unshare.orElseThrow().toString(), "--net", "--");
  }

  /** A shell line that brings the new namespace's loopback up, or fails the start (exit 125); empty without ip. */
  String loopbackUpLine() {
    return ip.map(path -> "'" + path + "' link set lo up || exit 125; ").orElse("");
  }
}
