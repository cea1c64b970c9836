package io.sluice.proxy.egress.tls;

import com.hazelcast.map.IMap;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.ClusterSeal;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The MTA-STS policies the nodes fetched, in one cluster map with each entry living as long as its policy's
 * {@code max_age}. An entry is signed with the cluster secret: one that is not (a forger's {@code mode: none} to
 * switch enforcement off, or a policy naming its own MX hosts) is counted, never used, and taken out of the map.
 */
final class ClusterMtaStsPolicies implements MtaStsPolicies.SharedPolicies {

    static final String MAP = "sluice-mta-sts-policies";

    private final IMap<String, Object> map;
    private final ClusterSeal seal;

    ClusterMtaStsPolicies(ClusterNode cluster) {
        this.map = cluster.hazelcast().getMap(MAP);
        this.seal = cluster.seal();
    }

    @Override
    public CompletableFuture<Optional<MtaStsPolicies.Cached>> get(String domain) {
        return map.getAsync(domain).toCompletableFuture()
                .thenApply(value -> value == null ? Optional.<MtaStsPolicies.Cached>empty() : decode(domain, value))
                .exceptionally(error -> Optional.empty());
    }

    @Override
    public void put(MtaStsPolicies.Cached policy) {
        long ttl = Duration.between(Instant.now(), policy.expires()).toSeconds();
        if (ttl < 1) {
            return;
        }
        String id = policy.id();
        String fetched = Long.toString(policy.fetched().getEpochSecond());
        String expires = Long.toString(policy.expires().getEpochSecond());
        String text = policy.policy().text();
        String signature = seal.sign(Kind.MTA_STS_POLICY, policy.domain(), id, fetched, expires, text);
        map.setAsync(policy.domain(), String.join("\n", signature, id, fetched, expires, text), ttl,
                TimeUnit.SECONDS);
    }

    /** The entry as this node trusts it: signed, well formed, and a policy; otherwise counted and removed. */
    Optional<MtaStsPolicies.Cached> decode(String domain, Object value) {
        if (value instanceof String entry) {
            String[] parts = entry.split("\n", 5);
            if (parts.length == 5 && seal.verify(parts[0], Kind.MTA_STS_POLICY, domain, parts[1], parts[2], parts[3],
                    parts[4])) {
                try {
                    return Optional.of(new MtaStsPolicies.Cached(domain, parts[1], MtaStsPolicy.parse(parts[4]),
                            Instant.ofEpochSecond(Long.parseLong(parts[2])),
                            Instant.ofEpochSecond(Long.parseLong(parts[3]))));
                } catch (MtaStsPolicy.InvalidPolicyException | NumberFormatException e) {
                    // Signed but unreadable: a node of another version; not a forgery, not usable either.
                    return Optional.empty();
                }
            }
        }
        seal.forged(Kind.MTA_STS_POLICY, domain, "written to the cluster");
        map.removeAsync(domain);
        return Optional.empty();
    }
}
