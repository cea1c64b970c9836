package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.proxy.session.FinishedTransaction;
import org.junit.jupiter.api.Test;

/** Transactions are counted by listener, outcome and reply class, outbound ones by pool and source too. */
class TransactionMetersTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final TransactionMeters meters = new TransactionMeters(registry);

    @Test
    void seriesExistAtZeroAndCountByOutcomeAndReplyClass() {
        meters.listener("mx");
        meters.source("normal", "127.0.0.10");
        assertThat(count("mx", "delivered", "2xx")).isZero();
        assertThat(registry.get("sluice.egress.transactions").tag("source", "127.0.0.10").counter().count()).isZero();

        meters.finished("mx", new FinishedTransaction("example.org", 1, 100, "delivered", 250, 12));
        meters.finished("mx", new FinishedTransaction("example.org", 1, 100, "failed", 451, 30_000));
        meters.finished("mx", new FinishedTransaction("example.org", 1, 0, "aborted", 0, 5));
        meters.delivered("normal", "127.0.0.10", new FinishedTransaction("example.org", 1, 100, "rejected", 550, 20));

        assertThat(count("mx", "delivered", "2xx")).isEqualTo(1);
        assertThat(count("mx", "failed", "4xx")).isEqualTo(1);
        assertThat(count("mx", "aborted", "none")).isEqualTo(1);
        assertThat(registry.get("sluice.transaction.duration").tag("listener", "mx").timer().count()).isEqualTo(3);
        assertThat(registry.get("sluice.egress.transactions").tags("pool", "normal", "source", "127.0.0.10",
                "outcome", "rejected").counter().count()).isEqualTo(1);
    }

    private double count(String listener, String outcome, String replyClass) {
        return registry.get("sluice.transactions").tags("listener", listener, "outcome", outcome, "reply_class",
                replyClass).counter().count();
    }
}
