package io.jankrunner.plugin.grpc;

import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import java.util.concurrent.TimeUnit;

/**
 * The one small event loop that serves every plugin channel of a manager: answers complete the
 * callers' futures here, so what depends on them must be cheap or hop to another executor.
 */
public final class PluginChannels implements AutoCloseable {

  private final EventLoopGroup eventLoop =
      new EpollEventLoopGroup(2, Thread.ofPlatform().name("plugin-grpc-", 0).daemon(true).factory());

  EventLoopGroup eventLoop() {
    return eventLoop;
  }

  @Override
  public void close() {
    eventLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
