package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Cluster health with no deadline swept, so that a busy machine never starts a fallback episode; after each test,
 * every health it gave out is checked to have had none.
 */
final class UnsweptHealth implements AfterEachCallback {

    private final List<ClusterHealth> given = new CopyOnWriteArrayList<>();

    ClusterHealth health() {
        ClusterHealth health = new ClusterHealth(Duration.ofSeconds(10), 1);
        given.add(health);
        return health;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        given.forEach(health -> assertThat(health.episodes()).as("fallback episodes").isZero());
        given.clear();
    }
}
