package io.sluice.proxy.egress;

import io.sluice.config.EgressPoolConfig;
import io.sluice.config.EgressSelection;
import io.sluice.config.EgressSource;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The source addresses one class of outbound mail leaves from, and how a delivery's source is chosen among them.
 * A suspended source is skipped until resumed, without a restart; a source, or the whole pool, may be suspended for
 * one destination site only. Shared by every event loop.
 */
public final class EgressPool {

    private final EgressPoolConfig config;
    private final List<SourceAddress> sources;
    private final AtomicInteger next = new AtomicInteger();
    private final Set<String> suspendedSites = ConcurrentHashMap.newKeySet();

    public EgressPool(EgressPoolConfig config) {
        this.config = config;
        List<SourceAddress> list = new ArrayList<>();
        for (EgressSource source : config.sources()) {
            list.add(new SourceAddress(source));
        }
        this.sources = List.copyOf(list);
    }

    public String name() {
        return config.name();
    }

    public EgressPoolConfig config() {
        return config;
    }

    public List<SourceAddress> sources() {
        return sources;
    }

    /** Whether the address is one of this pool's sources. */
    public boolean owns(InetAddress address) {
        return sources.stream().anyMatch(source -> source.address().equals(address));
    }

    /**
     * Suspends a source: no new delivery uses it. True when that changed it; false when it was suspended already
     * or the pool has no such source.
     */
    public boolean suspend(InetAddress address) {
        return find(address).map(source -> source.suspend(true)).orElse(false);
    }

    /** Puts a suspended source back into use. True when that changed it, as for {@link #suspend}. */
    public boolean resume(InetAddress address) {
        return find(address).map(source -> source.suspend(false)).orElse(false);
    }

    /**
     * Suspends or resumes a source for one site (or, with a null address, the whole pool for it). True when that
     * changed it; false when it was so already or the pool has no such source.
     */
    public boolean suspend(InetAddress address, String site, boolean suspended) {
        if (address == null) {
            return suspended ? suspendedSites.add(site) : suspendedSites.remove(site);
        }
        return find(address).map(source -> source.suspend(site, suspended)).orElse(false);
    }

    private Optional<SourceAddress> find(InetAddress address) {
        return sources.stream().filter(source -> source.address().equals(address)).findFirst();
    }

    /**
     * The source for a delivery to the domain among those not suspended that {@code usable} accepts (those of an
     * address family the mail exchangers have); empty when there is none.
     */
    public Optional<SourceAddress> select(String domain, Predicate<SourceAddress> usable) {
        return select(domain, null, usable);
    }

    /**
     * The source for a delivery to the domain at the site among those not suspended for it that {@code usable}
     * accepts; empty when there is none, or the whole pool is suspended for the site.
     *
     * @param site the destination's site; null for a choice that ignores suspensions for sites
     */
    public Optional<SourceAddress> select(String domain, String site, Predicate<SourceAddress> usable) {
        if (site != null && !suspendedSites.isEmpty() && suspendedSites.contains(site)) {
            return Optional.empty();
        }
        List<SourceAddress> candidates = candidates(site, usable);
        if (candidates.isEmpty()) {
            return Optional.empty();
        }
        if (config.selection() == EgressSelection.ROUND_ROBIN) {
            return Optional.of(candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size())));
        }
        return Optional.of(sticky(domain, candidates));
    }

    /**
     * Whether {@link #select(String, Predicate)} would find a source, without choosing one: a round robin's turn is
     * left where it is.
     */
    public boolean hasSource(Predicate<SourceAddress> usable) {
        return !candidates(null, usable).isEmpty();
    }

    private List<SourceAddress> candidates(String site, Predicate<SourceAddress> usable) {
        List<SourceAddress> candidates = new ArrayList<>(sources.size());
        for (SourceAddress source : sources) {
            if (!(site == null ? source.suspended() : source.suspendedFor(site)) && usable.test(source)) {
                candidates.add(source);
            }
        }
        return candidates;
    }

    /**
     * Rendezvous hashing: each domain takes the source of the highest weight for it, so suspending a source moves
     * only the domains that had it, and resuming it brings just those back.
     */
    static SourceAddress sticky(String domain, List<SourceAddress> candidates) {
        long domainHash = hash(domain.getBytes(StandardCharsets.UTF_8));
        SourceAddress best = null;
        long bestWeight = 0;
        for (SourceAddress candidate : candidates) {
            long weight = mix(domainHash ^ hash(candidate.address().getAddress()));
            if (best == null || Long.compareUnsigned(weight, bestWeight) > 0) {
                best = candidate;
                bestWeight = weight;
            }
        }
        return best;
    }

    // FNV-1a over the bytes: stable across JVMs and restarts, unlike String.hashCode of a seeded map.
    private static long hash(byte[] bytes) {
        long hash = 0xcbf29ce484222325L;
        for (byte b : bytes) {
            hash ^= b & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }

    // The finaliser of SplitMix64: every input bit affects every output bit.
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
        z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
        return z ^ (z >>> 31);
    }

    @Override
    public String toString() {
        return config.name();
    }
}
