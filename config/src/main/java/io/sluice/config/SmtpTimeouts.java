package io.sluice.config;

import java.time.Duration;
import java.util.Objects;

/**
 * How long Sluice waits for its client and for the backend at each step, after RFC 5321 §4.5.3.2.
 *
 * @param command waiting for the client's next command (RFC 5321 §4.5.3.2.7, 5 minutes)
 * @param backendGreeting waiting for the backend's 220 greeting (§4.5.3.2.1, 5 minutes)
 * @param backendCommand waiting for the reply to MAIL, RCPT and other commands (§4.5.3.2.2-3, 5 minutes)
 * @param backendDataInit waiting for the 354 reply to DATA (§4.5.3.2.4, 2 minutes)
 * @param backendDataBlock waiting for the backend to take each block of message data (§4.5.3.2.5, 3 minutes)
 * @param backendDataTermination waiting for the reply to the final dot (§4.5.3.2.6, 10 minutes)
 */
public record SmtpTimeouts(Duration command, Duration backendGreeting, Duration backendCommand,
                           Duration backendDataInit, Duration backendDataBlock, Duration backendDataTermination) {

    public SmtpTimeouts {
        requirePositive(command, "command");
        requirePositive(backendGreeting, "backendGreeting");
        requirePositive(backendCommand, "backendCommand");
        requirePositive(backendDataInit, "backendDataInit");
        requirePositive(backendDataBlock, "backendDataBlock");
        requirePositive(backendDataTermination, "backendDataTermination");
    }

    static void requirePositive(Duration duration, String name) {
        Objects.requireNonNull(duration, name);
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(name + ": " + duration + " (expected: > 0)");
        }
    }
}
