package io.jankrunner.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A reader of Prometheus' text exposition format (version 0.0.4): samples with their labels. */
final class PrometheusText {

  record Sample(String name, Map<String, String> labels, double value) {}

  private PrometheusText() {}

  static List<Sample> parse(String text) {
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
        i++;
      }
      String name = line.substring(0, i);
      Map<String, String> labels = new LinkedHashMap<>();
      if (i < line.length() && line.charAt(i) == '{') {
        i++;
        while (line.charAt(i) != '}') {
          int equals = line.indexOf('=', i);
          String label = line.substring(i, equals);
          StringBuilder value = new StringBuilder();
          int j = equals + 2; // past ="
          while (line.charAt(j) != '"') {
            char c = line.charAt(j);
            if (c == '\\') {
              char next = line.charAt(++j);
              value.append(next == 'n' ? '\n' : next);
            } else {
              value.append(c);
            }
            j++;
          }
          labels.put(label, value.toString());
          i = j + 1;
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        i++;
      }
      String[] rest = line.substring(i).strip().split(" ");
      samples.add(new Sample(name, labels, parseValue(rest[0])));
    }
    return samples;
  }

  private static double parseValue(String text) {
    return switch (text) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(text);
    };
  }

  /** The sum of the samples named {@code name} whose labels include {@code match}. */
  static double sum(List<Sample> samples, String name, Map<String, String> match) {
    return samples.stream().filter(sample -> sample.name().equals(name))
        .filter(sample -> sample.labels().entrySet().containsAll(match.entrySet()))
        .mapToDouble(Sample::value).sum();
  }

  static boolean has(List<Sample> samples, String name) {
    return samples.stream().anyMatch(sample -> sample.name().equals(name));
  }
}
