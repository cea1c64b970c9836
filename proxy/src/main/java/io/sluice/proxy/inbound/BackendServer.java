package io.sluice.proxy.inbound;

import io.sluice.config.HostPort;
import io.sluice.proxy.smtp.ServerCapabilities;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** One backend MTA of a pool, with the live state used to choose among them; shared by all event loops. */
final class BackendServer {

    private final HostPort address;
    // Named in every session's log line and metrics, and keyed by backend-server rules: formatted once.
    private final String name;
    private final String ruleKey;
    private final AtomicInteger activeSessions = new AtomicInteger();
    private final AtomicBoolean healthy = new AtomicBoolean(true);
    // What the server said in its last EHLO reply; null until it said anything.
    private volatile ServerCapabilities lastCapabilities;

    BackendServer(String pool, HostPort address) {
        this.address = address;
        this.name = address.toString();
        this.ruleKey = pool + "/" + name;
    }

    HostPort address() {
        return address;
    }

    /** The server's value for the {@code backend-server} key: {@code pool/host:port}. */
    String ruleKey() {
        return ruleKey;
    }

    int activeSessions() {
        return activeSessions.get();
    }

    void sessionOpened() {
        activeSessions.incrementAndGet();
    }

    void sessionClosed() {
        activeSessions.decrementAndGet();
    }

    /** The capabilities of this server's last EHLO reply, or null when none was seen yet. */
    ServerCapabilities lastCapabilities() {
        return lastCapabilities;
    }

    void lastCapabilities(ServerCapabilities capabilities) {
        lastCapabilities = capabilities;
    }

    boolean isHealthy() {
        return healthy.get();
    }

    /** Records the outcome of a health check or connection attempt; true when the state changed. */
    boolean markHealthy(boolean nowHealthy) {
        return healthy.getAndSet(nowHealthy) != nowHealthy;
    }

    @Override
    public String toString() {
        return name;
    }
}
