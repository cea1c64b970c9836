package io.sluice.policy.override;

import java.security.SecureRandom;
import java.util.HexFormat;

/** Ids for overrides: short enough to type in a {@code DELETE}, random enough never to meet twice in a cluster. */
final class OverrideIds {

    private static final SecureRandom RANDOM = new SecureRandom();

    private OverrideIds() {
    }

    /** Twelve hex digits: 48 random bits. */
    static String next() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
