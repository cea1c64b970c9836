package io.sluice.proxy.egress.tls;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.MtaStsConfig;
import io.sluice.proxy.egress.InFlight;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The MTA-STS policies of destination domains as RFC 8461 §5.1 says to keep them: a policy is fetched when the
 * domain's TXT record names an id the cache does not hold, kept for its {@code max_age}, and used while it is valid
 * even when the TXT record or the policy host fails later; the TXT record is looked up again every check interval,
 * and a policy that expires within one is fetched again before it does. Fetched policies are shared through the
 * cluster, so a node takes a policy another fetched instead of fetching it again. Lookups of one domain at once on
 * this node are one lookup.
 */
public final class MtaStsPolicies {

    private static final Logger log = LoggerFactory.getLogger(MtaStsPolicies.class);
    // How long a failed fetch is remembered before the next message tries again.
    static final Duration FAILURE_HOLD = Duration.ofMinutes(5);

    /**
     * A fetched policy.
     *
     * @param id the id of the TXT record it was fetched for
     * @param fetched when a node fetched it
     * @param expires when its {@code max_age} runs out
     */
    public record Cached(String domain, String id, MtaStsPolicy policy, Instant fetched, Instant expires) {
        public Cached {
            Objects.requireNonNull(domain, "domain");
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(policy, "policy");
        }

        boolean validAt(Instant now) {
            return now.isBefore(expires);
        }
    }

    /** Where the policy in force came from. */
    public enum Origin {
        /** This node's cache. */
        CACHE,
        /** Another node's fetch, through the cluster. */
        CLUSTER,
        /** Fetched for this lookup. */
        FETCH,
        /** No policy is in force. */
        NONE
    }

    /**
     * What a lookup found.
     *
     * @param policy the policy in force, if any
     * @param failure why the last attempt to learn the policy failed, if it did (a valid cached policy may still be
     *     in force)
     * @param detail the failure in words, for logs and the admin API
     */
    public record Lookup(Optional<Cached> policy, Origin origin, Optional<TlsResult> failure, String detail) {
        static final Lookup NONE = new Lookup(Optional.empty(), Origin.NONE, Optional.empty(), "");

        Lookup from(Origin where) {
            return new Lookup(policy, policy.isPresent() ? where : Origin.NONE, failure, detail);
        }
    }

    /** Where the nodes of a cluster share the policies they fetched. */
    interface SharedPolicies {
        /** The domain's policy another node fetched, if any; never completes exceptionally. */
        CompletableFuture<Optional<Cached>> get(String domain);

        /** Offers a fetched policy to the other nodes. */
        void put(Cached policy);

        /** Nothing shared: a node on its own. */
        SharedPolicies NONE = new SharedPolicies() {
            @Override
            public CompletableFuture<Optional<Cached>> get(String domain) {
                return CompletableFuture.completedFuture(Optional.empty());
            }

            @Override
            public void put(Cached policy) {
            }
        };
    }

    // What this node knows of a domain: the policy (or null) and when its TXT record was last looked at.
    private record Known(Lookup lookup, Instant checked) {}

    private final MtaStsFetcher fetcher;
    private final SharedPolicies shared;
    private final Duration checkInterval;
    private final Clock clock;
    private final Map<String, Known> known;
    private final InFlight<String, Lookup> inFlight = new InFlight<>();

    MtaStsPolicies(MtaStsFetcher fetcher, SharedPolicies shared, MtaStsConfig config, Clock clock) {
        this.fetcher = fetcher;
        this.shared = shared;
        this.checkInterval = config.checkInterval();
        this.clock = clock;
        int bound = config.cacheSize();
        // Least recently used first out: the bound holds whatever the destinations are.
        this.known = java.util.Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Known> eldest) {
                return size() > bound;
            }
        });
    }

    /** The policy in force for the domain (lower case, ASCII); never completes exceptionally. */
    public CompletableFuture<Lookup> lookup(String domain) {
        // Whatever went wrong, the lookup completes: a session waits on it.
        return inFlight.join(domain, () -> fresh(domain), () -> refresh(domain, known.get(domain)))
                .exceptionally(error -> new Lookup(Optional.empty(), Origin.NONE,
                        Optional.of(TlsResult.STS_POLICY_FETCH_ERROR), String.valueOf(error)));
    }

    /** The policy this node holds for the domain while it is not due for a refresh; or null. */
    private Lookup fresh(String domain) {
        Known entry = known.get(domain);
        return entry != null && !due(entry, clock.instant()) ? entry.lookup().from(Origin.CACHE) : null;
    }

    /** What this node holds for the domain now, without any lookup; empty when it holds nothing. */
    public Optional<Lookup> cached(String domain) {
        return Optional.ofNullable(known.get(domain)).map(entry -> entry.lookup().from(Origin.CACHE));
    }

    // The TXT record is looked at again every check interval, and before the policy runs out.
    private boolean due(Known entry, Instant now) {
        if (!now.isBefore(entry.checked().plus(checkInterval))) {
            return true;
        }
        return entry.lookup().policy().map(policy -> !now.isBefore(policy.expires().minus(checkInterval)))
                .orElse(false);
    }

    private CompletableFuture<Lookup> refresh(String domain, Known entry) {
        if (entry != null) {
            return check(domain, valid(entry.lookup().policy()));
        }
        // New to this node: another node may have fetched it already.
        return shared.get(domain).thenCompose(fromCluster -> {
            Optional<Cached> policy = valid(fromCluster);
            if (policy.isPresent() && clock.instant().isBefore(policy.get().expires().minus(checkInterval))) {
                Lookup lookup = new Lookup(policy, Origin.CLUSTER, Optional.empty(), "");
                known.put(domain, new Known(lookup, clock.instant()));
                return CompletableFuture.completedFuture(lookup);
            }
            return check(domain, policy);
        });
    }

    private Optional<Cached> valid(Optional<Cached> policy) {
        Instant now = clock.instant();
        return policy.filter(cached -> cached.validAt(now));
    }

    /** The TXT record decides: the same id keeps the policy held, another fetches it (RFC 8461 §5.1). */
    private CompletableFuture<Lookup> check(String domain, Optional<Cached> held) {
        return fetcher.txt(domain).thenCompose(txt -> {
            Instant now = clock.instant();
            if (txt.id() == null) {
                // No record (or none usable), or DNS failing for now: a policy still valid stays in force.
                Lookup lookup = held.map(policy -> new Lookup(Optional.of(policy), Origin.CACHE, Optional.empty(),
                        "")).orElse(Lookup.NONE);
                return done(domain, lookup, now);
            }
            if (held.isPresent() && held.get().id().equals(txt.id())
                    && now.isBefore(held.get().expires().minus(checkInterval))) {
                return done(domain, new Lookup(held, Origin.CACHE, Optional.empty(), ""), now);
            }
            return fetcher.fetch(domain).handle((body, error) -> fetched(domain, txt.id(), body, error, held))
                    .thenCompose(lookup -> done(domain, lookup, clock.instant()));
        });
    }

    private Lookup fetched(String domain, String id, String body, Throwable error, Optional<Cached> held) {
        TlsResult failure;
        String detail;
        if (error == null) {
            try {
                MtaStsPolicy policy = MtaStsPolicy.parse(body);
                Instant now = clock.instant();
                Cached cached = new Cached(domain, id, policy, now, now.plus(policy.maxAge()));
                shared.put(cached);
                log.info("mta-sts policy fetched", kv("destination_domain", domain), kv("id", id),
                        kv("mode", policy.mode().text()), kv("max_age", policy.maxAge().toSeconds()));
                return new Lookup(Optional.of(cached), Origin.FETCH, Optional.empty(), "");
            } catch (MtaStsPolicy.InvalidPolicyException e) {
                failure = TlsResult.STS_POLICY_INVALID;
                detail = "mta-sts." + domain + " served an invalid policy: " + e.getMessage();
            }
        } else {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            failure = cause instanceof MtaStsFetcher.FetchException fetch ? fetch.result()
                    : TlsResult.STS_POLICY_FETCH_ERROR;
            detail = cause.getMessage();
        }
        // RFC 8461 §5.1: a failed refresh leaves a valid policy in force; without one there is no policy.
        log.info("mta-sts policy not fetched", kv("destination_domain", domain), kv("id", id),
                kv("result", failure.tag()), kv("detail", detail), kv("cached_policy_kept", held.isPresent()));
        return new Lookup(held, held.isPresent() ? Origin.CACHE : Origin.NONE, Optional.of(failure), detail);
    }

    private CompletableFuture<Lookup> done(String domain, Lookup lookup, Instant checked) {
        if (lookup.failure().isPresent() && checkInterval.compareTo(FAILURE_HOLD) > 0) {
            // A failure is tried again sooner than a success is checked, but not at every message.
            checked = checked.minus(checkInterval).plus(FAILURE_HOLD);
        }
        known.put(domain, new Known(lookup, checked));
        return CompletableFuture.completedFuture(lookup);
    }
}
