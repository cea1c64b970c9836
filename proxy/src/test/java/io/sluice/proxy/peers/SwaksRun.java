package io.sluice.proxy.peers;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One finished run of swaks, the scriptable SMTP client: its exit code, everything it printed and how
 * long it took.
 *
 * <p>swaks marks each line it received with {@code <-} ({@code <~} over TLS) and each line it sent with
 * {@code ->} ({@code ~>}); a line it considers an error gets {@code <**} ({@code <~*}) or {@code **>}
 * ({@code *~>}). Its own remarks start with {@code ===} (progress) or {@code ***} (errors, e.g. {@code
 * *** Remote host closed connection unexpectedly.}). Exit status 0 means the transaction succeeded; 2
 * means it could not connect; 6 means the server closed the connection unexpectedly; 21, 23, 24, 25 and
 * 26 mean an error reply to the greeting, MAIL, RCPT, DATA and the final dot respectively.
 */
public record SwaksRun(int exitCode, String output, Duration elapsed) {

    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern RECEIVED =
            Pattern.compile("^(?:<- |<~ |<\\*\\*|<~\\*) (.*)$", Pattern.MULTILINE);
    private static final Pattern SENT =
            Pattern.compile("^(?: ->| ~>|\\*\\*>|\\*~>) (.*)$", Pattern.MULTILINE);

    /** Runs swaks with exactly these arguments, for at most a minute. */
    public static SwaksRun run(String... args) {
        return run(DEFAULT_TIMEOUT, args);
    }

    /** Runs swaks with exactly these arguments; fails the test if it is still running after {@code timeout}. */
    public static SwaksRun run(Duration timeout, String... args) {
        Path swaks = ExternalTool.requireTool("swaks");
        ExternalTool.Finished finished = ExternalTool.run(timeout, swaks, Arrays.asList(args));
        return new SwaksRun(finished.exitCode(), finished.output(), finished.elapsed());
    }

    /**
     * Sends one message to 127.0.0.1:{@code port} from {@code sender@example.org} to {@code
     * rcpt@example.net} with HELO {@code client.example}; {@code extraArgs} come last, so they override
     * those (for swaks the last occurrence of an option wins) or add e.g. {@code --pipeline}, {@code
     * --data}, {@code --header}, {@code --xclient-addr}.
     */
    public static SwaksRun send(int port, String... extraArgs) {
        List<String> args = new ArrayList<>(List.of(
                "--server", "127.0.0.1", "--port", Integer.toString(port),
                "--from", "sender@example.org", "--to", "rcpt@example.net", "--helo", "client.example"));
        args.addAll(Arrays.asList(extraArgs));
        return run(args.toArray(String[]::new));
    }

    /** The reply lines swaks received, in order, without its prefixes (e.g. {@code 250-PIPELINING}). */
    public List<String> replies() {
        return matches(RECEIVED);
    }

    /** The lines swaks sent, in order, without its prefixes; message data lines included. */
    public List<String> sent() {
        return matches(SENT);
    }

    private List<String> matches(Pattern pattern) {
        List<String> lines = new ArrayList<>();
        Matcher matcher = pattern.matcher(output);
        while (matcher.find()) {
            lines.add(matcher.group(1));
        }
        return lines;
    }
}
