package io.sluice.config;

import java.time.Duration;

/**
 * How connections are kept for the next use, which then skips the TCP setup (and TLS), the server's greeting and
 * its QUIT. A backend pool's connections are kept for the next client session, and the backend is still told who
 * each new client is (XCLIENT, EHLO) before any mail; the egress's connections to remote MX hosts are kept for the
 * next transaction to the same site, and reset (RSET) before it.
 *
 * @param maxIdle most idle connections kept per event loop; 0 turns reuse off
 * @param idleTimeout an idle connection older than this is closed
 * @param maxUses sessions (backends) or transactions (remote MX hosts) one connection serves before it is closed,
 *     so load spreads again after a server is added or comes back
 */
public record ConnectionReuseConfig(int maxIdle, Duration idleTimeout, int maxUses) {

    public static final ConnectionReuseConfig DISABLED = new ConnectionReuseConfig(0, Duration.ofSeconds(1), 1);

    public ConnectionReuseConfig {
        if (maxIdle < 0) {
            throw new IllegalArgumentException("maxIdle: " + maxIdle + " (expected: >= 0)");
        }
        SmtpTimeouts.requirePositive(idleTimeout, "idleTimeout");
        if (maxUses < 1) {
            throw new IllegalArgumentException("maxUses: " + maxUses + " (expected: >= 1)");
        }
    }

    public boolean enabled() {
        return maxIdle > 0;
    }
}
