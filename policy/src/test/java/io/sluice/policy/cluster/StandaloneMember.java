package io.sluice.policy.cluster;

import java.time.Duration;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** One Hazelcast member on its own, started before a test class's tests and left after them. */
final class StandaloneMember implements BeforeAllCallback, AfterAllCallback {

    private final Duration leaseTtl;
    private ClusterNode node;

    StandaloneMember(Duration leaseTtl) {
        this.leaseTtl = leaseTtl;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        node = ClusterNode.start(TestClusters.standalone(TestClusters.clusterName(context.getRequiredTestClass()),
                leaseTtl));
    }

    @Override
    public void afterAll(ExtensionContext context) {
        node.close();
    }

    ClusterNode node() {
        return node;
    }
}
