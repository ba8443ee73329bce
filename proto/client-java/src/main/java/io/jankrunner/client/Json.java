package io.jankrunner.client;

import com.fasterxml.jackson.databind.ObjectMapper;

/** The client's one Jackson mapper (thread-safe once configured). */
final class Json {

  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}
}
