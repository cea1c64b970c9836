package io.sluice.proxy.egress.tls;

import io.sluice.proxy.egress.InFlight;
import io.sluice.proxy.egress.TtlCache;
import io.sluice.proxy.egress.tls.DaneVerdict.Reason;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.MXRecord;
import org.xbill.DNS.Master;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.dnssec.ValidatingResolver;

/**
 * DNSSEC-validated lookups for DANE (RFC 7672 §2.2): the security of a destination's MX RRset, and for each of its
 * MX hosts the TLSA RRset at {@code _25._tcp.<host>}, validated by dnsjava's {@link ValidatingResolver} from a trust
 * anchor (the root KSKs shipped with Sluice, or a file). The validator marks a secure answer with AD, a bogus one
 * with SERVFAIL and its reason; an answer with neither is insecure. Never blocks; never completes exceptionally.
 */
public final class DaneResolver {

    /** The root zone's key-signing keys as IANA publishes them (KSK-2017 and KSK-2024), the default trust anchor. */
    public static final String ROOT_ANCHORS = "root-anchors.txt";

    private static final int DEFAULT_CACHE_SIZE = 10_000;
    private static final Duration DEFAULT_MAX_TTL = Duration.ofHours(1);
    // Bounds one cached answer's records: a zone's huge RRset must not take the cache's memory (10,000 entries).
    private static final int MAX_CACHED_BYTES = 4096;

    private final Resolver validating;
    private final String anchorZone;
    /** Secure and insecure answers by name and type, for their TTL: a delivery need not validate them again. */
    private final TtlCache<String, Answer> answers;
    private final InFlight<String, Answer> inFlight = new InFlight<>();
    private final Duration maxTtl;

    private DaneResolver(Resolver validating, String anchorZone, int cacheSize, Duration maxTtl,
                         LongSupplier nanoTime) {
        this.validating = validating;
        this.anchorZone = anchorZone;
        this.answers = new TtlCache<>(cacheSize, nanoTime);
        this.maxTtl = maxTtl;
    }

    /**
     * A resolver asking {@code upstream} and validating from the trust anchors of {@code anchorFile}, or of the root
     * when it is null.
     *
     * @param upstream a resolver that passes DNSSEC records on (it gets the DO bit from the validator)
     */
    public static DaneResolver create(Resolver upstream, Path anchorFile, Clock clock) {
        return create(upstream, anchorFile, clock, DEFAULT_CACHE_SIZE, DEFAULT_MAX_TTL, System::nanoTime);
    }

    /**
     * The same, keeping up to {@code cacheSize} validated answers each for its TTL, at most {@code maxTtl}.
     *
     * @param nanoTime the clock of the cache's expiries
     */
    public static DaneResolver create(Resolver upstream, Path anchorFile, Clock clock, int cacheSize,
                                      Duration maxTtl, LongSupplier nanoTime) {
        ValidatingResolver validating = new ValidatingResolver(upstream, clock);
        try (InputStream anchors = anchorFile != null ? Files.newInputStream(anchorFile)
                : DaneResolver.class.getResourceAsStream(ROOT_ANCHORS)) {
            if (anchors == null) {
                throw new IllegalStateException(ROOT_ANCHORS + " is missing from the build");
            }
            validating.loadTrustAnchors(anchors);
        } catch (IOException e) {
            throw new UncheckedIOException("trust anchors of " + (anchorFile != null ? anchorFile : ROOT_ANCHORS), e);
        }
        return new DaneResolver(validating, anchorFile != null ? firstZone(anchorFile) : ".", cacheSize, maxTtl,
                nanoTime);
    }

    /** The owner of the file's first anchor, the zone whose DNSKEY RRset shows that validation works. */
    private static String firstZone(Path anchorFile) {
        try (Master master = new Master(anchorFile.toString(), Name.root)) {
            Record first = master.nextRecord();
            return first != null ? first.getName().toString() : ".";
        } catch (IOException e) {
            throw new UncheckedIOException("trust anchors of " + anchorFile, e);
        }
    }

    /**
     * What DANE says of each host of the domain, by host name in the order given: nothing applies when the MX RRset
     * is insecure (RFC 7672 §2.2.1), no host may be used when it is bogus, else a host the validated RRset does not
     * name is refused as bogus and each other host's TLSA RRset decides.
     *
     * @param hosts the MX host names from an unvalidated lookup (for an implicit MX, the domain itself)
     */
    public CompletableFuture<Map<String, DaneVerdict>> assess(String domain, List<String> hosts) {
        return cachedQuery(domain, Type.MX).thenCompose(mx -> {
            DaneVerdict common = switch (mx.status()) {
                case SECURE -> null;
                case INSECURE -> new DaneVerdict.NotApplicable(Reason.INSECURE_MX);
                case BOGUS -> new DaneVerdict.Refused(Reason.BOGUS, "MX " + domain + ": " + mx.detail());
                case FAILED -> new DaneVerdict.Refused(Reason.LOOKUP_FAILED, "MX " + domain + ": " + mx.detail());
            };
            if (common != null) {
                Map<String, DaneVerdict> verdicts = new LinkedHashMap<>();
                hosts.forEach(host -> verdicts.put(host, common));
                return CompletableFuture.completedFuture(verdicts);
            }
            Set<Name> validated = validatedTargets(domain, mx.message());
            Map<String, CompletableFuture<DaneVerdict>> lookups = new LinkedHashMap<>();
            for (String host : hosts) {
                // Only the signed RRset may name the hosts (RFC 7672 §2.2.1): a forged plain answer must not name
                // a host in an unsigned zone and so turn DANE into opportunistic TLS.
                lookups.put(host, validated.contains(absolute(host)) ? tlsa(host)
                        : CompletableFuture.completedFuture(new DaneVerdict.Refused(Reason.BOGUS,
                                host + " is not in the validated MX RRset of " + domain)));
            }
            return CompletableFuture.allOf(lookups.values().toArray(CompletableFuture[]::new)).thenApply(ignored -> {
                Map<String, DaneVerdict> verdicts = new LinkedHashMap<>();
                lookups.forEach((host, lookup) -> verdicts.put(host, lookup.join()));
                return verdicts;
            });
        });
    }

    /**
     * The MX targets of a secure answer; for a secure NODATA (an implicit MX, RFC 5321 §5.1) the domain itself.
     * {@link Name}s compare case-insensitively.
     */
    private static Set<Name> validatedTargets(String domain, Message answer) {
        Set<Name> targets = new HashSet<>();
        for (Record record : answer.getSection(Section.ANSWER)) {
            if (record instanceof MXRecord mx) {
                targets.add(mx.getTarget());
            }
        }
        if (targets.isEmpty()) {
            Name self = absolute(domain);
            if (self != null) {
                targets.add(self);
            }
        }
        return targets;
    }

    /** The host name as an absolute {@link Name}, or null when it is no valid name. */
    private static Name absolute(String host) {
        try {
            return Name.fromString(host, Name.root);
        } catch (TextParseException e) {
            return null;
        }
    }

    /**
     * Whether the trust anchor's own DNSKEY RRset (the root's, or the first zone of the anchor file) comes back
     * secure: the resolvers pass DNSSEC records on. False on any other answer or none.
     */
    public CompletableFuture<Boolean> validatesAnchor() {
        return query(anchorZone, Type.DNSKEY).thenApply(answer -> answer.status() == Status.SECURE);
    }

    /** What the TLSA RRset of the host's SMTP port says. */
    public CompletableFuture<DaneVerdict> tlsa(String host) {
        String owner = "_25._tcp." + host;
        return cachedQuery(owner, Type.TLSA).thenApply(answer -> switch (answer.status()) {
            case INSECURE -> new DaneVerdict.NotApplicable(Reason.INSECURE_TLSA);
            case BOGUS -> new DaneVerdict.Refused(Reason.BOGUS, "TLSA " + owner + ": " + answer.detail());
            case FAILED -> new DaneVerdict.Refused(Reason.LOOKUP_FAILED, "TLSA " + owner + ": " + answer.detail());
            case SECURE -> {
                List<TLSARecord> all = new ArrayList<>();
                for (Record record : answer.message().getSection(Section.ANSWER)) {
                    if (record instanceof TLSARecord tlsa) {
                        all.add(tlsa);
                    }
                }
                // A secure NXDOMAIN or NODATA is the authenticated denial of RFC 7672 §2.2.
                yield all.isEmpty() ? new DaneVerdict.NotApplicable(Reason.NO_RECORDS)
                        : new DaneVerdict.Applies(host, all.stream().filter(TlsaMatcher::usable).toList());
            }
        });
    }

    private enum Status { SECURE, INSECURE, BOGUS, FAILED }

    private record Answer(Status status, Message message, String detail) {}

    /**
     * The answer from the cache, or asked (once for all who ask while it is under way) and then kept for the least TTL
     * of its records (a negative answer's SOA minimum included) when it is secure or insecure; a bogus answer or a
     * failure is asked again next time.
     */
    private CompletableFuture<Answer> cachedQuery(String name, int type) {
        String key = name.toLowerCase(Locale.ROOT) + " " + Type.string(type);
        return inFlight.join(key, () -> answers.get(key), () -> query(name, type).thenApply(answer -> {
            if (answer.status() == Status.SECURE || answer.status() == Status.INSECURE) {
                Message kept = recordsOf(answer.message(), type);
                if (kept != null) {
                    answers.put(key, new Answer(answer.status(), kept, answer.detail()),
                            Math.min(leastTtl(answer.message()), maxTtl.toSeconds()));
                }
            }
            return answer;
        }));
    }

    /**
     * The answer's records of the type asked, all that is read from a cached answer, so that an entry holds no
     * signatures or other sections; null when they are over {@link #MAX_CACHED_BYTES} (asked again next time).
     */
    private static Message recordsOf(Message message, int type) {
        Message kept = new Message();
        int bytes = 0;
        for (Record record : message.getSection(Section.ANSWER)) {
            if (record.getType() == type) {
                bytes += record.toWire(Section.ANSWER).length;
                if (bytes > MAX_CACHED_BYTES) {
                    return null;
                }
                kept.addRecord(record, Section.ANSWER);
            }
        }
        return kept;
    }

    /** The least TTL of the answer's records and, for a negative answer, of its SOA's minimum; 0 with no record. */
    private static long leastTtl(Message message) {
        long least = Long.MAX_VALUE;
        for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
            for (Record record : message.getSection(section)) {
                least = Math.min(least, record.getTTL());
                if (record instanceof SOARecord soa) {
                    least = Math.min(least, soa.getMinimum());
                }
            }
        }
        return least == Long.MAX_VALUE ? 0 : least;
    }

    private CompletableFuture<Answer> query(String name, int type) {
        Message query;
        try {
            query = Message.newQuery(Record.newRecord(Name.fromString(name, Name.root), type, DClass.IN));
        } catch (TextParseException e) {
            return CompletableFuture.completedFuture(new Answer(Status.FAILED, null, "invalid name " + name));
        }
        return validating.sendAsync(query).toCompletableFuture()
                .thenApply(DaneResolver::classify)
                .exceptionally(error -> new Answer(Status.FAILED, null, "no answer: " + error.getMessage()));
    }

    private static Answer classify(Message response) {
        int rcode = response.getRcode();
        String reason = reason(response);
        if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
            // The validator answers SERVFAIL with its reason for a bogus answer; without one it is the server's own.
            return new Answer(reason != null ? Status.BOGUS : Status.FAILED, response,
                    reason != null ? reason : Rcode.string(rcode));
        }
        return new Answer(response.getHeader().getFlag(Flags.AD) ? Status.SECURE : Status.INSECURE, response, reason);
    }

    /** The validator's reason, which it adds as a TXT record of its private class. */
    private static String reason(Message response) {
        for (Record record : response.getSection(Section.ADDITIONAL)) {
            if (record instanceof TXTRecord txt && record.getDClass() == ValidatingResolver.VALIDATION_REASON_QCLASS) {
                return String.join("", txt.getStrings());
            }
        }
        return null;
    }
}
