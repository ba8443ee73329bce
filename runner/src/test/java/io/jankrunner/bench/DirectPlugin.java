package io.jankrunner.bench;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollDomainSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.unix.DomainSocketAddress;
import io.jankrunner.protocol.Handshake;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The built Go hello plugin started by hand, as any go-plugin host would (handshake environment,
 * the handshake line read from stdout), and a raw grpc-java channel to its socket: the floors
 * that use no runner code.
 */
final class DirectPlugin implements AutoCloseable {

  private final Process process;
  private final EventLoopGroup loop = new EpollEventLoopGroup(2);
  private final ManagedChannel channel;

  DirectPlugin(Path goPluginDir) throws IOException {
    ProcessBuilder builder = new ProcessBuilder(goPluginDir.resolve("bin/hello-world").toString())
        .directory(goPluginDir.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
    builder.environment().put(Handshake.MAGIC_COOKIE_KEY, Handshake.MAGIC_COOKIE_VALUE);
    builder.environment().put(Handshake.PROTOCOL_VERSIONS_ENV, "1");
    process = builder.start();
    try {
      String line = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))
          .readLine();
      Handshake handshake = Handshake.parse(line);
      channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(handshake.address()))
          .channelType(EpollDomainSocketChannel.class).eventLoopGroup(loop).usePlaintext().directExecutor()
          .overrideAuthority("localhost").build();
    } catch (IOException | RuntimeException e) {
      process.destroyForcibly();
      loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  ManagedChannel channel() {
    return channel;
  }

  @Override
  public void close() {
    channel.shutdownNow();
    process.destroy();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
    loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
