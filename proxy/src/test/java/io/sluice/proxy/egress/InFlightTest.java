package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InFlightTest {

    private final InFlight<String, String> inFlight = new InFlight<>();
    private final Map<String, String> cache = new ConcurrentHashMap<>();
    private final AtomicInteger asked = new AtomicInteger();

    @Test
    void askersWhileALookupIsUnderWayShareItsAnswer() {
        CompletableFuture<String> answer = new CompletableFuture<>();
        CompletableFuture<String> first = inFlight.join("k", () -> cache.get("k"), () -> ask(answer));
        CompletableFuture<String> second = inFlight.join("k", () -> cache.get("k"), () -> ask(answer));

        cache.put("k", "v");
        answer.complete("v");

        assertThat(first).isCompletedWithValue("v");
        assertThat(second).isCompletedWithValue("v");
        assertThat(asked).hasValue(1);
    }

    @Test
    void aLookupThatEndedBetweenTheFirstLookAndTheHoldIsNotAskedAgain() {
        // The first look finds nothing; by the time this asker holds the key, another lookup has ended and put its
        // answer in the cache (and let go of the key): the second look finds it.
        AtomicInteger looks = new AtomicInteger();
        CompletableFuture<String> answer = inFlight.join("k",
                () -> looks.incrementAndGet() == 1 ? null : "v", () -> ask(new CompletableFuture<>()));

        assertThat(answer).isCompletedWithValue("v");
        assertThat(asked).hasValue(0);
        assertThat(looks).hasValue(2);
    }

    @Test
    void theKeyIsLetGoOnceAnswered() {
        inFlight.join("k", () -> null, () -> ask(CompletableFuture.failedFuture(new IllegalStateException("no"))));
        CompletableFuture<String> again = inFlight.join("k", () -> null, () -> ask(CompletableFuture.completedFuture("v")));

        assertThat(again).isCompletedWithValue("v");
        assertThat(asked).hasValue(2);
    }

    private CompletableFuture<String> ask(CompletableFuture<String> answer) {
        asked.incrementAndGet();
        return answer;
    }
}
