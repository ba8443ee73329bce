package io.jankrunner.bench;

/** The floor of a JVM's start: a bare JVM that prints one line (run by {@link ChildJvms}). */
public final class JvmHello {

  private JvmHello() {}

  public static void main(String[] args) {
    System.out.println("hello");
  }
}
