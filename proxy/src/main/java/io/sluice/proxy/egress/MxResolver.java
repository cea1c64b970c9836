package io.sluice.proxy.egress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.DnsConfig;
import io.sluice.config.HostPort;
import java.net.IDN;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedResolver;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.ResolverConfig;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Finds the mail exchangers of a destination domain (RFC 5321 §5.1) without blocking: MX records by preference,
 * the domain's own address when it has none, RFC 7505 null MX, and the IPv4 and IPv6 addresses of each host.
 * Every name is queried as an absolute name, so no resolver search list ever multiplies the queries (with
 * Kubernetes' {@code ndots:5}, one relative lookup of {@code gmail.com} is first tried under every search
 * domain). Answers are cached for their TTL, negative ones as RFC 2308 says; lookups of a domain already under
 * way are shared.
 */
public final class MxResolver {

    // More hosts than any sane domain publishes; bounds the address queries one lookup can cause.
    static final int MAX_HOSTS = 10;

    private final Resolver resolver;
    private final DnsConfig config;
    private final TtlCache<String, MxAnswer> cache;
    private final InFlight<String, MxAnswer> inFlight = new InFlight<>();
    private final Counter lookups;
    private final Counter cacheHits;
    private final Map<DnsFailure, Counter> failures = new EnumMap<>(DnsFailure.class);
    private final Map<Integer, Counter> queries = new ConcurrentHashMap<>();
    private final MeterRegistry registry;

    MxResolver(Resolver resolver, DnsConfig config, MeterRegistry registry, LongSupplier nanoTime) {
        this.resolver = resolver;
        this.config = config;
        this.registry = registry;
        this.cache = new TtlCache<>(config.cacheSize(), nanoTime);
        this.lookups = Counter.builder("sluice.dns.lookups").description("MX lookups of destination domains")
                .register(registry);
        this.cacheHits = Counter.builder("sluice.dns.cache.hits").description("MX lookups answered from the cache")
                .register(registry);
        for (DnsFailure failure : DnsFailure.values()) {
            failures.put(failure, Counter.builder("sluice.dns.failures").tag("kind", failure.tag())
                    .description("MX lookups that gave no usable mail exchanger, by kind").register(registry));
        }
        // Registered up front, so that the series exist (at 0) before the first query.
        for (int type : new int[] {Type.MX, Type.A, Type.AAAA}) {
            queries(type);
        }
    }

    /** A resolver asking the configured servers, or those of {@code /etc/resolv.conf} when none are. */
    public static MxResolver create(DnsConfig config, MeterRegistry registry) {
        return new MxResolver(dnsResolver(config), config, registry, System::nanoTime);
    }

    /**
     * The DNS client of the egress: the configured servers, or those of {@code /etc/resolv.conf} when none are,
     * each query retried and timed out as configured; for lookups of other records than MX.
     */
    public static Resolver dnsResolver(DnsConfig config) {
        List<InetSocketAddress> servers = new ArrayList<>();
        for (HostPort server : config.servers()) {
            servers.add(new InetSocketAddress(server.host(), server.port()));
        }
        if (servers.isEmpty()) {
            // Only the servers: the search list and ndots of resolv.conf do not apply to absolute names.
            servers.addAll(ResolverConfig.getCurrentConfig().servers());
        }
        List<Resolver> resolvers = new ArrayList<>();
        for (InetSocketAddress server : servers) {
            SimpleResolver simple = new SimpleResolver(server);
            simple.setTimeout(config.timeout());
            resolvers.add(simple);
        }
        ExtendedResolver extended = new ExtendedResolver(resolvers);
        extended.setRetries(config.attempts());
        // The whole lookup: every attempt at every server, each waiting at most the timeout.
        extended.setTimeout(config.timeout().multipliedBy((long) config.attempts() * resolvers.size()));
        return extended;
    }

    /** The domain's mail exchangers, or why there are none; never completes exceptionally. */
    public CompletableFuture<MxAnswer> resolve(String domain) {
        lookups.increment();
        String key;
        Name name;
        try {
            key = IDN.toASCII(domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            name = Name.fromString(key, Name.root);
        } catch (IllegalArgumentException | TextParseException e) {
            return CompletableFuture.completedFuture(failed(DnsFailure.NXDOMAIN, "invalid domain " + domain));
        }
        return inFlight.join(key, () -> cached(key), () -> lookup(key, name))
                .exceptionally(error -> failed(DnsFailure.SERVFAIL, error.toString()));
    }

    /** The answer the cache holds for the key, counted as a hit; or null. */
    private MxAnswer cached(String key) {
        MxAnswer cached = cache.get(key);
        if (cached != null) {
            cacheHits.increment();
        }
        return cached;
    }

    private CompletableFuture<MxAnswer> lookup(String key, Name name) {
        return query(name, Type.MX).thenCompose(response -> {
            if (response.failure() != null) {
                return done(key, failed(response.failure(), "MX " + key), response.negativeTtl());
            }
            List<MXRecord> records = new ArrayList<>();
            for (Record record : response.answers()) {
                if (record instanceof MXRecord mx) {
                    records.add(mx);
                }
            }
            if (records.isEmpty()) {
                return implicitMx(key, name, response.negativeTtl());
            }
            long ttl = records.stream().mapToLong(Record::getTTL).min().orElse(0);
            // RFC 7505 §3: a single MX of preference 0 whose exchange is the root; "." among others is ignored.
            List<MXRecord> real = records.stream().filter(mx -> !mx.getTarget().equals(Name.root)).toList();
            if (real.isEmpty()) {
                return done(key, failed(DnsFailure.NULL_MX, key), ttl);
            }
            List<MXRecord> sorted = real.stream().sorted(Comparator.comparingInt(MXRecord::getPriority))
                    .limit(MAX_HOSTS).toList();
            return hosts(key, sorted, ttl);
        });
    }

    private CompletableFuture<MxAnswer> implicitMx(String key, Name name, long negativeTtl) {
        return addresses(name).thenCompose(found -> {
            if (!found.addresses().isEmpty()) {
                MxHost self = new MxHost(key, 0, found.addresses());
                return done(key, new MxAnswer.Found(List.of(self), true, found.failure() != null), found.ttl());
            }
            if (found.failure() != null) {
                return done(key, failed(found.failure(), "address of " + key), 0);
            }
            return done(key, failed(DnsFailure.NO_MAIL_EXCHANGER, key), Math.min(negativeTtl, found.ttl()));
        });
    }

    private CompletableFuture<MxAnswer> hosts(String key, List<MXRecord> records, long mxTtl) {
        List<CompletableFuture<Addresses>> lookups = new ArrayList<>();
        for (MXRecord record : records) {
            lookups.add(addresses(record.getTarget()));
        }
        return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenCompose(ignored -> {
            List<MxHost> hosts = new ArrayList<>();
            long ttl = mxTtl;
            DnsFailure temporary = null;
            boolean incomplete = false;
            for (int i = 0; i < records.size(); i++) {
                Addresses found = lookups.get(i).join();
                incomplete |= found.failure() != null;
                if (!found.addresses().isEmpty()) {
                    MXRecord record = records.get(i);
                    hosts.add(new MxHost(record.getTarget().toString(true), record.getPriority(), found.addresses()));
                    ttl = Math.min(ttl, found.ttl());
                } else if (found.failure() != null) {
                    temporary = found.failure();
                }
            }
            if (!hosts.isEmpty()) {
                // The hosts that failed for now are left out until the answer expires, as its TTL would anyway.
                return done(key, new MxAnswer.Found(hosts, false, incomplete), temporary == null ? ttl : 0);
            }
            if (temporary != null) {
                return done(key, failed(temporary, "addresses of the MX hosts of " + key), 0);
            }
            return done(key, failed(DnsFailure.NO_ADDRESS, key), Math.min(ttl, config.negativeTtl().toSeconds()));
        });
    }

    /**
     * The A and AAAA records of a host, asked at once; an answer of either family is enough. The failure is that
     * of a family DNS could not answer for now, also beside the other family's addresses.
     */
    private CompletableFuture<Addresses> addresses(Name host) {
        CompletableFuture<Response> v4 = query(host, Type.A);
        CompletableFuture<Response> v6 = query(host, Type.AAAA);
        return v4.thenCombine(v6, (a, aaaa) -> {
            List<InetAddress> addresses = new ArrayList<>();
            long ttl = Long.MAX_VALUE;
            for (Response response : List.of(a, aaaa)) {
                for (Record record : response.answers()) {
                    if (record instanceof ARecord address) {
                        addresses.add(address.getAddress());
                        ttl = Math.min(ttl, record.getTTL());
                    } else if (record instanceof AAAARecord address) {
                        addresses.add(address.getAddress());
                        ttl = Math.min(ttl, record.getTTL());
                    }
                }
            }
            DnsFailure failure = a.failure() != null && a.failure() != DnsFailure.NXDOMAIN ? a.failure()
                    : aaaa.failure() != null && aaaa.failure() != DnsFailure.NXDOMAIN ? aaaa.failure() : null;
            if (!addresses.isEmpty()) {
                return new Addresses(addresses, ttl, failure);
            }
            return new Addresses(List.of(), Math.min(a.negativeTtl(), aaaa.negativeTtl()), failure);
        });
    }

    private Counter queries(int type) {
        return queries.computeIfAbsent(type, t -> Counter.builder("sluice.dns.queries")
                .tag("type", Type.string(t).toLowerCase(Locale.ROOT))
                .description("DNS queries sent, by record type").register(registry));
    }

    /** One query; a failure to get any answer is a {@link DnsFailure#TIMEOUT}, never an exception. */
    private CompletableFuture<Response> query(Name name, int type) {
        queries(type).increment();
        Message query = Message.newQuery(Record.newRecord(name, type, DClass.IN));
        return resolver.sendAsync(query).toCompletableFuture()
                .thenApply(this::classify)
                .exceptionally(error -> new Response(List.of(), DnsFailure.TIMEOUT, 0));
    }

    private Response classify(Message response) {
        int rcode = response.getRcode();
        if (rcode == Rcode.NOERROR) {
            List<Record> answers = response.getSection(Section.ANSWER);
            return new Response(answers, null, answers.isEmpty() ? negativeTtl(response) : 0);
        }
        if (rcode == Rcode.NXDOMAIN) {
            return new Response(List.of(), DnsFailure.NXDOMAIN, negativeTtl(response));
        }
        return new Response(List.of(), DnsFailure.SERVFAIL, 0);
    }

    // RFC 2308 §5: the lesser of the SOA's TTL and its MINIMUM field; capped by the configuration.
    private long negativeTtl(Message response) {
        long cap = config.negativeTtl().toSeconds();
        for (Record record : response.getSection(Section.AUTHORITY)) {
            if (record instanceof SOARecord soa) {
                return Math.min(cap, Math.min(soa.getTTL(), soa.getMinimum()));
            }
        }
        return cap;
    }

    private CompletableFuture<MxAnswer> done(String key, MxAnswer answer, long ttlSeconds) {
        if (!(answer instanceof MxAnswer.Failed failed) || failed.failure().definite()) {
            cache.put(key, answer, Math.min(ttlSeconds, config.maxTtl().toSeconds()));
        }
        return CompletableFuture.completedFuture(answer);
    }

    private MxAnswer failed(DnsFailure failure, String detail) {
        failures.get(failure).increment();
        return new MxAnswer.Failed(failure, detail);
    }

    /** Entries in the cache now, for tests and metrics. */
    int cached() {
        return cache.size();
    }

    private record Response(List<Record> answers, DnsFailure failure, long negativeTtl) {}

    private record Addresses(List<InetAddress> addresses, long ttl, DnsFailure failure) {}
}
