package io.sluice.proxy.egress.tls;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.ClusterSeal;
import io.sluice.policy.cluster.ClusterSeal.Kind;
import io.sluice.proxy.egress.tls.TlsReportCounts.Detail;
import io.sluice.proxy.egress.tls.TlsReportCounts.Tally;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The nodes' counts of a day merged in the cluster, with no round trip per delivery: every node puts its whole
 * count of the day so far in one entry of its own ({@code <day>/<node>}, signed with the cluster secret) every flush
 * interval and once more after the day ends. A put replaces the node's last, so a repeated or late flush never
 * counts twice, and no code of Sluice's needs to run on the members (an entry processor would, which a cluster
 * joined as a client does not have). The node that sends a domain's report claims it first with a
 * {@code putIfAbsent} on {@code <day>/<domain>}, kept three days with how the report went, so that one node sends
 * each report once, restarts included. An entry not signed with the cluster secret is counted, ignored and removed.
 */
final class ClusterTlsReports implements TlsReportStore {

    static final String COUNTS = "sluice-tls-report-counts";
    static final String CLAIMS = "sluice-tls-report-claims";
    static final long KEEP_DAYS = 3;
    // Checked before the signature, so that a forger's huge entry costs no hashing or parsing.
    static final int MAX_ENTRY_CHARS = 32 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final IMap<String, String> counts;
    private final IMap<String, String> claims;
    private final ClusterSeal seal;
    private final String nodeId;

    ClusterTlsReports(ClusterNode cluster) {
        this.counts = cluster.hazelcast().getMap(COUNTS);
        this.claims = cluster.hazelcast().getMap(CLAIMS);
        this.seal = cluster.seal();
        this.nodeId = cluster.nodeId();
    }

    @Override
    public void publish(LocalDate day, List<Tally> tallies) {
        String key = day + "/" + nodeId;
        String payload = encode(tallies);
        if (payload.length() > MAX_ENTRY_CHARS / 2) {
            // Long host names in many details: the counts by result type alone, so no reader takes it for a forgery.
            payload = encode(tallies.stream().map(Tally::withoutPlaces).toList());
        }
        counts.set(key, seal.sealed(Kind.TLS_REPORT_COUNTS, key, payload), KEEP_DAYS, TimeUnit.DAYS);
    }

    @Override
    public List<Tally> day(LocalDate day) {
        Map<String, Tally> merged = new LinkedHashMap<>();
        counts.entrySet(Predicates.like("__key", day + "/%")).forEach(entry -> {
            for (Tally tally : decode(entry.getKey(), entry.getValue())) {
                String subject = tally.domain() + " " + tally.policy();
                if (merged.containsKey(subject) || merged.size() < TlsReportCounts.MAX_DOMAINS) {
                    merged.merge(subject, tally, Tally::plus);
                }
            }
        });
        return List.copyOf(merged.values());
    }

    @Override
    public boolean claim(LocalDate day, String domain) {
        return claims.putIfAbsent(day + "/" + domain, nodeId + " claimed", KEEP_DAYS, TimeUnit.DAYS) == null;
    }

    @Override
    public void done(LocalDate day, String domain, String outcome) {
        claims.set(day + "/" + domain, nodeId + " " + outcome, KEEP_DAYS, TimeUnit.DAYS);
    }

    /** The node's tallies as this node trusts them: signed and well formed; otherwise counted and removed. */
    List<Tally> decode(String key, String value) {
        Optional<String> payload = seal.opened(value, Kind.TLS_REPORT_COUNTS, key, MAX_ENTRY_CHARS);
        if (payload.isEmpty()) {
            counts.removeAsync(key);
            return List.of();
        }
        try {
            return parse(payload.get());
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            // Signed but unreadable: a node of another version; not a forgery, not usable either.
            return List.of();
        }
    }

    static String encode(List<Tally> tallies) {
        ArrayNode array = JSON.createArrayNode();
        for (Tally tally : tallies) {
            ObjectNode node = array.addObject().put("domain", tally.domain()).put("policy", tally.policy().name())
                    .put("successes", tally.successes());
            ArrayNode failures = node.putArray("failures");
            tally.failures().forEach((detail, count) -> failures.addObject().put("type", detail.resultType())
                    .put("mx", detail.mxHost()).put("ip", detail.receivingIp()).put("source", detail.sendingIp())
                    .put("count", count));
        }
        return array.toString();
    }

    static List<Tally> parse(String payload) throws JsonProcessingException {
        List<Tally> tallies = new ArrayList<>();
        for (JsonNode node : JSON.readTree(payload)) {
            if (tallies.size() == TlsReportCounts.MAX_DOMAINS) {
                break;
            }
            Map<Detail, Long> failures = new LinkedHashMap<>();
            for (JsonNode failure : node.get("failures")) {
                if (failures.size() == TlsReportCounts.MAX_DETAILS) {
                    break;
                }
                failures.merge(new Detail(failure.get("type").asText(), failure.get("mx").asText(),
                        failure.get("ip").asText(), failure.get("source").asText()),
                        Math.max(0, failure.get("count").asLong()), Long::sum);
            }
            tallies.add(new Tally(node.get("domain").asText(), PolicyType.valueOf(node.get("policy").asText()),
                    Math.max(0, node.get("successes").asLong()), failures));
        }
        return tallies;
    }
}
