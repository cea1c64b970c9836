package io.sluice.policy.retry;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Literal addresses for tests, without a lookup. */
final class TestAddresses {

    private TestAddresses() {
    }

    static InetAddress v4(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
