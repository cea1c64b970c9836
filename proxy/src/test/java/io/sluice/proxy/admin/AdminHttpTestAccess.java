package io.sluice.proxy.admin;

import io.sluice.config.EgressConfig;

/** The admin tests' fixtures for tests of other packages. */
public final class AdminHttpTestAccess {

    /** One egress pool, {@code normal}, of two sources: 127.0.0.10 and 127.0.0.11. */
    public static final EgressConfig EGRESS = AdminHttpTest.EGRESS;

    private AdminHttpTestAccess() {
    }
}
