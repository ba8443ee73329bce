package io.jankrunner.plugin.process;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A record on disk of the child processes this worker started, one file per child under a
 * directory named after the worker process ({@link ProcessOwner}). If the worker dies without
 * stopping them (SIGKILL, power cut before the parent-death signal was armed), the next worker
 * on the machine finds the directory of a dead owner and kills what is still running, checking
 * each process's start time so a recycled pid is never hit.
 *
 * <p>The sweep SIGKILLs as root, so a journal someone else wrote must never be read: the journal
 * dir is {@link StateDirs}' private one, and the sweep reads it relative to open directory
 * handles, without following links, and only what the worker's uid owns and nobody else may
 * write; anything else is skipped with a WARN and kills nothing.
 */
public final class ProcessJournal {

  private static final Logger log = LoggerFactory.getLogger(ProcessJournal.class);
  /** An entry is a start time and a command line; more than this is not one the worker wrote. */
  private static final int MAX_ENTRY_BYTES = 64 * 1024;

  private final Path root;
  private final Path mine;
  private final UserPrincipal worker;

  /** The journal in {@code root}, a directory only the worker may change ({@link StateDirs#journal()}). */
  public ProcessJournal(Path root) throws IOException {
    this.root = root.toAbsolutePath();
    this.mine = this.root.resolve(ProcessOwner.self());
    this.worker = Files.getOwner(Path.of("/proc/self"));
    Files.createDirectories(mine, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
  }

  void record(ProcessHandle child) {
    try {
      String entry = ProcessOwner.startMillis(child).orElse(0L) + "\n" + child.info().commandLine().orElse("") + "\n";
      // 0600 whatever the umask: the sweep trusts only entries nobody but the worker may write.
      try (SeekableByteChannel out = Files.newByteChannel(mine.resolve(Long.toString(child.pid())),
          Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE),
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
        out.write(ByteBuffer.wrap(entry.getBytes(StandardCharsets.UTF_8)));
      }
    } catch (IOException e) {
      log.warn("could not record child process {} in {}: {}", child.pid(), mine, e.toString());
    }
  }

  void forget(long pid) {
    try {
      Files.deleteIfExists(mine.resolve(Long.toString(pid)));
    } catch (IOException e) {
      log.debug("could not forget child process {}: {}", pid, e.toString());
    }
  }

  /** Kills the recorded children of workers that are no longer running. Returns how many. */
  public int sweepOrphans() {
    int killed = 0;
    try (DirectoryStream<Path> list = Files.newDirectoryStream(root)) {
      if (!(list instanceof SecureDirectoryStream<Path> journal)) {
        log.warn("not sweeping the process journal {}: this platform cannot read it without following links", root);
        return 0;
      }
      for (Path owner : journal) {
        Path name = owner.getFileName();
        if (owner.equals(mine) || ProcessOwner.isRunning(name.toString())) {
          continue;
        }
        Optional<Integer> swept = sweepOwner(journal, name, owner);
        if (swept.isPresent()) {
          killed += swept.get();
          FileTrees.delete(owner);
        }
      }
    } catch (IOException | DirectoryIteratorException e) {
      log.warn("could not sweep orphaned plugin processes under {}: {}", root, e.toString());
    }
    if (killed > 0) {
      log.warn("killed {} plugin process(es) left behind by a previous worker", killed);
    }
    return killed;
  }

  /** Kills what a dead owner's directory names; empty (nothing killed) if the directory is not the worker's. */
  private Optional<Integer> sweepOwner(SecureDirectoryStream<Path> journal, Path name, Path owner) throws IOException {
    SecureDirectoryStream<Path> children;
    try {
      children = journal.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
    } catch (FileSystemException e) {
      log.warn("ignoring {} in the process journal: not a directory the worker made ({}); it kills nothing", owner,
          e.getReason() != null ? e.getReason() : e.toString());
      return Optional.empty();
    }
    try (children) {
      // The open directory itself, not the name: nothing can be swapped between the check and the read.
      Optional<String> untrusted = untrusted(children.getFileAttributeView(PosixFileAttributeView.class)
          .readAttributes(), true);
      if (untrusted.isPresent()) {
        log.warn("ignoring {} in the process journal: it {}; it kills nothing", owner, untrusted.get());
        return Optional.empty();
      }
      int killed = 0;
      for (Path child : children) {
        killed += killRecorded(children, child) ? 1 : 0;
      }
      return Optional.of(killed);
    }
  }

  private boolean killRecorded(SecureDirectoryStream<Path> owner, Path child) {
    Path name = child.getFileName();
    long pid;
    long recordedStart;
    try {
      pid = Long.parseLong(name.toString());
      Optional<String> untrusted = untrusted(owner.getFileAttributeView(name, PosixFileAttributeView.class,
          LinkOption.NOFOLLOW_LINKS).readAttributes(), false);
      if (untrusted.isPresent()) {
        log.warn("ignoring {} in the process journal: it {}; it kills nothing", child, untrusted.get());
        return false;
      }
      recordedStart = Long.parseLong(read(owner, name).lines().findFirst().orElse("").strip());
    } catch (RuntimeException | IOException e) {
      return false;
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty() || !looksLikeOurs(process.get(), recordedStart)) {
      return false;
    }
    log.warn("killing orphaned plugin process {} ({})", pid, process.get().info().commandLine().orElse("?"));
    process.get().descendants().forEach(ProcessHandle::destroyForcibly);
    process.get().destroyForcibly();
    return true;
  }

  /**
   * The recorded process, not a recycled pid: it started when recorded (to the clock tick), and
   * it is neither this worker nor one of its ancestors.
   */
  private static boolean looksLikeOurs(ProcessHandle process, long recordedStart) {
    for (Optional<ProcessHandle> up = Optional.of(ProcessHandle.current()); up.isPresent(); up = up.get().parent()) {
      if (up.get().pid() == process.pid()) {
        return false;
      }
    }
    return process.pid() > 1 && ProcessOwner.startedAt(process, recordedStart);
  }

  /** Why an entry is not one this worker wrote (empty when it may be): a link, the wrong type, another owner, writable by others. */
  private Optional<String> untrusted(PosixFileAttributes attributes, boolean directory) {
    if (attributes.isSymbolicLink()) {
      return Optional.of("is a symbolic link");
    }
    if (directory ? !attributes.isDirectory() : !attributes.isRegularFile()) {
      return Optional.of(directory ? "is not a directory" : "is not a regular file");
    }
    if (!attributes.owner().equals(worker)) {
      return Optional.of("is owned by " + attributes.owner().getName() + ", not by the worker's user "
          + worker.getName());
    }
    Set<PosixFilePermission> mode = attributes.permissions();
    if (mode.contains(PosixFilePermission.GROUP_WRITE) || mode.contains(PosixFilePermission.OTHERS_WRITE)) {
      return Optional.of("is writable by group or others (" + PosixFilePermissions.toString(mode) + ")");
    }
    return Optional.empty();
  }

  private static String read(SecureDirectoryStream<Path> owner, Path name) throws IOException {
    try (SeekableByteChannel in = owner.newByteChannel(name, Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
      ByteBuffer buffer = ByteBuffer.allocate(MAX_ENTRY_BYTES);
      while (buffer.hasRemaining() && in.read(buffer) > 0) {
        // up to the cap
      }
      return new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
    }
  }

  /** Removes this worker's own directory; called on clean shutdown. */
  public void close() {
    FileTrees.delete(mine);
  }
}
