package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.loadtest.load.DeliveryResult;
import io.sluice.loadtest.load.LoadGenerator;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.NetworkMix;
import io.sluice.loadtest.load.RetrySchedule;
import io.sluice.loadtest.load.Schedule;
import io.sluice.loadtest.load.SizeDistribution;
import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Senders that keep deferred messages and retry them on a scaled schedule, against a sink that defers some. */
class RetryingSendersTest {

    private static LoadResult run(SinkServer server, String schedule, RetrySchedule retry,
            Optional<NetworkMix> networks) throws InterruptedException {
        LoadPlan plan = LoadPlan.openLoop(server.localAddress(), Schedule.parse(schedule))
                .withMessages(1, 1, SizeDistribution.fixed(300))
                .withBounds(1_000, Duration.ofSeconds(5), Duration.ofSeconds(10))
                .withSenders(Optional.of(retry), networks);
        return new LoadGenerator(plan, Optional.empty(), s -> { }).run();
    }

    private static SinkServer sink(String... faults) throws IOException {
        return SinkServer.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), TestPorts.freeOnLoopback()),
                "sink.test", 1, new FaultPlan(Arrays.stream(faults).map(Fault::parse).toList(), 0));
    }

    @Test
    void givesUpAfterTheLastRetryOnTheScaledSchedule() throws Exception {
        // 1m, 1m, 2m at 60x: retries 1 s, 2 s and 4 s after the first deferral, then the message is bounced.
        RetrySchedule retry = RetrySchedule.parse("1m,1m,2m", 60);
        LoadResult result;
        long faults;
        try (SinkServer server = sink("dot:451")) {
            result = run(server, "10/s:500ms", retry, Optional.empty());
            faults = server.stats().snapshot(0).faults();
        }
        DeliveryResult d = result.deliveries();

        assertThat(d.givenUp()).isEqualTo(5);
        assertThat(d.firstAttempt() + d.afterAnyRetry() + d.stillQueued()).isZero();
        // Every message tried once and retried three times; the sink deferred each attempt.
        assertThat(faults).isEqualTo(5 * 4);
        assertThat(result.totals().tempfailed()).isEqualTo(5 * 4);
        assertThat(result.totals().sessionsStarted()).isEqualTo(5 * 4);
        assertThat(result.totals().messagesOffered()).isEqualTo(5);
        // Giving up comes 4 schedule minutes after the first deferral, plus the attempts' own round trips
        // (well under a real second each, that is under a schedule minute).
        assertThat(d.toGiveUp().count()).isEqualTo(5);
        assertThat(d.toGiveUp().p50()).isBetween(240.0, 300.0);
        assertThat(d.toGiveUp().max()).isBetween(240.0, 300.0);
        assertThat(result.elapsed()).isGreaterThanOrEqualTo(Duration.ofSeconds(4));
        assertThat(result.cut()).isZero();
    }

    @Test
    void retriesDeliverWhatTheFirstAttemptCouldNotAndCountItPerNetwork() throws Exception {
        // Every other MAIL deferred across the sink: some messages go at once, some after one retry, some later.
        RetrySchedule retry = RetrySchedule.parse("1m,1m", 60);
        NetworkMix networks = NetworkMix.parse("heavy:1:80%,small:4:20%");
        LoadResult result;
        long received;
        Map<String, Long> byPeer;
        try (SinkServer server = sink("mail:451:every=2")) {
            result = run(server, "40/s:1s", retry, Optional.of(networks));
            received = server.stats().messages();
            byPeer = server.stats().messagesByPeer();
        }
        DeliveryResult d = result.deliveries();
        long[] after = d.afterRetries();

        assertThat(d.firstAttempt() + d.afterAnyRetry() + d.givenUp() + d.stillQueued()).isEqualTo(40);
        assertThat(d.stillQueued()).isZero();
        assertThat(d.firstAttempt()).isBetween(15L, 25L);
        assertThat(after[1]).isPositive();
        assertThat(received).isEqualTo(d.firstAttempt() + d.afterAnyRetry());
        assertThat(result.totals().admitted()).isEqualTo(received);
        // Accepted after one retry: one schedule minute (a real second) after the first deferral, plus round trips.
        assertThat(d.toAcceptance().count()).isEqualTo(d.afterAnyRetry());
        assertThat(d.toAcceptance().p50()).isBetween(60.0, 150.0);
        // The heavy network offered 80% of the sessions; everything it was told 250 for, the sink got from it.
        List<DeliveryResult.NetworkCounts> counts = d.networks();
        assertThat(counts).extracting(DeliveryResult.NetworkCounts::name)
                .containsExactly("heavy", "small-0", "small-1", "small-2", "small-3");
        assertThat(counts.get(0).offered()).isEqualTo(32);
        assertThat(counts.subList(1, 5)).allSatisfy(n -> assertThat(n.offered()).isEqualTo(2));
        assertThat(counts.stream().mapToLong(DeliveryResult.NetworkCounts::accepted).sum()).isEqualTo(received);
        long fromHeavy = byPeer.entrySet().stream().filter(e -> e.getKey().startsWith("127.16.0."))
                .mapToLong(Map.Entry::getValue).sum();
        assertThat(fromHeavy).isEqualTo(counts.get(0).accepted());
    }
}
