package io.sluice.proxy.peers;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A private Postfix (own configuration, queue and data directories under a temporary directory) whose
 * smtpd listens on 127.0.0.1 and relays every message to an {@link SmtpSinkProcess}.
 *
 * <p>Loopback clients may relay and send XCLIENT; nothing is delivered locally; bounces (null sender)
 * are discarded instead of reaching the sink; no DNS is used; deferred mail is retried every second.
 * Postfix must be started as root (it drops to the {@code postfix} user); elsewhere the test is skipped.
 */
public final class PostfixInstance implements AutoCloseable {

  private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

  private static final String MASTER_CF = """
      # service    type  private unpriv chroot wakeup maxproc command
      127.0.0.1:%d inet  n       -      n      -      -       smtpd
      cleanup      unix  n       -      n      -      0       cleanup
      qmgr         unix  n       -      n      300    1       qmgr
      rewrite      unix  -       -      n      -      -       trivial-rewrite
      bounce       unix  -       -      n      -      0       bounce
      defer        unix  -       -      n      -      0       bounce
      trace        unix  -       -      n      -      0       bounce
      verify       unix  -       -      n      -      1       verify
      flush        unix  n       -      n      1000?  0       flush
      proxymap     unix  -       -      n      -      -       proxymap
      smtp         unix  -       -      n      -      -       smtp
      relay        unix  -       -      n      -      -       smtp
      error        unix  -       -      n      -      -       error
      retry        unix  -       -      n      -      -       error
      discard      unix  -       -      n      -      -       discard
      anvil        unix  -       -      n      -      1       anvil
      scache       unix  -       -      n      -      1       scache
      postlog      unix-dgram n  -      n      -      1       postlogd
      """;

  private final Path directory;
  private final Path config;
  private final int port;
  private Process master;

  private PostfixInstance(Path directory, int port) {
    this.directory = directory;
    this.config = directory.resolve("etc");
    this.port = port;
  }

  /** Starts Postfix relaying to {@code downstream} and returns once its smtpd listens. */
  public static PostfixInstance start(SmtpSinkProcess downstream) {
    return start(downstream, Map.of());
  }

  /** As {@link #start(SmtpSinkProcess)}, with main.cf parameters added or replaced by {@code overrides}. */
  public static PostfixInstance start(SmtpSinkProcess downstream, Map<String, String> overrides) {
    Path postfix = ExternalTool.requireTool("postfix");
    Path postconf = ExternalTool.requireTool("postconf");
    ExternalTool.require(ExternalTool.isRoot(), "root privileges to run a private Postfix");
    UserPrincipal mailOwner = mailOwner();
    PostfixInstance instance = null;
    try {
      Path directory = Files.createTempDirectory("sluice-postfix");
      instance = new PostfixInstance(directory, ExternalTool.freePort());
      instance.configure(downstream.port(), overrides, mailOwner);
      instance.check(postfix);
      instance.startMaster(postconf);
      return instance;
    } catch (IOException e) {
      if (instance != null) {
        instance.close();
      }
      throw new UncheckedIOException(e);
    } catch (RuntimeException | Error e) {
      if (instance != null) {
        instance.close();
      }
      throw e;
    }
  }

  private static UserPrincipal mailOwner() {
    try {
      return FileSystems.getDefault().getUserPrincipalLookupService()
          .lookupPrincipalByName("postfix");
    } catch (IOException e) {
      ExternalTool.require(false, "the 'postfix' user (Debian package postfix)");
      throw new UncheckedIOException(e);
    }
  }

  private void configure(int downstreamPort, Map<String, String> overrides, UserPrincipal mailOwner)
      throws IOException {
    // Daemons running as the postfix user must traverse this directory to reach the queue.
    Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createDirectory(config);
    Files.createDirectory(directory.resolve("queue"));
    // `postfix check` wants data_directory owned by mail_owner; it creates the queue subdirectories.
    Files.setOwner(Files.createDirectory(directory.resolve("data")), mailOwner);

    Map<String, String> main = new LinkedHashMap<>();
    main.put("compatibility_level", "3.6");
    main.put("queue_directory", directory.resolve("queue").toString());
    main.put("data_directory", directory.resolve("data").toString());
    // Postfix 3.4+ writes maillog_file through the postlog service, only under maillog_file_prefixes.
    main.put("maillog_file", logFile().toString());
    main.put("maillog_file_prefixes", directory.toString());
    main.put("myhostname", "postfix.sluice.test");
    main.put("mydomain", "sluice.test");
    main.put("myorigin", "$myhostname");
    main.put("mydestination", "");
    main.put("local_transport", "error:local delivery is disabled");
    main.put("alias_maps", "");
    main.put("alias_database", "");
    main.put("inet_interfaces", "loopback-only");
    main.put("inet_protocols", "ipv4");
    main.put("mynetworks", "127.0.0.0/8");
    main.put("smtpd_relay_restrictions", "permit_mynetworks, reject_unauth_destination");
    main.put("smtpd_authorized_xclient_hosts", "127.0.0.0/8");
    main.put("smtpd_peername_lookup", "no");
    main.put("relayhost", "[127.0.0.1]:" + downstreamPort);
    main.put("smtp_dns_support_level", "disabled");
    main.put("smtp_host_lookup", "native");
    // Without this, a bounce for a message the sink refused would be relayed to the sink as well.
    main.put("sender_dependent_default_transport_maps", "inline:{<>=discard:}");
    main.put("queue_run_delay", "1s");
    main.put("minimal_backoff_time", "1s");
    main.put("maximal_backoff_time", "2s");
    main.putAll(overrides);

    StringBuilder mainCf = new StringBuilder();
    main.forEach((name, value) -> mainCf.append(name).append(" = ").append(value).append('\n'));
    Files.writeString(config.resolve("main.cf"), mainCf);
    Files.writeString(config.resolve("master.cf"), MASTER_CF.formatted(port));
  }

  private void check(Path postfix) {
    ExternalTool.Finished check =
        ExternalTool.run(COMMAND_TIMEOUT, postfix, List.of("-c", config.toString(), "check"));
    if (check.exitCode() != 0) {
      throw new IllegalStateException("postfix check failed (" + check.exitCode() + "):\n"
          + check.output() + "\nmaillog:\n" + log());
    }
  }

  private void startMaster(Path postconf) throws IOException {
    ExternalTool.Finished daemonDirectory = ExternalTool.run(COMMAND_TIMEOUT, postconf,
        List.of("-c", config.toString(), "-h", "daemon_directory"));
    Path masterBinary = Path.of(daemonDirectory.output().trim(), "master");
    // master stays in the foreground (no -w), so it is our descendant and bounded by timeout(1);
    // -s keeps its stdout. It starts the other daemons on demand and stops them when it gets SIGTERM.
    master = new ProcessBuilder(ExternalTool.bounded(ExternalTool.MAX_LIFETIME, masterBinary,
            List.of("-c", config.toString(), "-s")))
        .redirectErrorStream(true)
        .redirectOutput(directory.resolve("master.out").toFile())
        .start();
    master.getOutputStream().close();
    try {
      ExternalTool.awaitListening(port, master, Duration.ofSeconds(20), "postfix smtpd");
    } catch (RuntimeException e) {
      throw new IllegalStateException("postfix did not start; maillog:\n" + log(), e);
    }
  }

  public int port() {
    return port;
  }

  /** The configuration directory, for {@code postconf -c} or {@code postqueue -c} in a test. */
  public Path configDirectory() {
    return config;
  }

  /** The Postfix log so far. */
  public String log() {
    try {
      return Files.readString(logFile(), StandardCharsets.ISO_8859_1);
    } catch (NoSuchFileException e) {
      return "";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Waits until the log contains {@code fragment} and returns the log. */
  public String awaitLog(String fragment, Duration timeout) {
    await("postfix log containing " + fragment)
        .atMost(timeout)
        .pollInterval(Duration.ofMillis(50))
        .until(() -> log().contains(fragment));
    return log();
  }

  /** The master process and the daemons it runs right now. */
  List<ProcessHandle> processes() {
    if (master == null) {
      return List.of();
    }
    List<ProcessHandle> tree = new ArrayList<>(master.toHandle().descendants().toList());
    tree.add(0, master.toHandle());
    return tree;
  }

  /** Stops Postfix with {@code postfix stop}, kills whatever is left, and deletes the directory. */
  @Override
  public void close() {
    if (master != null) {
      List<ProcessHandle> running = processes();
      if (master.isAlive()) {
        ExternalTool.locate("postfix").ifPresent(postfix ->
            ExternalTool.run(COMMAND_TIMEOUT, postfix, List.of("-c", config.toString(), "stop")));
      }
      if (!ExternalTool.awaitAllStopped(running, Duration.ofSeconds(10))) {
        running.forEach(ProcessHandle::destroyForcibly);
        ExternalTool.awaitAllStopped(running, Duration.ofSeconds(5));
      }
    }
    ExternalTool.deleteRecursively(directory);
  }

  private Path logFile() {
    return directory.resolve("maillog");
  }
}
