package io.sluice.config;

import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the cluster-wide limit state lives: which Hazelcast cluster this node joins or talks to, and what to do
 * when it cannot be reached.
 *
 * @param mode how this node takes part
 * @param name the Hazelcast cluster name; nodes only join a cluster of the same name
 * @param bind the member's own address (embedded mode)
 * @param discovery how embedded members find each other
 * @param members the member list for tcp-ip discovery, or the cluster's addresses in client mode
 * @param kubernetesService the headless Service's DNS name for kubernetes discovery
 * @param onUnavailable what decisions do while the cluster cannot answer in time
 * @param decisionTimeout how long a decision may wait for the cluster before the fallback answers it
 * @param minMembers fewer members than this is treated as the cluster being unavailable (split-brain guard)
 * @param leaseTtl how long a session slot outlives the last renewal by its node
 * @param publicAddress the address other members reach this member at, when it is not {@code bind} (a NAT or a
 *     forwarder in between; embedded mode)
 * @param secret signs the control data the nodes exchange; required wherever another process can take part
 *     (tcp-ip or kubernetes discovery, client mode, a client port), optional for a single member, which then
 *     makes one of its own
 * @param clientPort the port, on the member's address, where it accepts Hazelcast clients (other Sluice nodes in
 *     client mode); none by default, so that nothing but a member can talk to it (embedded mode)
 * @param maxBuckets the most rate buckets kept, least recently used first to go: in this process, and in the
 *     cluster's map (of which each member then holds at most this many)
 */
public record ClusterConfig(Mode mode, String name, HostPort bind, Discovery discovery, List<HostPort> members,
                            String kubernetesService, OnUnavailable onUnavailable, Duration decisionTimeout,
                            int minMembers, Duration leaseTtl, Optional<HostPort> publicAddress,
                            Optional<ClusterSecret> secret, Optional<Integer> clientPort, int maxBuckets) {

    /** Buckets kept by default: about 160 MB of heap when full (a sender key's entry in the map and local mirror). */
    public static final int DEFAULT_MAX_BUCKETS = 200_000;

    /** An embedded single member on loopback, the default: no other service needed. */
    public static final ClusterConfig EMBEDDED_DEFAULT = new ClusterConfig(Mode.EMBEDDED, "sluice",
            new HostPort("127.0.0.1", 5701), Discovery.NONE, List.of(), "", OnUnavailable.LOCAL_FALLBACK,
            Duration.ofMillis(200), 1, Duration.ofSeconds(30));

    /** No cluster: each node keeps its own buckets (tests, and comparing against cluster-wide limits). */
    public static final ClusterConfig STANDALONE = new ClusterConfig(Mode.LOCAL, "sluice",
            new HostPort("127.0.0.1", 5701), Discovery.NONE, List.of(), "", OnUnavailable.LOCAL_FALLBACK,
            Duration.ofMillis(200), 1, Duration.ofSeconds(30));

    public enum Mode {
        /** Limits kept by this node alone: N nodes admit N times the rate. */
        LOCAL,
        /** This node is a Hazelcast member. */
        EMBEDDED,
        /** This node is a client of an existing Hazelcast cluster. */
        CLIENT;

        public String yamlName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public enum Discovery {
        /** A single member on its own. */
        NONE,
        /** A fixed member list. */
        TCP_IP,
        /** Members from the DNS records of a headless Service (no Kubernetes API access needed). */
        KUBERNETES;

        public String yamlName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public enum OnUnavailable {
        /** Local buckets sized rate / last known member count. */
        LOCAL_FALLBACK,
        /** Admit everything. */
        FAIL_OPEN,
        /** Refuse everything a rule applies to, with the rule's reply. */
        FAIL_CLOSED;

        public String yamlName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    public ClusterConfig {
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(discovery, "discovery");
        members = List.copyOf(members);
        Objects.requireNonNull(kubernetesService, "kubernetesService");
        Objects.requireNonNull(onUnavailable, "onUnavailable");
        SmtpTimeouts.requirePositive(decisionTimeout, "decisionTimeout");
        if (minMembers < 1) {
            throw new IllegalArgumentException("minMembers: " + minMembers + " (expected: >= 1)");
        }
        SmtpTimeouts.requirePositive(leaseTtl, "leaseTtl");
        if (discovery == Discovery.TCP_IP && members.isEmpty()) {
            throw new IllegalArgumentException("members: [] (expected: at least one member for tcp-ip discovery)");
        }
        if (discovery == Discovery.KUBERNETES && kubernetesService.isEmpty()) {
            throw new IllegalArgumentException("kubernetesService: (expected: a DNS name for kubernetes discovery)");
        }
        if (mode == Mode.CLIENT && members.isEmpty()) {
            throw new IllegalArgumentException("members: [] (expected: the cluster's addresses in client mode)");
        }
        Objects.requireNonNull(publicAddress, "publicAddress");
        if (mode != Mode.EMBEDDED && publicAddress.isPresent()) {
            throw new IllegalArgumentException("publicAddress: " + publicAddress.get()
                    + " (expected: none unless mode is embedded)");
        }
        Objects.requireNonNull(secret, "secret");
        Objects.requireNonNull(clientPort, "clientPort");
        if (mode != Mode.EMBEDDED && clientPort.isPresent()) {
            throw new IllegalArgumentException("clientPort: " + clientPort.get()
                    + " (expected: none unless mode is embedded)");
        }
        if (clientPort.isPresent() && (clientPort.get() < 1 || clientPort.get() > 65535
                || clientPort.get() == bind.port())) {
            throw new IllegalArgumentException("clientPort: " + clientPort.get()
                    + " (expected: 1-65535, other than the member port " + bind.port() + ")");
        }
        if (secret.isEmpty() && needsSecret(mode, discovery, clientPort)) {
            throw new IllegalArgumentException("secret-file or secret-env: missing (expected: " + SECRET_EXPECTED
                    + ")");
        }
        if (maxBuckets < 1) {
            throw new IllegalArgumentException("maxBuckets: " + maxBuckets + " (expected: >= 1)");
        }
    }

    /** Why a secret is needed, for error messages. */
    private static final String SECRET_EXPECTED = "a secret shared by every node, since other processes take part"
            + " (tcp-ip or kubernetes discovery, client mode, or a client port)";

    /**
     * Whether other processes take part in this cluster, so that what they write must be signed with a shared
     * secret: other members (tcp-ip or kubernetes discovery), the members a client talks to, or clients. Static:
     * the compact constructor asks before the fields are assigned.
     */
    private static boolean needsSecret(Mode mode, Discovery discovery, Optional<Integer> clientPort) {
        return mode == Mode.CLIENT || (mode == Mode.EMBEDDED
                && (discovery != Discovery.NONE || clientPort.isPresent()));
    }

    /** Settings with the default bound on the buckets kept. */
    public ClusterConfig(Mode mode, String name, HostPort bind, Discovery discovery, List<HostPort> members,
                         String kubernetesService, OnUnavailable onUnavailable, Duration decisionTimeout,
                         int minMembers, Duration leaseTtl, Optional<HostPort> publicAddress,
                         Optional<ClusterSecret> secret, Optional<Integer> clientPort) {
        this(mode, name, bind, discovery, members, kubernetesService, onUnavailable, decisionTimeout, minMembers,
                leaseTtl, publicAddress, secret, clientPort, DEFAULT_MAX_BUCKETS);
    }

    /** Settings whose member is reached at its {@code bind} address. */
    public ClusterConfig(Mode mode, String name, HostPort bind, Discovery discovery, List<HostPort> members,
                         String kubernetesService, OnUnavailable onUnavailable, Duration decisionTimeout,
                         int minMembers, Duration leaseTtl) {
        this(mode, name, bind, discovery, members, kubernetesService, onUnavailable, decisionTimeout, minMembers,
                leaseTtl, Optional.empty(), Optional.empty(), Optional.empty(), DEFAULT_MAX_BUCKETS);
    }

    /** The same settings under another cluster name (tests: clusters that must not meet). */
    public ClusterConfig withName(String value) {
        return new ClusterConfig(mode, value, bind, discovery, members, kubernetesService, onUnavailable,
                decisionTimeout, minMembers, leaseTtl, publicAddress, secret, clientPort, maxBuckets);
    }

    /** The same settings with another bound on the buckets kept (tests: a flood that reaches it). */
    public ClusterConfig withMaxBuckets(int value) {
        return new ClusterConfig(mode, name, bind, discovery, members, kubernetesService, onUnavailable,
                decisionTimeout, minMembers, leaseTtl, publicAddress, secret, clientPort, value);
    }

    /** The same settings signed with another secret (tests: several nodes in one JVM). */
    public ClusterConfig withSecret(ClusterSecret value) {
        return new ClusterConfig(mode, name, bind, discovery, members, kubernetesService, onUnavailable,
                decisionTimeout, minMembers, leaseTtl, publicAddress, Optional.of(value), clientPort, maxBuckets);
    }

    /** The same settings with another mode, bind address and member list (tests, several nodes on one machine). */
    public ClusterConfig withMembers(Mode mode, HostPort bind, List<HostPort> members) {
        Discovery discovery = mode == Mode.EMBEDDED && !members.isEmpty() ? Discovery.TCP_IP : this.discovery;
        return new ClusterConfig(mode, name, bind, discovery, members, kubernetesService, onUnavailable,
                decisionTimeout, minMembers, leaseTtl, publicAddress, secret, clientPort, maxBuckets);
    }
}
