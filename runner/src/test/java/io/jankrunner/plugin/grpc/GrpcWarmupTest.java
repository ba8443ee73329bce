package io.jankrunner.plugin.grpc;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;

import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GrpcWarmupTest {

  /** The TLS warm-up throws when the handshake fails, so this fails if the pinned mutual TLS breaks. */
  @Test
  void tlsWarmUpCompletesAMutualTlsHealthCheck(@TempDir Path dir) {
    EventLoopGroup loop = new EpollEventLoopGroup(1);
    try {
      assertDoesNotThrow(() -> GrpcWarmup.warmTls(dir.resolve("tls.sock"), loop));
    } finally {
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
