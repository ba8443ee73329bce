package io.jankrunner.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.jankrunner.config.ApiTokens;
import io.jankrunner.config.Topics;
import io.jankrunner.config.WorkerConfig;
import io.jankrunner.kafka.TestBroker;
import io.jankrunner.plugin.MisbehavingPlugin;
import io.jankrunner.plugin.TestPlugins;
import io.jankrunner.worker.Worker;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Attacks on an HTTP API that runs without tokens (loopback only), each over a raw socket as a
 * browser or a hostile local client would send it: a "simple" cross-site form POST, a rebound
 * host name, a foreign Origin, a malformed query, a request whose headers never end. Each is
 * refused, and the worker goes on answering a well-formed call.
 */
class TokenlessApiIT {

  static final String ECHO = "test.plugins.echo";
  /** What the cross-site attacks try to register: never registered by any test here. */
  static final String TARGET = "test.plugins.target";

  @TempDir static Path plugins;
  @TempDir static Path state;
  static Worker worker;
  static int port;

  @BeforeAll
  static void startWorker() throws Exception {
    TestPlugins.javaPlugin(plugins, "echo", ECHO, MisbehavingPlugin.class, "", "");
    TestPlugins.javaPlugin(plugins, "target", TARGET, MisbehavingPlugin.class, "", "");
    Topics topics = new Topics("tl" + UUID.randomUUID().toString().substring(0, 8));
    worker = Worker.start(new WorkerConfig(TestBroker.bootstrap(), plugins, "tokenless-1", WorkerConfig.Mode.SHARE,
        false, topics, 1, 64, 1024 * 1024, Duration.ofSeconds(1), Duration.ofSeconds(5), state,
        WorkerConfig.DEFAULT_MAX_POLL_INTERVAL).withHttp(new InetSocketAddress("127.0.0.1", 0), ApiTokens.NONE));
    port = worker.httpAddress().orElseThrow().getPort();
  }

  @AfterAll
  static void stopWorker() {
    if (worker != null) {
      worker.close();
    }
  }

  /** Sends {@code request} as is and reads the answer until the server closes or a minute passes. */
  static String raw(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(60_000);
      socket.getOutputStream().write(request.getBytes(StandardCharsets.UTF_8));
      socket.getOutputStream().flush();
      return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  static String post(String path, String host, String contentType, String extraHeaders, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    return raw("POST " + path + " HTTP/1.1\r\nHost: " + host + "\r\n"
        + (contentType == null ? "" : "Content-Type: " + contentType + "\r\n") + extraHeaders
        + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n" + body);
  }

  static String get(String path, String host) throws IOException {
    return raw("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n\r\n");
  }

  static String self() {
    return "127.0.0.1:" + port;
  }

  static void assertStatus(int status, String answer) {
    assertTrue(answer.startsWith("HTTP/1.1 " + status + " "), "expected " + status + ", got: " + answer);
  }

  static boolean registered(String id) throws IOException {
    return get("/api/v1/plugin/get?id=" + id, self()).contains("\"registered\":true");
  }

  @Test
  void aCrossSiteFormPostIsRefusedAndRegistersNothing() throws IOException {
    // What a page on another site can send without a preflight: a form-encoded or text/plain body.
    for (String type : new String[] {"application/x-www-form-urlencoded", "text/plain", null}) {
      String answer = post("/api/v1/plugin/register", self(), type, "", "{\"id\":\"" + TARGET + "\"}");
      assertStatus(415, answer);
      assertTrue(answer.contains("UNSUPPORTED_MEDIA_TYPE"), answer);
    }
    assertTrue(!registered(TARGET), TARGET + " was registered");
  }

  @Test
  void aForeignOriginIsRefusedEvenWithAJsonBody() throws IOException {
    String answer = post("/api/v1/plugin/execute", self(), "application/json", "Origin: https://evil.example\r\n",
        "{\"id\":\"" + TARGET + "\",\"method\":\"echo\"}");
    assertStatus(403, answer);
    assertTrue(answer.contains("CORS_ORIGIN_REFUSED"), answer);
  }

  @Test
  void aRequestForARemoteHostNameIsRefused() throws IOException {
    // DNS rebinding: the page's own name now resolves to 127.0.0.1, and the browser sends it as Host.
    String answer = get("/api/v1/plugin/list", "attacker.example:" + port);
    assertStatus(403, answer);
    assertTrue(answer.contains("HOST_REFUSED"), answer);
    assertStatus(200, get("/api/v1/plugin/list", "localhost:" + port));
  }

  @Test
  void aMalformedQueryIsA400NotA500() throws IOException {
    // The JDK's server refuses a request URI that is not valid percent-encoding before any handler.
    assertStatus(400, get("/api/v1/plugin/get?id=%zz", self()));
    assertStatus(200, get("/api/v1/plugin/list", self()));
  }

  @Test
  void aRequestWhoseHeadersNeverEndIsClosedAndOthersAreStillServed() throws Exception {
    try (Socket slow = new Socket("127.0.0.1", port)) {
      slow.setSoTimeout(120_000);
      OutputStream out = slow.getOutputStream();
      out.write(("GET /api/v1/plugin/list HTTP/1.1\r\nHost: " + self() + "\r\nX-Slow: ").getBytes(StandardCharsets.UTF_8));
      out.flush();
      // Meanwhile a well-formed call is answered.
      assertStatus(200, get("/api/v1/plugin/list", self()));
      // The server closes the half-sent request once its request time is up (30 s by default); a
      // server without that bound would hold it until the read timeout here.
      InputStream in = slow.getInputStream();
      long started = System.nanoTime();
      try {
        in.readAllBytes();
      } catch (SocketTimeoutException e) {
        throw new AssertionError("the half-sent request was held for 120 s");
      } catch (IOException reset) {
        // closed with a reset: refused too
      }
      assertTrue(System.nanoTime() - started < Duration.ofSeconds(120).toNanos());
    }
    assertStatus(200, get("/api/v1/plugin/list", self()));
  }

  @Test
  void connectionsPastTheCapAreClosedAndCallsAreServedOnceOthersClose() throws Exception {
    java.util.List<Socket> held = new java.util.ArrayList<>();
    try {
      // As many idle connections as the server takes (jdk.httpserver.maxConnections, 256 by default)…
      int cap = Integer.parseInt(System.getProperty("jdk.httpserver.maxConnections"));
      for (int i = 0; i < cap; i++) {
        held.add(new Socket("127.0.0.1", port));
      }
      // …then one more, which the server closes as it accepts it.
      try (Socket extra = new Socket("127.0.0.1", port)) {
        extra.setSoTimeout(60_000);
        extra.getOutputStream().write(("GET /api/v1/plugin/list HTTP/1.1\r\nHost: " + self()
            + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.UTF_8));
        String answer;
        try {
          answer = new String(extra.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException reset) {
          answer = "";
        }
        assertEquals("", answer, "a connection past the cap was served");
      } catch (IOException refused) {
        // refused or reset while writing: not served either
      }
    } finally {
      for (Socket socket : held) {
        socket.close();
      }
    }
    // The server counts the closed ones out; a call is answered again (a liveness bound, not a timing).
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
        .until(() -> get("/api/v1/plugin/list", self()).startsWith("HTTP/1.1 200 "));
  }

  @Test
  void aJsonWriteFromLoopbackIsServed() throws IOException {
    String answer = post("/api/v1/plugin/register", self(), "application/json; charset=utf-8", "",
        "{\"id\":\"" + ECHO + "\"}");
    assertStatus(200, answer);
    assertEquals(true, registered(ECHO));
    post("/api/v1/plugin/unregister", self(), "application/json", "", "{\"id\":\"" + ECHO + "\"}");
  }
}
