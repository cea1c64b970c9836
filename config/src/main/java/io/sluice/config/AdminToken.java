package io.sluice.config;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A bearer token of the admin API.
 *
 * @param name who presents it, as the audit log names them
 * @param secret what they present after {@code Authorization: Bearer}; never logged or printed
 * @param scopes what it may do; at least one
 */
public record AdminToken(String name, String secret, Set<AdminScope> scopes) {

    public AdminToken {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(scopes, "scopes");
        if (!AdminTokens.isName(name)) {
            throw new IllegalArgumentException("name: " + Conversion.quote(name) + " (expected: " + AdminTokens.NAME
                    + ")");
        }
        if (!AdminTokens.isSecret(secret)) {
            throw new IllegalArgumentException("secret: (expected: " + AdminTokens.SECRET + ")");
        }
        if (scopes.isEmpty()) {
            throw new IllegalArgumentException("scopes: [] (expected: one or more of " + AdminScope.NAMES + ")");
        }
        scopes = Set.copyOf(EnumSet.copyOf(scopes));
    }

    /** A token with every scope, as a {@code name:secret} line gives. */
    public AdminToken(String name, String secret) {
        this(name, secret, AdminScope.ALL);
    }

    /** The name only: a token printed by mistake (a log line, an assertion message) must not give its secret away. */
    @Override
    public String toString() {
        return name + ":<secret>";
    }
}
