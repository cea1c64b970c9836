package io.sluice.policy.suspension;

import java.util.Objects;
import java.util.Optional;

/**
 * A source of an egress pool taken out of use, for every destination or for one destination site: the pool's name,
 * the source's address in canonical text (as the proxy writes it, so that every node names a source alike) or
 * {@link #EVERY_SOURCE}, and the site's name or {@link #EVERY_SITE}.
 */
public record SuspendedSource(String pool, String source, String site) {

    /** The source of a suspension of the whole pool (for a site). */
    public static final String EVERY_SOURCE = "";
    /** The site of a suspension for every destination. */
    public static final String EVERY_SITE = "";
    private static final char BAR = '|';

    public SuspendedSource {
        Objects.requireNonNull(pool, "pool");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(site, "site");
        if (source.equals(EVERY_SOURCE) && site.equals(EVERY_SITE)) {
            // A whole pool for every destination is no egress at all: that is a configuration change.
            throw new IllegalArgumentException("a suspension of pool " + pool + " needs a site");
        }
    }

    /** A source suspended for every destination. */
    public SuspendedSource(String pool, String source) {
        this(pool, source, EVERY_SITE);
    }

    /**
     * The text that names it in a store: {@code pool|source}, or {@code pool|source|site} for one site (pool names
     * and addresses have no bar).
     */
    public String key() {
        return site.equals(EVERY_SITE) ? pool + BAR + source : pool + BAR + source + BAR + site;
    }

    /** The suspension a key names; empty for a key no node wrote. */
    public static Optional<SuspendedSource> fromKey(String key) {
        int first = key.indexOf(BAR);
        if (first < 0) {
            return Optional.empty();
        }
        int second = key.indexOf(BAR, first + 1);
        String pool = key.substring(0, first);
        String source = second < 0 ? key.substring(first + 1) : key.substring(first + 1, second);
        String site = second < 0 ? EVERY_SITE : key.substring(second + 1);
        if (source.equals(EVERY_SOURCE) && site.equals(EVERY_SITE)) {
            return Optional.empty();
        }
        return Optional.of(new SuspendedSource(pool, source, site));
    }
}
