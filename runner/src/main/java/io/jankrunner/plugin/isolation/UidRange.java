package io.jankrunner.plugin.isolation;

/**
 * The uids (each with the gid of the same number) that plugins get one each of, as systemd's
 * {@code DynamicUser} does: {@code FIRST-LAST}, inclusive. Uid 0 may not be in it.
 */
public record UidRange(int first, int last) {

  /** What plugins get when the worker is root and the plugin user is {@code auto}. */
  public static final UidRange DEFAULT = new UidRange(61000, 61999);

  public UidRange {
    if (first < 1) {
      throw new IllegalArgumentException("plugin uid range " + first + "-" + last + " includes uid 0 (root) or less:"
          + " plugins must run unprivileged");
    }
    if (last < first) {
      throw new IllegalArgumentException("plugin uid range " + first + "-" + last + " ends before it starts");
    }
    // 65535 is (uid16_t) -1, which some system calls take for "unchanged".
    if (first <= 65535 && last >= 65535) {
      throw new IllegalArgumentException("plugin uid range " + first + "-" + last + " includes 65535, which some "
          + "system calls take for -1 (\"no change\")");
    }
  }

  /**
   * {@code FIRST-LAST}, e.g. {@code 61000-61999}.
   *
   * @throws IllegalArgumentException naming what is wrong with {@code text}
   */
  public static UidRange parse(String text) {
    String[] bounds = text.strip().split("-", -1);
    if (bounds.length != 2 || !bounds[0].strip().matches("\\d{1,10}") || !bounds[1].strip().matches("\\d{1,10}")) {
      throw new IllegalArgumentException("plugin uid range must be FIRST-LAST, e.g. " + DEFAULT + ": '" + text + "'");
    }
    long first = Long.parseLong(bounds[0].strip());
    long last = Long.parseLong(bounds[1].strip());
    if (first > Integer.MAX_VALUE || last > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("plugin uid range " + text + " goes past the largest uid " + Integer.MAX_VALUE);
    }
    return new UidRange((int) first, (int) last);
  }

  public int size() {
    return last - first + 1;
  }

  public boolean contains(int uid) {
    return uid >= first && uid <= last;
  }

  @Override
  public String toString() {
    return first + "-" + last;
  }
}
