package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.ClusterConfig;
import io.sluice.config.HostPort;
import io.sluice.policy.cluster.ClusterNode;
import io.sluice.policy.cluster.ClusterSeal;
import io.sluice.proxy.egress.tls.TlsReportCounts.Detail;
import io.sluice.proxy.egress.tls.TlsReportCounts.Tally;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two members on loopback, each with its own counts of a day: either node's view of the day is both nodes' counts
 * added up, however often each shared its own; one node only gets to send each domain's report; and an entry that a
 * forger on the cluster port wrote adds nothing.
 */
@Timeout(120)
class ClusterTlsReportsTest {

    private static final LocalDate DAY = LocalDate.parse("2026-12-05");
    private static final List<ClusterNode> nodes = new ArrayList<>();

    @BeforeAll
    static void startMembers() {
        String name = "sluice-tls-reports-" + UUID.randomUUID();
        List<HostPort> addresses = List.of(new HostPort("127.0.0.1", TestPorts.freeOnLoopback()),
                new HostPort("127.0.0.1", TestPorts.freeOnLoopback()));
        nodes.addAll(addresses.stream().map(bind -> new ClusterConfig(ClusterConfig.Mode.EMBEDDED, name, bind,
                        ClusterConfig.Discovery.TCP_IP, addresses, "", ClusterConfig.OnUnavailable.LOCAL_FALLBACK,
                        Duration.ofSeconds(5), 1, Duration.ofSeconds(30), Optional.empty(),
                        Optional.of(io.sluice.testing.TestSecrets.CLUSTER), Optional.empty()))
                .map(config -> CompletableFuture.supplyAsync(() -> ClusterNode.start(config))).toList().stream()
                .map(CompletableFuture::join).toList());
        await().atMost(Duration.ofSeconds(60)).until(() -> nodes.stream().allMatch(n -> n.memberCount() == 2));
    }

    @AfterAll
    static void stopMembers() {
        nodes.parallelStream().forEach(ClusterNode::close);
    }

    private static Tally tally(String domain, long successes, String mx, long failures) {
        return new Tally(domain, PolicyType.STS, successes,
                failures == 0 ? Map.of() : Map.of(new Detail("certificate-expired", mx, "192.0.2.1", "198.51.100.1"),
                        failures));
    }

    @Test
    void eachNodeSeesTheDayOfBothAddedUpAndOneNodeSendsEachReport() {
        ClusterTlsReports first = new ClusterTlsReports(nodes.get(0));
        ClusterTlsReports second = new ClusterTlsReports(nodes.get(1));

        // The first node shares twice as its day goes on: the later count replaces the earlier, never adds to it.
        first.publish(DAY, List.of(tally("a.test", 1, "", 0)));
        first.publish(DAY, List.of(tally("a.test", 3, "mx1.a.test", 1)));
        second.publish(DAY, List.of(tally("a.test", 4, "mx2.a.test", 2), tally("b.test", 1, "", 0)));
        second.publish(DAY.minusDays(1), List.of(tally("a.test", 100, "", 0)));

        for (ClusterTlsReports node : List.of(first, second)) {
            List<Tally> day = node.day(DAY);
            assertThat(day).extracting(Tally::domain).containsExactlyInAnyOrder("a.test", "b.test");
            Tally a = day.stream().filter(tally -> tally.domain().equals("a.test")).findFirst().orElseThrow();
            assertThat(a.successes()).isEqualTo(7);
            assertThat(a.failed()).isEqualTo(3);
            assertThat(a.failures()).hasSize(2);
        }
        assertThat(first.claim(DAY, "a.test")).isTrue();
        assertThat(second.claim(DAY, "a.test")).isFalse();
        first.done(DAY, "a.test", "sent");
        assertThat(second.claim(DAY, "a.test")).isFalse();
        assertThat(second.claim(DAY, "b.test")).isTrue();
    }

    @Test
    void aForgedCountAddsNothingAndIsTakenOut() {
        ClusterTlsReports node = new ClusterTlsReports(nodes.get(0));
        LocalDate day = DAY.plusDays(10);
        node.publish(day, List.of(tally("c.test", 2, "", 0)));
        String key = day + "/forger";
        nodes.get(1).hazelcast().<String, String>getMap(ClusterTlsReports.COUNTS).put(key,
                "0".repeat(64) + " " + ClusterTlsReports.encode(List.of(tally("c.test", 1_000_000, "", 0))));
        long forged = nodes.get(0).seal().forgedCount(ClusterSeal.Kind.TLS_REPORT_COUNTS);

        List<Tally> seen = node.day(day);

        assertThat(seen).singleElement().extracting(Tally::successes).isEqualTo(2L);
        assertThat(nodes.get(0).seal().forgedCount(ClusterSeal.Kind.TLS_REPORT_COUNTS)).isEqualTo(forged + 1);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !nodes.get(1).hazelcast().getMap(ClusterTlsReports.COUNTS).containsKey(key));
    }
}
