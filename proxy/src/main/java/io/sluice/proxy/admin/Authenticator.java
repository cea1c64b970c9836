package io.sluice.proxy.admin;

import io.sluice.config.AdminToken;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Optional;

/**
 * Checks {@code Authorization: Bearer <secret>} against the configured tokens (RFC 6750 §2.1) and says whose
 * token it is. Secrets are kept only as SHA-256 digests and compared with {@link MessageDigest#isEqual}, against
 * every token without stopping at a match: the time taken says nothing about how much of a secret was right, nor
 * how long it is, nor which token matched.
 */
final class Authenticator {

    private static final String SCHEME = "Bearer ";

    private final List<Token> tokens;

    private record Token(String name, byte[] digest) {
    }

    Authenticator(List<AdminToken> tokens) {
        this.tokens = tokens.stream().map(token -> new Token(token.name(), digest(token.secret()))).toList();
    }

    /** Whether any token is configured; without one only the open endpoints answer. */
    boolean hasTokens() {
        return !tokens.isEmpty();
    }

    /** The name of the token the header carries, or empty when it carries none that is valid. */
    Optional<String> name(Optional<String> authorization) {
        if (authorization.isEmpty()) {
            return Optional.empty();
        }
        String header = authorization.get();
        // RFC 9110 §11.1: the scheme is case-insensitive.
        if (header.length() <= SCHEME.length() || !header.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return Optional.empty();
        }
        byte[] presented = digest(header.substring(SCHEME.length()).strip());
        String name = null;
        for (Token token : tokens) {
            if (MessageDigest.isEqual(presented, token.digest()) && name == null) {
                name = token.name();
            }
        }
        return Optional.ofNullable(name);
    }

    private static byte[] digest(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
