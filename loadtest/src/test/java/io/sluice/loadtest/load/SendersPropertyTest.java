package io.sluice.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/** The retry schedule's and the network mix's parsing and arithmetic. */
class SendersPropertyTest {

    @Property
    void retryWaitsPrintAsTheyParseAndScaleDown(
            @ForAll @Size(min = 1, max = 32) List<@IntRange(min = 1, max = 10_000) Integer> waitSeconds,
            @ForAll @IntRange(min = 1, max = 3_600) int scale) {
        String text = String.join(",", waitSeconds.stream().map(s -> s + "s").toList());
        RetrySchedule schedule = RetrySchedule.parse(text, scale);

        assertThat(RetrySchedule.parse(schedule.toString().split(" ")[0], scale)).isEqualTo(schedule);
        assertThat(schedule.retries()).isEqualTo(waitSeconds.size());
        long total = 0;
        for (int retry = 1; retry <= waitSeconds.size(); retry++) {
            long expected = waitSeconds.get(retry - 1) * 1_000_000_000L / scale;
            assertThat(schedule.realWaitNanos(retry)).isBetween(expected - 1, expected + 1);
            total += schedule.realWaitNanos(retry);
        }
        assertThat(schedule.realSpan()).isEqualTo(Duration.ofNanos(total));
        // A real delay maps back to the schedule's time.
        assertThat(schedule.scheduleSeconds(schedule.realWaitNanos(1))).isCloseTo(waitSeconds.get(0),
                org.assertj.core.data.Offset.offset(1e-6 * scale));
    }

    @Property
    void unitsAreEquivalent(@ForAll @IntRange(min = 1, max = 100) int minutes) {
        assertThat(RetrySchedule.parse(minutes + "m", 1)).isEqualTo(RetrySchedule.parse(minutes * 60 + "s", 1));
    }

    @Property(tries = 10)
    void retryErrorsNameTheWait() {
        assertThatThrownBy(() -> RetrySchedule.parse("5m,10x,20m", 60)).hasMessage(
                "\"10x\" (expected: waits > 0 and <= 7 days with a unit ms, s, m or h, e.g. 5m,10m,20m)");
        assertThatThrownBy(() -> RetrySchedule.parse("5m,0", 60)).hasMessageStartingWith("\"0\" (expected: waits > 0");
        assertThatThrownBy(() -> RetrySchedule.parse("5m", 0)).hasMessage(
                "time-scale: 0.0 (expected: > 0 and <= 100000)");
    }

    @Property
    void everyPrefixOfARunKeepsTheSharesWithinTwoSessionsPerNetwork(
            @ForAll @IntRange(min = 1, max = 5) int heavy, @ForAll @IntRange(min = 1, max = 60) int small,
            @ForAll @IntRange(min = 1, max = 99) int heavyPercent, @ForAll @IntRange(min = 1, max = 3_000) int sessions) {
        NetworkMix mix = NetworkMix.parse("heavy:" + heavy + ":" + heavyPercent + "%,small:" + small + ":"
                + (100 - heavyPercent) + "%");
        int[] counts = new int[mix.networks().size()];

        for (int i = 1; i <= sessions; i++) {
            counts[mix.next().index()]++;
            if (i % 97 == 0 || i == sessions) {
                for (NetworkMix.Network network : mix.networks()) {
                    assertThat((double) counts[network.index()]).isBetween(i * network.share() - 2,
                            i * network.share() + 2);
                }
            }
        }
    }

    @Property
    void eachNetworkIsItsOwnLoopbackSlash24(@ForAll @IntRange(min = 2, max = 256) int small) {
        NetworkMix mix = NetworkMix.parse("heavy:1:80%,small:" + small + ":20%");

        assertThat(mix.networks()).hasSize(1 + small);
        assertThat(mix.networks().get(0).addresses().toString()).isEqualTo("127.16.0.0/24");
        assertThat(mix.name(mix.networks().get(0))).isEqualTo("heavy");
        NetworkMix.Network last = mix.networks().get(small);
        assertThat(last.addresses().toString()).isEqualTo("127.17." + (small - 1) + ".0/24");
        assertThat(mix.name(last)).isEqualTo("small-" + (small - 1));
        assertThat(last.addresses().next().getHostAddress()).startsWith("127.17." + (small - 1) + ".");
        assertThat(mix.networks().stream().mapToDouble(NetworkMix.Network::share).sum())
                .isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Property(tries = 10)
    void networkErrorsNameTheGroup() {
        assertThatThrownBy(() -> NetworkMix.parse("heavy:1:80%,small:50:30%")).hasMessage(
                "\"heavy:1:80%,small:50:30%\" (expected: shares that add up to 100%, not 110%)");
        assertThatThrownBy(() -> NetworkMix.parse("heavy:1:80%,small:0:20%")).hasMessage(
                "\"small:0:20%\" (expected: a count of networks 1-256)");
        assertThatThrownBy(() -> NetworkMix.parse("heavy:1:80")).hasMessage(
                "\"heavy:1:80\" (expected: NAME:COUNT:SHARE%, e.g. heavy:1:80% or small:50:20%)");
        assertThatThrownBy(() -> NetworkMix.parse("a:1:50%,a:1:50%")).hasMessage(
                "\"a:1:50%\" (expected: a name no other group has)");
    }
}
