package io.sluice.config;

import java.util.Objects;

/**
 * A bearer token of the admin API.
 *
 * @param name who presents it, as the audit log names them
 * @param secret what they present after {@code Authorization: Bearer}; never logged or printed
 */
public record AdminToken(String name, String secret) {

    public AdminToken {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(secret, "secret");
        if (!AdminTokens.isName(name)) {
            throw new IllegalArgumentException("name: " + Conversion.quote(name) + " (expected: " + AdminTokens.NAME
                    + ")");
        }
        if (!AdminTokens.isSecret(secret)) {
            throw new IllegalArgumentException("secret: (expected: " + AdminTokens.SECRET + ")");
        }
    }

    /** The name only: a token printed by mistake (a log line, an assertion message) must not give its secret away. */
    @Override
    public String toString() {
        return name + ":<secret>";
    }
}
