package io.sluice.proxy.relay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Sluice processes on loopback forming one Hazelcast cluster (tcp-ip), each member's {@code public-address} a
 * {@link TcpForwarder} in front of its real port: every link between members runs through a forwarder, so
 * {@link #cut()} partitions the cluster into single members that all keep running, and {@link #heal()} lets them
 * find each other again.
 */
final class PartitionableCluster implements AutoCloseable {

    private static final String TOKEN = "partition-test-0123456789";
    private static final String CLUSTER_SECRET = "partition-test-cluster-secret-0123456789";
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(5);

    private final List<SluiceProcess> processes = new ArrayList<>();
    private final List<TcpForwarder> forwarders = new ArrayList<>();
    private final List<Integer> smtpPorts = new ArrayList<>();
    private final List<URI> clusterStatus = new ArrayList<>();
    private final AtomicInteger turn = new AtomicInteger();
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(ADMIN_TIMEOUT).build();

    private PartitionableCluster() {
    }

    /**
     * Starts {@code count} nodes one after the other (each joins those before it), relaying to the backend on
     * {@code sinkPort}, with the {@code policy:} section given.
     */
    static PartitionableCluster start(Path dir, int count, int sinkPort, String policy) throws IOException {
        PartitionableCluster cluster = new PartitionableCluster();
        try {
            List<Integer> memberPorts = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                int memberPort = TestPorts.freeOnLoopback();
                memberPorts.add(memberPort);
                cluster.forwarders.add(TcpForwarder.to(memberPort));
            }
            String members = cluster.forwarders.stream().map(f -> "\"127.0.0.1:" + f.port() + "\"")
                    .collect(Collectors.joining(", ", "[", "]"));
            String name = "partition-" + UUID.randomUUID();
            Files.writeString(dir.resolve("tokens"), "test:" + TOKEN + "\n");
            Files.writeString(dir.resolve("cluster-secret"), CLUSTER_SECRET + "\n");
            for (int i = 0; i < count; i++) {
                int smtpPort = TestPorts.freeOnLoopback();
                int adminPort = TestPorts.freeOnLoopback();
                String yaml = """
                        smtp: { hostname: node%d.sluice.test }
                        listeners:
                          - { name: mx, role: inbound, bind: "127.0.0.1:%d", backend-pool: mta }
                        backends:
                          mta: { servers: ["127.0.0.1:%d"], xclient: false }
                        cluster:
                          name: %s
                          bind: "127.0.0.1:%d"
                          public-address: "127.0.0.1:%d"
                          members: %s
                          secret-file: cluster-secret
                        admin: { bind: "127.0.0.1:%d", token-file: tokens }
                        """.formatted(i, smtpPort, sinkPort, name, memberPorts.get(i),
                        cluster.forwarders.get(i).port(), members, adminPort) + policy;
                cluster.processes.add(SluiceProcess.start(dir, "node" + i, yaml, smtpPort));
                cluster.smtpPorts.add(smtpPort);
                cluster.clusterStatus.add(URI.create("http://127.0.0.1:" + adminPort + "/api/v1/cluster"));
            }
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    /** The SMTP port of each node, in start order. */
    List<Integer> smtpPorts() {
        return List.copyOf(smtpPorts);
    }

    /** The SMTP port for the next session: round robin, as a load balancer in front of every node. */
    int next() {
        return smtpPorts.get(Math.floorMod(turn.getAndIncrement(), smtpPorts.size()));
    }

    /** The Hazelcast members node {@code index} sees, from its admin API ({@code GET /api/v1/cluster}). */
    int members(int index) throws IOException, InterruptedException {
        return status(index).at("/cluster/members").size();
    }

    /** The fallback episodes node {@code index} has been through: times the cluster did not answer in time. */
    long fallbackEpisodes(int index) throws IOException, InterruptedException {
        return status(index).at("/cluster/fallback-episodes").asLong();
    }

    /** Whether every node sees {@code count} members; false while one of them cannot answer. */
    boolean allSee(int count) {
        try {
            for (int i = 0; i < processes.size(); i++) {
                if (members(i) != count) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Cuts every link between members: each one alone, all still running. */
    void cut() {
        forwarders.forEach(TcpForwarder::cut);
    }

    /** Lets the members reach each other again. */
    void heal() {
        forwarders.forEach(TcpForwarder::restore);
    }

    /** Every node's log, for a failure message. */
    String logs() {
        StringBuilder logs = new StringBuilder();
        for (int i = 0; i < processes.size(); i++) {
            logs.append("--- node").append(i).append('\n').append(processes.get(i).log());
        }
        return logs.toString();
    }

    private JsonNode status(int index) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(clusterStatus.get(index)).timeout(ADMIN_TIMEOUT)
                .header("Authorization", "Bearer " + TOKEN).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("GET " + clusterStatus.get(index) + ": " + response.statusCode());
        }
        return new ObjectMapper().readTree(response.body());
    }

    @Override
    public void close() {
        processes.forEach(SluiceProcess::close);
        forwarders.forEach(TcpForwarder::close);
    }
}
