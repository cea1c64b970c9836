package io.sluice.config;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * The secret every node of a cluster shares, which signs the control data they exchange through Hazelcast
 * (policy, overrides, suspensions, node cards): Hazelcast's Community Edition lets anyone who reaches the member
 * port join, so what a node applies must prove it was written by a holder of this secret. Never printed.
 */
public final class ClusterSecret {

    /** 32 characters: {@code openssl rand -hex 16} prints that many; a shorter one is too easy to guess. */
    public static final int MIN_LENGTH = 32;
    static final String EXPECTED = "at least " + MIN_LENGTH + " characters, such as `openssl rand -hex 32` prints";

    private final byte[] key;

    private ClusterSecret(byte[] key) {
        this.key = key;
    }

    /**
     * The secret from its text; surrounding white space (a file's last newline) is not part of it.
     *
     * @throws IllegalArgumentException when it is shorter than {@link #MIN_LENGTH} characters
     */
    public static ClusterSecret of(String text) {
        Objects.requireNonNull(text, "text");
        String secret = text.strip();
        if (secret.length() < MIN_LENGTH) {
            throw new IllegalArgumentException(secret.length() + " characters (expected: " + EXPECTED + ")");
        }
        return new ClusterSecret(secret.getBytes(StandardCharsets.UTF_8));
    }

    /** The key bytes, a copy: for an HMAC. */
    public byte[] key() {
        return key.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof ClusterSecret secret && MessageDigest.isEqual(key, secret.key);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(key);
    }

    /** Says that there is one, never what it is. */
    @Override
    public String toString() {
        return "ClusterSecret[<secret>]";
    }
}
