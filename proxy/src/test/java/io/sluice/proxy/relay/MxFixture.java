package io.sluice.proxy.relay;

import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.testing.TestPorts;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Outbound relay tests against remote MXs on loopback: a DNS server of this JVM, new for each test, and the one port
 * every test MX listens on, free on every address so that MXs on 127.0.0.2 and up (and the traps of forbidden
 * addresses) can share it.
 */
abstract class MxFixture {

    protected TestDnsServer dns;
    protected int mxPort;

    @BeforeEach
    void startDns() {
        dns = TestDnsServer.start();
        mxPort = TestPorts.freeOnEveryAddress();
    }

    @AfterEach
    void stopDns() {
        dns.close();
    }
}
