package io.sluice.proxy.peers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One finished run of Postfix {@code smtp-source}, the parallel SMTP load generator: its exit code
 * (0 when every message was accepted; without {@code -A} it stops at the first unexpected reply and
 * exits 1), what it printed and how long it took.
 */
public record SmtpSourceRun(int exitCode, String output, Duration elapsed) {

    /**
     * Runs {@code smtp-source OPTIONS 127.0.0.1:port}, e.g. {@code to(port, timeout, "-s", "20", "-m",
     * "200", "-l", "2000")} for 200 messages of 2000 bytes over 20 parallel sessions.
     */
    public static SmtpSourceRun to(int port, Duration timeout, String... options) {
        List<String> args = new ArrayList<>(Arrays.asList(options));
        args.add("127.0.0.1:" + port);
        return run(timeout, args.toArray(String[]::new));
    }

    /** Runs smtp-source with exactly these arguments; fails the test if it runs longer than {@code timeout}. */
    public static SmtpSourceRun run(Duration timeout, String... args) {
        Path source = ExternalTool.requireTool("smtp-source");
        ExternalTool.Finished finished = ExternalTool.run(timeout, source, Arrays.asList(args));
        return new SmtpSourceRun(finished.exitCode(), finished.output(), finished.elapsed());
    }
}
