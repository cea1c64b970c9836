package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.AdvancedNetworkConfig;
import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.Config;
import com.hazelcast.config.JavaSerializationFilterConfig;
import com.hazelcast.config.JoinConfig;
import com.hazelcast.config.MapConfig;
import com.hazelcast.config.SerializationConfig;
import com.hazelcast.config.ServerSocketEndpointConfig;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import io.github.bucket4j.grid.hazelcast.HazelcastProxyManager;
import io.sluice.config.ClusterConfig;
import io.sluice.config.HostPort;
import java.net.InetAddress;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This process's place in the Hazelcast cluster that holds the limit state: an embedded member (alone on
 * loopback by default, or joined by a member list or Kubernetes DNS) or a client of an existing cluster.
 */
public final class ClusterNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ClusterNode.class);
    // Bucket4j's serializer type ids start here; ours are a DataSerializable factory.
    private static final int BUCKET4J_TYPE_ID_BASE = 10_000;

    private final HazelcastInstance hazelcast;
    private final ClusterSeal seal;
    private final String nodeId = UUID.randomUUID().toString();

    private ClusterNode(HazelcastInstance hazelcast, ClusterSeal seal) {
        this.hazelcast = hazelcast;
        this.seal = seal;
    }

    /** Starts the member or connects the client; blocks until it has joined (or formed) its cluster. */
    public static ClusterNode start(ClusterConfig config) {
        // ClusterConfig requires a secret wherever another process takes part; a member alone signs with its own.
        ClusterSeal seal = config.secret().map(secret -> ClusterSeal.of(secret, config.name()))
                .orElseGet(() -> ClusterSeal.ofOwnKey(config.name()));
        HazelcastInstance instance = config.mode() == ClusterConfig.Mode.CLIENT
                ? HazelcastClient.newHazelcastClient(clientConfig(config))
                : Hazelcast.newHazelcastInstance(memberConfig(config));
        ClusterNode node = new ClusterNode(instance, seal);
        log.info("joined cluster", kv("mode", config.mode().yamlName()), kv("members", node.memberCount()),
                kv("accepts_clients", config.clientPort().isPresent()));
        return node;
    }

    public HazelcastInstance hazelcast() {
        return hazelcast;
    }

    /** Signs what this node writes to the cluster's control maps and checks what it reads from them. */
    public ClusterSeal seal() {
        return seal;
    }

    /** Identifies this process in lease counts; unlike a member id it also exists in client mode. */
    public String nodeId() {
        return nodeId;
    }

    public int memberCount() {
        return hazelcast.getCluster().getMembers().size();
    }

    /**
     * The members' addresses as {@code host:port} ({@code [host]:port} for IPv6), in Hazelcast's member order; in
     * client mode those of the cluster's members, which need not be Sluice nodes.
     */
    public List<String> memberAddresses() {
        return hazelcast.getCluster().getMembers().stream().map(member -> {
            String host = member.getAddress().getHost();
            int port = member.getAddress().getPort();
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }).toList();
    }

    /** Calls back with the member count whenever a member joins or leaves. */
    public void onMembershipChange(IntConsumer members) {
        hazelcast.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent event) {
                members.accept(event.getMembers().size());
            }

            @Override
            public void memberRemoved(MembershipEvent event) {
                members.accept(event.getMembers().size());
            }
        });
    }

    /** Leaves the cluster gracefully: a member first hands its partitions to the others. */
    @Override
    public void close() {
        hazelcast.shutdown();
    }

    /** Leaves at once, as a crashed process would (tests). */
    public void kill() {
        hazelcast.getLifecycleService().terminate();
    }

    static Config memberConfig(ClusterConfig cluster) {
        Config config = new Config();
        config.setClusterName(cluster.name());
        commonProperties(config.getProperties());
        // A member that stops answering heartbeats is dropped after 10 s instead of Hazelcast's 60 s.
        config.setProperty("hazelcast.heartbeat.interval.seconds", "1");
        config.setProperty("hazelcast.max.no.heartbeat.seconds", "10");
        // A single member (discovery none) has no one to wait for: it is its own cluster at once.
        config.setProperty("hazelcast.wait.seconds.before.join", cluster.discovery() == ClusterConfig.Discovery.NONE ? "0" : "1");
        // While a cluster is split each side keeps its own buckets, so together they admit a multiple of the rate:
        // look for the other side every 5 s instead of Hazelcast's 5 minutes after start, then every 2 minutes.
        config.setProperty("hazelcast.merge.first.run.delay.seconds", "5");
        config.setProperty("hazelcast.merge.next.run.delay.seconds", "5");
        config.setProperty("hazelcast.shutdownhook.enabled", "false");
        // The IO thread that reads a response completes its future; a response thread between them was one more
        // hand-over per decision (callbacks run on the common pool either way, see HazelcastCallbacks).
        config.setProperty("hazelcast.operation.response.thread.count", "0");
        // Leaving hands partitions over first; a drain has seconds for it, not Hazelcast's ten minutes.
        config.setProperty("hazelcast.graceful.shutdown.max.wait", "5");
        config.getJetConfig().setEnabled(false);
        // Nothing reads Hazelcast's own metrics (Sluice's are Micrometer's); collecting them every 5 s cost a
        // few percent of the CPU of a busy node.
        config.getMetricsConfig().setEnabled(false);
        // Its health monitor only writes INFO lines, which the log configuration leaves out: its thread sampled the
        // process at every start for nothing.
        config.setProperty("hazelcast.health.monitoring.level", "OFF");

        // Separate endpoints per protocol: the member port speaks the member protocol only, so a Hazelcast client
        // that reaches it cannot connect. Clients get a port of their own only when the configuration asks.
        AdvancedNetworkConfig network = config.getAdvancedNetworkConfig().setEnabled(true);
        HostPort bind = cluster.bind();
        ServerSocketEndpointConfig members = new ServerSocketEndpointConfig();
        members.setPort(bind.port()).setPortAutoIncrement(false);
        cluster.publicAddress().ifPresent(address -> members.setPublicAddress(address.toString()));
        network.setMemberEndpointConfig(members);
        cluster.clientPort().ifPresent(port -> {
            ServerSocketEndpointConfig clients = new ServerSocketEndpointConfig();
            clients.setPort(port).setPortAutoIncrement(false);
            network.setClientEndpointConfig(clients);
        });
        InetAddress bindAddress = bind.toSocketAddress().getAddress();
        if (bindAddress != null && !bindAddress.isAnyLocalAddress()) {
            // Only this address: on one machine several members can each take 127.0.0.x:5701.
            config.setProperty("hazelcast.socket.bind.any", "false");
            config.setProperty("hazelcast.local.localAddress", bindAddress.getHostAddress());
        }
        JoinConfig join = network.getJoin();
        join.getMulticastConfig().setEnabled(false);
        join.getAutoDetectionConfig().setEnabled(false);
        switch (cluster.discovery()) {
            // A member list of itself: a single member that never looks for others (and says nothing about it).
            case NONE -> join.getTcpIpConfig().setEnabled(true).addMember(bind.toString());
            case TCP_IP -> {
                join.getTcpIpConfig().setEnabled(true);
                cluster.members().forEach(member -> join.getTcpIpConfig().addMember(member.toString()));
            }
            case KUBERNETES -> join.getKubernetesConfig().setEnabled(true)
                    .setProperty("service-dns", cluster.kubernetesService());
        }
        // Rate buckets: an asynchronous backup keeps a decision to one round trip; losing a few tokens'
        // worth of state with a member is acceptable. Leases: a synchronous backup, so slots survive a member.
        config.addMapConfig(new MapConfig(HazelcastRateLimiter.MAP).setBackupCount(0).setAsyncBackupCount(1)
                .setEvictionConfig(BucketMapBound.eviction(config, cluster.maxBuckets())));
        config.addMapConfig(new MapConfig(HazelcastLeaseStore.MAP).setBackupCount(1));
        registerSerializers(config.getSerializationConfig());
        return config;
    }

    static ClientConfig clientConfig(ClusterConfig cluster) {
        ClientConfig config = new ClientConfig();
        config.setClusterName(cluster.name());
        commonProperties(config.getProperties());
        cluster.members().forEach(member -> config.getNetworkConfig().addAddress(member.toString()));
        registerSerializers(config.getSerializationConfig());
        return config;
    }

    /** What members of an existing cluster need so that a client-mode Sluice can use it. */
    public static void registerSerializers(SerializationConfig serialization) {
        HazelcastProxyManager.addCustomSerializers(serialization, BUCKET4J_TYPE_ID_BASE);
        serialization.addDataSerializableFactory(ClusterSerialization.FACTORY_ID, new ClusterSerialization());
        serialization.setJavaSerializationFilterConfig(javaSerializationFilter());
    }

    /**
     * Sluice's own types and Bucket4j's have serializers of their own, so Java serialization only ever carries an
     * exception back from another member. Anything else a peer sends that way (a gadget chain) is refused before a
     * single object of it is made.
     */
    static JavaSerializationFilterConfig javaSerializationFilter() {
        ClassFilter allowed = new ClassFilter()
                // java.lang itself (exceptions, boxes), not java.lang.reflect or java.lang.invoke.
                .addPackages("java.lang")
                // "[": arrays (a stack trace is one); their elements are checked one by one.
                .addPrefixes("[", "com.hazelcast.", "io.sluice.", "io.github.bucket4j.")
                // A Throwable's suppressed exceptions and stack travel in these.
                .addClasses("java.util.ArrayList", "java.util.Collections$EmptyList",
                        "java.util.Collections$UnmodifiableList", "java.util.Collections$UnmodifiableRandomAccessList",
                        "java.util.Collections$UnmodifiableCollection");
        return new JavaSerializationFilterConfig().setDefaultsDisabled(true).setWhitelist(allowed);
    }

    private static void commonProperties(Properties properties) {
        // No phone-home, and Hazelcast's log lines through SLF4J like everything else.
        properties.setProperty("hazelcast.phone.home.enabled", "false");
        properties.setProperty("hazelcast.logging.type", "slf4j");
    }
}
