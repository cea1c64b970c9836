package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.regex.Pattern;

/**
 * What Sluice does when a remote mail exchanger answers an outbound delivery in a certain way: a reply of the code,
 * enhanced code and text given (each optional, at least one) takes the action for the duration, at the site the
 * reply came from. Only failure replies (4xx, 5xx) are looked at.
 *
 * @param name the rule's name in actions, logs and meters
 * @param code the reply's code, such as 421; empty for any
 * @param enhancedCode the reply's enhanced status code (RFC 3463), such as 4.7.28; null for any
 * @param text a regular expression found somewhere in the reply's text (its lines joined by a space, up to
 *     {@link #MAX_TEXT} characters); null for any
 * @param action what is done
 * @param factor for {@link FeedbackAction#SCALE}: what the source-site rules' rates, bursts and maxima are multiplied
 *     by, above 0 and below 1; 1 for the other actions
 * @param duration how long the action holds before it ends by itself
 */
public record FeedbackRule(String name, OptionalInt code, String enhancedCode, Pattern text, FeedbackAction action,
                           double factor, Duration duration) {

    /** How much of a reply's text the expressions see: a hostile receiver's 200 kB reply costs no more than this. */
    public static final int MAX_TEXT = 4096;

    /** What a rule does. */
    public enum FeedbackAction {
        /** The source the reply came to stops sending to the site. */
        SUSPEND_SOURCE,
        /** Every source of the pool stops sending to the site. */
        SUSPEND_POOL,
        /** The rules counting on the source's site (key source-site) are scaled by the factor. */
        SCALE
    }

    public FeedbackRule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(action, "action");
        SmtpTimeouts.requirePositive(duration, "duration");
        if (code.isEmpty() && enhancedCode == null && text == null) {
            throw new IllegalArgumentException("feedback " + name + ": no code, enhanced code or text (expected: "
                    + "at least one)");
        }
        if (action == FeedbackAction.SCALE ? !(factor > 0 && factor < 1) : factor != 1) {
            throw new IllegalArgumentException("feedback " + name + ": factor: " + factor + " (expected: "
                    + (action == FeedbackAction.SCALE ? "above 0 and below 1)" : "1 for a suspension)"));
        }
    }

    /**
     * Whether a reply matches.
     *
     * @param replyEnhanced the reply's enhanced code, or null when it has none
     * @param replyText the reply's text, at most {@link #MAX_TEXT} characters
     */
    public boolean matches(int replyCode, String replyEnhanced, CharSequence replyText) {
        return (code.isEmpty() || code.getAsInt() == replyCode)
                && (enhancedCode == null || enhancedCode.equals(replyEnhanced))
                && (text == null || text.matcher(replyText).find());
    }

    /**
     * The examples shipped for the big receivers' documented deferrals, in force where an {@code egress} section
     * leaves {@code feedback} out; tune them (or turn them off with {@code feedback: []}).
     */
    public static final List<FeedbackRule> DEFAULTS = List.of(
            // Yahoo: "421 4.7.0 [TSS04] Messages from x temporarily deferred due to unexpected volume or complaints".
            suspend("yahoo-tss04", 421, null, "\\[TSS04\\]", Duration.ofMinutes(30)),
            // Yahoo: "[TSS09] All messages from x will be permanently deferred; retrying will NOT succeed".
            suspend("yahoo-tss09", 0, null, "\\[TSS09\\]", Duration.ofHours(1)),
            // Gmail: "421 4.7.28 ... unusual rate of unsolicited mail originating from your IP address".
            scale("gmail-4-7-28", 0, "4.7.28", null, 0.5, Duration.ofMinutes(30)),
            // Gmail: "421 4.7.0 ... detected an unusual rate of unsolicited mail".
            scale("gmail-unusual-rate", 0, "4.7.0", "(?i)unusual rate", 0.5, Duration.ofMinutes(30)),
            // Microsoft: "451 4.7.650 The mail server [x] has been temporarily rate limited due to IP reputation".
            suspend("microsoft-4-7-650", 0, "4.7.650", null, Duration.ofMinutes(30)),
            // Microsoft: "451 4.7.651 The mail server [x] has been temporarily rate limited due to IP reputation".
            suspend("microsoft-4-7-651", 0, "4.7.651", null, Duration.ofMinutes(30)),
            // Many receivers: "421 4.7.0 Too many connections from your IP" and the like.
            scale("too-many-connections", 0, null, "(?i)too many (concurrent |simultaneous )?connections", 0.5,
                    Duration.ofMinutes(10)));

    private static FeedbackRule suspend(String name, int code, String enhanced, String text, Duration duration) {
        return of(name, code, enhanced, text, FeedbackAction.SUSPEND_SOURCE, 1, duration);
    }

    private static FeedbackRule scale(String name, int code, String enhanced, String text, double factor,
                                      Duration duration) {
        return of(name, code, enhanced, text, FeedbackAction.SCALE, factor, duration);
    }

    private static FeedbackRule of(String name, int code, String enhanced, String text, FeedbackAction action,
                                   double factor, Duration duration) {
        return new FeedbackRule(name, code == 0 ? OptionalInt.empty() : OptionalInt.of(code), enhanced,
                text == null ? null : Pattern.compile(text), action, factor, duration);
    }
}
