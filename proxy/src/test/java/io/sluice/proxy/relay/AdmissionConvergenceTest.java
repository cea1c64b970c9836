package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.AdmissionConfig;
import io.sluice.config.AdmissionMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Three nodes in front of one backend of limited capacity, each with its own controller on its own measurements and
 * nothing shared between them (as TCP senders share a link), under more load than the backend takes: together they
 * converge on what it takes.
 *
 * <p>The backend serves {@value #WORKERS} final dots at once, {@value #SERVICE_MS} ms each, and queues the rest: it
 * takes {@value #WORKERS} transactions in flight, and beyond that each one more only adds to everyone's latency.
 * Vegas keeps each node's share of the backend's queue between a tenth and a fifth of its limit, so that at rest the
 * nodes' limits add up to what the backend serves plus a small queue: a sum at or above {@value #WORKERS} (below it
 * a worker idles while senders are refused) and at most twice it (the backend's latency at most doubled, the band the
 * one-node law keeps in {@code AdmissionTest}).
 */
@Timeout(90)
class AdmissionConvergenceTest {

    private static final int WORKERS = 12;
    private static final int SERVICE_MS = 80;
    private static final int MIN = 2;
    // Each node starts at 10: together 2.5 times what the backend takes.
    private static final AdmissionConfig ADAPTIVE = new AdmissionConfig(AdmissionMode.ADAPTIVE, MIN, 64, 10,
            AdmissionConfig.DEFAULT_REPLY);
    // Per node, more senders than its share of the backend: the load offered is about 3 times what is admitted.
    private static final int CLIENTS_PER_NODE = 12;
    private static final int SAMPLES = 50;

    @Test
    void threeNodesEachOnItsOwnConvergeOnWhatTheSharedBackendTakes() throws Exception {
        try (RecordingBackend backend = RecordingBackend.keepingContent().servingAtOnce(WORKERS, SERVICE_MS);
             ClusterNodes nodes = ClusterNodes.start(3, false,
                     () -> RunningSluice.relayingTo(backend.port()).admission(ADAPTIVE))) {
            List<RunningSluice> live = nodes.live();
            List<AdmissionLoad> loads = new ArrayList<>();
            try {
                for (RunningSluice node : live) {
                    loads.add(new AdmissionLoad(node.port(), CLIENTS_PER_NODE));
                }
                // From 30 in all down to the band: the limits converge.
                Awaitility.await("the sum of the limits within [" + WORKERS + ", " + 2 * WORKERS + "]")
                        .atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofMillis(50))
                        .until(() -> inBand(sum(limits(live))));

                // And stay there: sampled every 100 ms for 5 s.
                long busyBefore = backend.busyNanos();
                long start = System.nanoTime();
                List<int[]> samples = new ArrayList<>();
                Awaitility.await("the limits sampled").atMost(Duration.ofSeconds(30))
                        .pollInterval(Duration.ofMillis(100)).until(() -> {
                            samples.add(limits(live));
                            return samples.size() >= SAMPLES;
                        });
                double utilisation = (backend.busyNanos() - busyBefore)
                        / (double) (WORKERS * (System.nanoTime() - start));
                long inBand = samples.stream().filter(sample -> inBand(sum(sample))).count();
                int lowest = samples.stream().flatMapToInt(Arrays::stream).min().orElseThrow();
                String seen = samples.stream().map(sample -> sum(sample) + "=" + Arrays.toString(sample))
                        .toList().toString();

                // A stray sample outside the band is the law probing; most of the time it holds.
                assertThat(inBand).as("samples in the band: %s", seen).isGreaterThanOrEqualTo(SAMPLES * 9 / 10);
                assertThat(lowest).as("no node at its minimum while the backend is healthy: %s", seen)
                        .isGreaterThan(MIN);
                // Nothing idles the backend: what the limits admit keeps its workers busy.
                assertThat(utilisation).as("the backend's workers' busy share").isGreaterThanOrEqualTo(0.8);
                assertThat(loads).allSatisfy(load -> assertThat(load.refused.get()).as("refused").isPositive());
            } finally {
                for (AdmissionLoad load : loads) {
                    load.close();
                }
            }
            for (RunningSluice node : live) {
                Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> inflight(node) == 0);
            }
        }
    }

    private static boolean inBand(int sum) {
        return sum >= WORKERS && sum <= 2 * WORKERS;
    }

    private static int[] limits(List<RunningSluice> nodes) {
        return nodes.stream().mapToInt(node -> (int) node.server().registry().get("sluice.admission.limit")
                .tag("pool", "mta").gauge().value()).toArray();
    }

    private static int sum(int[] limits) {
        return Arrays.stream(limits).sum();
    }

    private static double inflight(RunningSluice node) {
        return node.server().registry().get("sluice.admission.inflight").tag("pool", "mta").gauge().value();
    }
}
