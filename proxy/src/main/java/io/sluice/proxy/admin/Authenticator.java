package io.sluice.proxy.admin;

import io.sluice.config.AdminScope;
import io.sluice.config.AdminToken;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Checks {@code Authorization: Bearer <secret>} against the configured tokens (RFC 6750 §2.1) and says whose
 * token it is and what it may do. Secrets are kept only as SHA-256 digests and compared with
 * {@link MessageDigest#isEqual}, against every token without stopping at a match: the time taken says nothing about
 * how much of a secret was right, nor how long it is, nor which token matched.
 */
final class Authenticator {

    private static final String SCHEME = "Bearer ";

    private final List<Token> tokens;

    /** Whom a valid token names, and its scopes. */
    record Caller(String name, Set<AdminScope> scopes) {
    }

    private record Token(Caller caller, byte[] digest) {
    }

    Authenticator(List<AdminToken> tokens) {
        this.tokens = tokens.stream()
                .map(token -> new Token(new Caller(token.name(), token.scopes()), digest(token.secret())))
                .toList();
    }

    /** Whether any token is configured; without one only the open endpoints answer. */
    boolean hasTokens() {
        return !tokens.isEmpty();
    }

    /** The caller the header's token names, or empty when it carries none that is valid. */
    Optional<Caller> caller(Optional<String> authorization) {
        if (authorization.isEmpty()) {
            return Optional.empty();
        }
        String header = authorization.get();
        // RFC 9110 §11.1: the scheme is case-insensitive.
        if (header.length() <= SCHEME.length() || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return Optional.empty();
        }
        byte[] presented = digest(header.substring(SCHEME.length()).strip());
        Caller caller = null;
        for (Token token : tokens) {
            if (MessageDigest.isEqual(presented, token.digest()) && caller == null) {
                caller = token.caller();
            }
        }
        return Optional.ofNullable(caller);
    }

    private static byte[] digest(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
