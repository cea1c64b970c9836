package io.sluice.proxy.inbound;

import io.sluice.config.BackendPoolConfig;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** The backend MTAs of one pool and the order in which a new session tries them. */
final class BackendPool {

    private final BackendPoolConfig config;
    private final List<BackendServer> servers;
    private final AtomicInteger rotation = new AtomicInteger();

    BackendPool(BackendPoolConfig config) {
        this.config = config;
        this.servers = config.servers().stream().map(address -> new BackendServer(config.name(), address)).toList();
    }

    BackendPoolConfig config() {
        return config;
    }

    List<BackendServer> servers() {
        return servers;
    }

    /**
     * Servers in the order to try: healthy ones first, fewest active sessions first, ties rotated so equal
     * servers share the load; unhealthy ones last, as a last resort rather than no service at all.
     */
    List<BackendServer> candidates() {
        List<BackendServer> ordered = new ArrayList<>(servers.size());
        int start = Math.floorMod(rotation.getAndIncrement(), servers.size());
        for (int i = 0; i < servers.size(); i++) {
            ordered.add(servers.get((start + i) % servers.size()));
        }
        // List.sort is stable, so the rotation breaks ties.
        ordered.sort(Comparator.comparing((BackendServer server) -> !server.isHealthy())
                .thenComparingInt(BackendServer::activeSessions));
        return ordered;
    }
}
