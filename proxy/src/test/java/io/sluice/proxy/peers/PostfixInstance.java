package io.sluice.proxy.peers;

import static org.awaitility.Awaitility.await;

import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A private Postfix (own configuration, queue and data directories under a temporary directory) whose
 * smtpd listens on 127.0.0.1 and relays every message to an {@link SmtpSinkProcess}.
 *
 * <p>Any client may relay (the listener is on loopback), loopback clients may send XCLIENT
 * ({@code smtpd_authorized_xclient_hosts}); nothing is delivered locally; bounces (null sender)
 * are discarded instead of reaching the sink; no DNS is used; deferred mail is retried every second.
 * Postfix must be started as root (it drops to the {@code postfix} user); elsewhere the test is skipped,
 * and on CI it fails.
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
      tlsmgr       unix  -       -      n      1000?  1       tlsmgr
      """;

    private final Path directory;
    private final Path config;
    private final int port;
    /** timeout(1) running master(8); null until started. */
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
        return start(downstream.port(), overrides);
    }

    /** Starts Postfix relaying to the loopback port given, with main.cf parameters added or replaced. */
    public static PostfixInstance start(int downstreamPort, Map<String, String> overrides) {
        Path postconf = ExternalTool.requireTool("postconf");
        ExternalTool.requireTool("postfix");
        ExternalTool.require(ExternalTool.isRoot(), "root privileges to run a private Postfix");
        PostfixInstance instance = null;
        try {
            Path directory = Files.createTempDirectory("sluice-postfix");
            instance = new PostfixInstance(directory, TestPorts.freeOnLoopback());
            instance.configure(downstreamPort, overrides);
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

    private void configure(int downstreamPort, Map<String, String> overrides) throws IOException {
        // Daemons running as the postfix user must traverse this directory to reach the queue.
        Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createDirectory(config);
        createQueueDirectories();

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
        // smtpd accepts XCLIENT ADDR=IPV6:... only with IPv6 enabled, and that needs a usable ::1.
        main.put("inet_protocols", ExternalTool.hasIpv6Loopback() ? "all" : "ipv4");
        // Trust every client, so it may relay: a proxy in front passes original client addresses (often from
        // RFC 5737 documentation ranges) via XCLIENT. The listener is on loopback only anyway. (Postfix
        // refuses smtpd_relay_restrictions without reject_unauth_destination or the like.)
        main.put("mynetworks", "0.0.0.0/0 [::]/0");
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
        // Postfix programs wait (up to 2 s) until a configuration file's mtime is in the past, in case an
        // editor is still writing it; backdating the files skips that wait.
        FileTime past = FileTime.from(Instant.now().minus(Duration.ofMinutes(1)));
        Files.setLastModifiedTime(config.resolve("main.cf"), past);
        Files.setLastModifiedTime(config.resolve("master.cf"), past);
    }

    /**
     * Creates data and queue directories with the owners and modes of Postfix's {@code postfix-files}.
     * {@code postfix -c DIR check} would do the same, but spends 2.5 s in shell scripts.
     */
    private void createQueueDirectories() throws IOException {
        UserPrincipal owner;
        GroupPrincipal postdrop;
        try {
            UserPrincipalLookupService users = FileSystems.getDefault().getUserPrincipalLookupService();
            owner = users.lookupPrincipalByName("postfix");
            postdrop = users.lookupPrincipalByGroupName("postdrop");
        } catch (UserPrincipalNotFoundException e) {
            ExternalTool.require(false, "the user 'postfix' and group 'postdrop' (Debian package postfix)");
            throw e;
        }
        Path queue = Files.createDirectory(directory.resolve("queue"));
        createOwned(directory.resolve("data"), owner, null, "rwx------");
        for (String name : List.of("active", "bounce", "corrupt", "defer", "deferred", "flush", "hold",
                "incoming", "private", "saved", "trace")) {
            createOwned(queue.resolve(name), owner, null, "rwx------");
        }
        createOwned(queue.resolve("maildrop"), owner, postdrop, "rwx-wx---");
        createOwned(queue.resolve("public"), owner, postdrop, "rwx--x---");
        createOwned(queue.resolve("pid"), null, null, "rwxr-xr-x");
    }

    private static void createOwned(Path dir, UserPrincipal owner, GroupPrincipal group, String mode)
            throws IOException {
        Files.createDirectory(dir);
        PosixFileAttributeView attributes = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        if (owner != null) {
            attributes.setOwner(owner);
        }
        if (group != null) {
            attributes.setGroup(group);
        }
        attributes.setPermissions(PosixFilePermissions.fromString(mode));
    }

    private void startMaster(Path postconf) throws IOException {
        ExternalTool.Finished daemonDirectory = ExternalTool.run(COMMAND_TIMEOUT, postconf,
                List.of("-c", config.toString(), "-h", "daemon_directory"));
        // stdout and stderr are merged: skip warnings (e.g. about an unused override), keep the path.
        String daemonPath = daemonDirectory.output().lines().filter(line -> line.startsWith("/")).findFirst()
                .orElseThrow(() -> new IllegalStateException("postconf: " + daemonDirectory.output()));
        Path masterBinary = Path.of(daemonPath, "master");
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
            throw new IllegalStateException("postfix did not start; master output:\n"
                    + read(directory.resolve("master.out")) + "\nmaillog:\n" + log(), e);
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
        return read(logFile());
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

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Path logFile() {
        return directory.resolve("maillog");
    }
}
