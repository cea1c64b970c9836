package io.sluice.proxy.inbound;

import io.netty.channel.EventLoop;
import io.sluice.config.HealthCheckConfig;
import io.sluice.proxy.smtp.SmtpClientConnection;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Probes each backend of a pool at a fixed interval: a server is healthy when it accepts a connection and
 * greets with 220 in time. Failed session connects mark a server down as well; this brings it back.
 */
final class HealthChecker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HealthChecker.class);

    private final BackendConnector connector;
    private final EventLoop loop;
    private final HealthCheckConfig config;
    private ScheduledFuture<?> schedule;

    HealthChecker(BackendConnector connector, EventLoop loop) {
        this.connector = connector;
        this.loop = loop;
        this.config = connector.pool().config().healthCheck();
    }

    void start() {
        long millis = config.interval().toMillis();
        schedule = loop.scheduleWithFixedDelay(this::probeAll, millis, millis, TimeUnit.MILLISECONDS);
    }

    private void probeAll() {
        for (BackendServer server : connector.pool().servers()) {
            probe(server);
        }
    }

    private void probe(BackendServer server) {
        connector.connect(loop, server)
                .thenCompose(connection -> connection.awaitReply(config.timeout()).whenComplete((greeting, error) ->
                        connection.quit(config.timeout())))
                .whenComplete((greeting, error) -> {
                    boolean healthy = error == null && greeting.code() == 220;
                    if (server.markHealthy(healthy)) {
                        String pool = connector.pool().config().name();
                        if (healthy) {
                            log.info("backend {} of pool {} is healthy again", server, pool);
                        } else {
                            log.warn("backend {} of pool {} failed its health check: {}", server, pool,
                                    error != null ? SmtpClientConnection.rootMessage(error) : greeting);
                        }
                    }
                });
    }

    @Override
    public void close() {
        if (schedule != null) {
            schedule.cancel(false);
        }
    }
}
