package io.jankrunner.sdk;

import io.grpc.netty.shaded.io.netty.bootstrap.ServerBootstrap;
import io.grpc.netty.shaded.io.netty.util.internal.logging.InternalLoggerFactory;
import io.grpc.netty.shaded.io.netty.util.internal.logging.JdkLoggerFactory;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.logging.Logger;

/**
 * Netty set up for a plugin process, whose cold start (launch to first answer) is what the host
 * waits for. Each choice here removes work the first call does not need, found by profiling a
 * cold start (BENCHMARKS.md, "Java plugin cold start"); run before any Netty class is used.
 */
final class NettyForAShortLife {

  /** grpc-netty-shaded relocates Netty's system properties with its classes. */
  static final String JFR_PROPERTY = "io.grpc.netty.shaded.io.netty.jfr.enabled";
  static final String MACHINE_ID_PROPERTY = "io.grpc.netty.shaded.io.netty.machineId";

  // java.util.logging holds loggers weakly: the filter stays only while its logger is referenced.
  private static Logger serverBootstrapLogger;

  private NettyForAShortLife() {}

  static synchronized void configure() {
    // Netty 4.2's buffer allocator reports chunk allocations as JFR events: the first allocation
    // (the HTTP/2 settings frame of the host's connection) initialises the JDK's JFR metadata
    // repository, a fifth of a cold start's CPU, for events nobody records. -D...jfr.enabled=true
    // keeps them.
    if (System.getProperty(JFR_PROPERTY) == null) {
      System.setProperty(JFR_PROPERTY, "false");
    }
    // Netty's channel ids carry a "machine id", by default the best MAC address of the network
    // interfaces, which it lists on the first connection. A worker starts plugins in a network
    // namespace of their own with no such address: Netty then warns and uses random bytes. Random
    // bytes straight away skip the listing and the warning; the ids only tell channels apart.
    if (System.getProperty(MACHINE_ID_PROPERTY) == null) {
      byte[] id = new byte[8];
      ThreadLocalRandom.current().nextBytes(id);
      System.setProperty(MACHINE_ID_PROPERTY, HexFormat.ofDelimiter(":").formatHex(id));
    }
    // Netty looks for SLF4J, Log4j 2 and Log4j (class look-ups that fail, one by one) before it
    // settles on java.util.logging, which is all a plugin jar has unless its author added SLF4J.
    if (NettyForAShortLife.class.getClassLoader().getResource("org/slf4j/LoggerFactory.class") == null) {
      InternalLoggerFactory.setDefaultFactory(JdkLoggerFactory.INSTANCE);
    }
    // grpc-java asks every accepted connection for SO_KEEPALIVE, which a unix socket does not have:
    // Netty warns about it once per connection, and formatting that first log line (the JDK's
    // log formatter, its dates and locale data) costs the first call several ms. Only that
    // warning is dropped.
    serverBootstrapLogger = Logger.getLogger(ServerBootstrap.class.getName());
    serverBootstrapLogger.setFilter(record -> record.getMessage() == null
        || !record.getMessage().startsWith("Unknown channel option 'SO_KEEPALIVE'"));
  }
}
