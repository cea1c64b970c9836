package io.sluice.loadtest.sink;

import io.sluice.loadtest.cli.DurationConverter;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.TypeConversionException;

/**
 * One fault the sink injects on demand, written {@code STAGE:ACTION[:every=N]}: at {@code STAGE} (connect, ehlo,
 * mail, rcpt, data, dot, quit) it delays the reply ({@code delay=200ms}), replaces it with a failure
 * ({@code 451}, {@code 550}, {@code 421}) or closes the connection without one ({@code disconnect}); every time,
 * or every Nth time across the sink.
 */
record Fault(Stage stage, Action action, Duration delay, int code, int every, AtomicLong seen) {

    /** Where in a session the fault strikes; {@code DOT} is the reply to the end of the message data. */
    enum Stage { CONNECT, EHLO, MAIL, RCPT, DATA, DOT, QUIT }

    enum Action { DELAY, REPLY, DISCONNECT }

    private static final Pattern SPEC = Pattern.compile(
            "([a-z]+):(?:(disconnect)|delay=(\\S+?)|([45]\\d\\d))(?::every=(\\d{1,9}))?");

    Fault {
        if (every < 1) {
            throw new IllegalArgumentException("every: " + every + " (expected: >= 1)");
        }
    }

    /** Parses the form in the class comment. */
    static Fault parse(String text) {
        Matcher m = SPEC.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw invalid(text);
        }
        Stage stage;
        try {
            stage = Stage.valueOf(m.group(1).toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw invalid(text);
        }
        int every = m.group(5) == null ? 1 : Integer.parseInt(m.group(5));
        if (every < 1) {
            throw invalid(text);
        }
        if (m.group(2) != null) {
            return new Fault(stage, Action.DISCONNECT, Duration.ZERO, 0, every, new AtomicLong());
        }
        if (m.group(3) != null) {
            Duration delay;
            try {
                delay = DurationConverter.parse(m.group(3));
            } catch (TypeConversionException e) {
                throw invalid(text);
            }
            return new Fault(stage, Action.DELAY, delay, 0, every, new AtomicLong());
        }
        return new Fault(stage, Action.REPLY, Duration.ZERO, Integer.parseInt(m.group(4)), every, new AtomicLong());
    }

    /** Counts one occurrence of the stage; true if this one is struck. */
    boolean strikes() {
        return seen.incrementAndGet() % every == 0;
    }

    /** The reply that replaces the normal one; a 421 closes the connection (RFC 5321 §3.8). */
    Reply reply() {
        String enhanced = code / 100 + ".3.0";
        return Reply.of(code, code == 421 ? Reply.Effect.CLOSE : Reply.Effect.NONE,
                enhanced + " Fault injected at " + stage.name().toLowerCase(Locale.ROOT));
    }

    @Override
    public String toString() {
        String what = switch (action) {
            case DELAY -> "delay=" + delay.toMillis() + "ms";
            case REPLY -> Integer.toString(code);
            case DISCONNECT -> "disconnect";
        };
        return stage.name().toLowerCase(Locale.ROOT) + ":" + what + (every == 1 ? "" : ":every=" + every);
    }

    private static TypeConversionException invalid(String text) {
        return new TypeConversionException("\"" + text + "\" (expected: STAGE:ACTION[:every=N] with STAGE connect,"
                + " ehlo, mail, rcpt, data, dot or quit and ACTION delay=DURATION, a 4xx/5xx code or disconnect,"
                + " e.g. dot:451, rcpt:delay=200ms, dot:disconnect:every=10)");
    }
}
