package io.jankrunner.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** curl-like calls to a worker's HTTP port, answers parsed as JSON. */
final class HttpCalls {

  static final ObjectMapper JSON = new ObjectMapper();
  final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  final String base;

  record Answer(int status, JsonNode body, HttpResponse<String> response) {
    JsonNode data() {
      return body.path("data");
    }

    /** Jank's numeric code, as text. */
    String code() {
      return body.path("error").path("code").asText();
    }

    /** The runner's symbolic name for the failure. */
    String name() {
      return body.path("error").path("name").asText();
    }

    /** The detail Jank puts in {@code data} beside an error. */
    String detail() {
      return body.path("data").asText();
    }
  }

  HttpCalls(String base) {
    this.base = base;
  }

  Answer get(String path, String token) throws Exception {
    return send(request(path, token).GET().build());
  }

  Answer post(String path, String token, String body) throws Exception {
    return send(request(path, token).POST(HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json").build());
  }

  HttpRequest.Builder request(String path, String token) {
    // A liveness bound: a cold plugin start on a machine busy with other work can take a minute.
    HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(180));
    return token == null ? builder : builder.header("Authorization", "Bearer " + token);
  }

  Answer send(HttpRequest request) throws Exception {
    HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
    JsonNode body = response.body().isEmpty() || !response.headers().firstValue("Content-Type").orElse("")
        .startsWith("application/json") ? JSON.nullNode() : JSON.readTree(response.body());
    return new Answer(response.statusCode(), body, response);
  }
}
