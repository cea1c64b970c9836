package io.sluice.policy.suspension;

import java.util.Optional;

/**
 * A source of an egress pool taken out of use: the pool's name and the source's address in canonical text (as the
 * proxy writes it, so that every node names a source alike).
 */
public record SuspendedSource(String pool, String source) {

    private static final char BAR = '|';

    /** The text that names it in a store: {@code pool|source}. */
    public String key() {
        return pool + BAR + source;
    }

    /** The source a key names; empty for a key no node wrote. */
    public static Optional<SuspendedSource> fromKey(String key) {
        int bar = key.lastIndexOf(BAR);
        return bar < 0 ? Optional.empty() : Optional.of(new SuspendedSource(key.substring(0, bar), key.substring(bar + 1)));
    }
}
