package io.sluice.proxy.smtp;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** SMTP command verbs the server side recognizes. */
public enum Verb {
    HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT, VRFY, EXPN, HELP, STARTTLS,
    // Recognized so they get a precise 502 rather than a syntax error.
    AUTH, BDAT, ETRN, TURN, XCLIENT,
    UNKNOWN;

    private static final Map<String, Verb> BY_NAME = Arrays.stream(values())
            .filter(verb -> verb != UNKNOWN)
            .collect(Collectors.toUnmodifiableMap(Verb::name, verb -> verb));

    static Verb of(String token) {
        return BY_NAME.getOrDefault(token.toUpperCase(Locale.ROOT), UNKNOWN);
    }
}
