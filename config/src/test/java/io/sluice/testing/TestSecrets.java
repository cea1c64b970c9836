package io.sluice.testing;

import io.sluice.config.ClusterSecret;

/** The cluster secret the tests' nodes share (and a different one, for a node that must not be one of them). */
public final class TestSecrets {

    public static final ClusterSecret CLUSTER = ClusterSecret.of("sluice-test-cluster-secret-0123456789");
    public static final ClusterSecret OTHER = ClusterSecret.of("not-the-cluster-secret-9876543210abcdef");

    private TestSecrets() {
    }
}
