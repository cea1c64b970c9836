package io.sluice.proxy.egress;

import io.sluice.config.EgressSite;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Groups destinations into sites by their mail exchangers: the first configured site with a suffix matching one of
 * the most preferred MX hosts, or else the sorted set of the MX host names, so that every domain served by the same
 * hosts shares one site. Meters name only configured sites (the others as {@value #OTHER}), which keeps their
 * tags bounded.
 */
final class DestinationSites {

    /** The meter tag of every site not configured. */
    static final String OTHER = "other";

    private final List<EgressSite> sites;

    DestinationSites(List<EgressSite> sites) {
        this.sites = List.copyOf(sites);
    }

    /** The site of a destination with these mail exchangers. */
    String of(MxAnswer.Found mx) {
        int best = Integer.MAX_VALUE;
        for (MxHost host : mx.hosts()) {
            best = Math.min(best, host.preference());
        }
        for (EgressSite site : sites) {
            for (MxHost host : mx.hosts()) {
                if (host.preference() == best && site.matches(host.name().toLowerCase(Locale.ROOT))) {
                    return site.name();
                }
            }
        }
        TreeSet<String> names = new TreeSet<>();
        for (MxHost host : mx.hosts()) {
            names.add(host.name().toLowerCase(Locale.ROOT));
        }
        return String.join(",", names);
    }

    /** Every meter tag a site may get: the configured sites' names, and {@value #OTHER}. */
    List<String> tags() {
        List<String> tags = new ArrayList<>();
        for (EgressSite site : sites) {
            tags.add(site.name());
        }
        tags.add(OTHER);
        return tags;
    }

    /** The site's meter tag: its name if configured, {@value #OTHER} otherwise. */
    String tag(String site) {
        for (EgressSite configured : sites) {
            if (configured.name().equals(site)) {
                return site;
            }
        }
        return OTHER;
    }
}
