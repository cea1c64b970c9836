package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import io.sluice.config.ClusterConfig.Discovery;
import io.sluice.config.ClusterConfig.Mode;
import io.sluice.config.ClusterConfig.OnUnavailable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClusterBindingTest {

    private static final String SECRET_TEXT = "binding-test-cluster-secret-0123456789";
    private static final ClusterSecret SECRET = ClusterSecret.of(SECRET_TEXT);
    private static final Map<String, String> ENVIRONMENT = Map.of("SLUICE_CLUSTER_SECRET", SECRET_TEXT);

    // Appended after the cluster section, so that its lines are those of the text block.
    private static final String LISTENERS = """
            listeners:
              - {name: mx, role: inbound, bind: "127.0.0.1:2525", backend-pool: mta}
            backends:
              mta: {servers: ["127.0.0.1:2526"]}
            """;

    @Test
    void everyKeyIsRead() throws ConfigException {
        ClusterConfig tcpIp = cluster("""
                cluster:
                  mode: embedded
                  name: mail-eu
                  bind: "10.0.0.5:5701"
                  discovery: tcp-ip
                  members: ["10.0.0.5:5701", "10.0.0.6:5701", "hz-3.internal:5701"]
                  on-unavailable: fail-closed
                  decision-timeout: 50ms
                  min-members: 2
                  lease-ttl: 1m
                  public-address: "203.0.113.5:15701"
                  secret-env: SLUICE_CLUSTER_SECRET
                  max-buckets: 500000
                """);
        ClusterConfig kubernetes = cluster("""
                cluster:
                  bind: "0.0.0.0:5701"
                  discovery: kubernetes
                  kubernetes-service: sluice-hz.mail.svc.cluster.local
                  on-unavailable: fail-open
                  min-members: 3
                  secret-env: SLUICE_CLUSTER_SECRET
                  client-port: 5702
                """);
        ClusterConfig client = cluster("""
                cluster:
                  mode: client
                  members: ["[fd00::1]:5701"]
                  secret-env: SLUICE_CLUSTER_SECRET
                """);

        assertThat(tcpIp).isEqualTo(new ClusterConfig(Mode.EMBEDDED, "mail-eu", new HostPort("10.0.0.5", 5701),
                Discovery.TCP_IP, List.of(new HostPort("10.0.0.5", 5701), new HostPort("10.0.0.6", 5701),
                        new HostPort("hz-3.internal", 5701)),
                "", OnUnavailable.FAIL_CLOSED, Duration.ofMillis(50), 2, Duration.ofMinutes(1),
                Optional.of(new HostPort("203.0.113.5", 15701)), Optional.of(SECRET), Optional.empty(), 500_000));
        assertThat(kubernetes).isEqualTo(new ClusterConfig(Mode.EMBEDDED, "sluice", new HostPort("0.0.0.0", 5701),
                Discovery.KUBERNETES, List.of(), "sluice-hz.mail.svc.cluster.local", OnUnavailable.FAIL_OPEN,
                Duration.ofMillis(200), 3, Duration.ofSeconds(30), Optional.empty(), Optional.of(SECRET),
                Optional.of(5702)));
        assertThat(client).isEqualTo(ClusterConfig.EMBEDDED_DEFAULT.withSecret(SECRET).withMembers(Mode.CLIENT,
                ClusterConfig.EMBEDDED_DEFAULT.bind(), List.of(new HostPort("fd00::1", 5701))));
    }

    @Test
    void leftOutKeysTakeTheirDefaults() throws ConfigException {
        assertThat(cluster("")).isEqualTo(ClusterConfig.EMBEDDED_DEFAULT);
        assertThat(cluster("cluster:\n")).isEqualTo(ClusterConfig.EMBEDDED_DEFAULT);
        assertThat(cluster("cluster: {mode: local}\n")).isEqualTo(ClusterConfig.STANDALONE);
        assertThat(cluster("cluster: {members: []}\n")).isEqualTo(ClusterConfig.EMBEDDED_DEFAULT);
    }

    @Test
    void membersInEmbeddedModeMeanTcpIpDiscovery() throws ConfigException {
        ClusterConfig config = cluster("""
                cluster:
                  members: ["127.0.0.1:5701", "127.0.0.1:5702"]
                  secret-env: SLUICE_CLUSTER_SECRET
                """);

        assertThat(config.discovery()).isEqualTo(Discovery.TCP_IP);
        assertThat(config).isEqualTo(ClusterConfig.EMBEDDED_DEFAULT.withSecret(SECRET).withMembers(Mode.EMBEDDED,
                new HostPort("127.0.0.1", 5701),
                List.of(new HostPort("127.0.0.1", 5701), new HostPort("127.0.0.1", 5702))));
    }

    @Test
    void everyMistakeIsReportedWithPathAndLine() {
        ConfigException e = errors("""
                cluster:
                  mode: hazelcast
                  name: Sluice
                  bind: "127.0.0.1"
                  discovery: multicast
                  members: "127.0.0.1:5701"
                  kubernetes-service: "sluice hz"
                  on-unavailable: panic
                  decision-timeout: 0ms
                  min-members: 0
                  lease-ttl: forever
                  public-address: "203.0.113.5"
                  port: 5701
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(2, "cluster.mode", "\"hazelcast\" (expected: one of: local, embedded, client)"),
                tuple(3, "cluster.name", "\"Sluice\" (expected: a name of a-z, 0-9 and '-', not starting with '-')"),
                tuple(4, "cluster.bind",
                        "\"127.0.0.1\" (expected: host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25)"),
                tuple(5, "cluster.discovery", "\"multicast\" (expected: one of: none, tcp-ip, kubernetes)"),
                tuple(6, "cluster.members", "\"127.0.0.1:5701\" (expected: a list of host:port)"),
                tuple(7, "cluster.kubernetes-service",
                        "\"sluice hz\" (expected: a host name such as mx.example.net)"),
                tuple(8, "cluster.on-unavailable",
                        "\"panic\" (expected: one of: local-fallback, fail-open, fail-closed)"),
                tuple(9, "cluster.decision-timeout",
                        "\"0ms\" (expected: a positive duration such as 500ms, 10s, 5m, 1h or 2d)"),
                tuple(10, "cluster.min-members", "\"0\" (expected: an integer >= 1)"),
                tuple(11, "cluster.lease-ttl",
                        "\"forever\" (expected: a positive duration such as 500ms, 10s, 5m, 1h or 2d)"),
                tuple(12, "cluster.public-address",
                        "\"203.0.113.5\" (expected: host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25)"),
                tuple(13, "cluster.port", "unknown key (expected one of: mode, name, bind, discovery, members,"
                        + " kubernetes-service, on-unavailable, decision-timeout, min-members, lease-ttl,"
                        + " public-address, secret-file, secret-env, client-port, max-buckets)"));
    }

    @Test
    void maxBucketsBelowOneThousandIsRefused() {
        ConfigException e = errors("""
                cluster:
                  max-buckets: 999
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(2, "cluster.max-buckets", "\"999\" (expected: an integer >= 1000)"));
    }

    @Test
    void discoveryNeedsWhatItDiscoversFrom() {
        ConfigException tcpIp = errors("cluster: {discovery: tcp-ip}\n");
        ConfigException tcpIpEmpty = errors("cluster:\n  discovery: tcp-ip\n  members: []\n");
        ConfigException kubernetes = errors("cluster:\n  discovery: kubernetes\n");
        ConfigException client = errors("cluster:\n  mode: client\n");

        assertThat(tcpIp.getMessage()).isEqualTo(
                "cluster.yaml: cluster.members: missing (expected: at least one host:port for tcp-ip discovery)"
                        + " at line 1");
        assertThat(tcpIpEmpty.getMessage()).isEqualTo("cluster.yaml: cluster.members: an empty list"
                + " (expected: at least one host:port for tcp-ip discovery) at line 3");
        assertThat(kubernetes.getMessage()).isEqualTo("cluster.yaml: cluster.kubernetes-service: missing"
                + " (expected: the DNS name of the members' headless Service for kubernetes discovery, such as"
                + " sluice-hz.mail.svc.cluster.local) at line 1");
        assertThat(client.getMessage()).isEqualTo("cluster.yaml: cluster.members: missing"
                + " (expected: the cluster's addresses as host:port in client mode) at line 1");
    }

    @Test
    void settingsThatWouldBeIgnoredAreReported() {
        ConfigException e = errors("""
                cluster:
                  discovery: kubernetes
                  kubernetes-service: sluice-hz.mail.svc.cluster.local
                  members: ["127.0.0.1:5701"]
                """);
        ConfigException none = errors("""
                cluster:
                  discovery: none
                  members: ["127.0.0.1:5701"]
                  kubernetes-service: sluice-hz
                  min-members: 2
                """);
        ConfigException local = errors("""
                cluster:
                  mode: local
                  discovery: tcp-ip
                  members: ["127.0.0.1:5701"]
                """);
        ConfigException client = errors("""
                cluster:
                  mode: client
                  discovery: kubernetes
                  members: ["127.0.0.1:5701"]
                  kubernetes-service: sluice-hz
                  public-address: "127.0.0.1:15701"
                """);
        ConfigException tooFew = errors("""
                cluster:
                  members: ["127.0.0.1:5701", "127.0.0.1:5702"]
                  min-members: 3
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(4, "cluster.members", "a list (expected: no members unless discovery is"
                        + " tcp-ip)"));
        assertThat(none.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(
                        tuple(3, "cluster.members", "a list (expected: no members unless discovery is tcp-ip)"),
                        tuple(4, "cluster.kubernetes-service",
                                "\"sluice-hz\" (expected: no kubernetes-service unless discovery is kubernetes)"),
                        tuple(5, "cluster.min-members",
                                "\"2\" (expected: 1 with discovery none, which makes a cluster of this member"
                                        + " alone)"));
        assertThat(local.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(
                        tuple(3, "cluster.discovery", "\"tcp-ip\" (expected: none in local mode)"),
                        tuple(4, "cluster.members", "a list (expected: no members in local mode)"));
        assertThat(client.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(
                        tuple(3, "cluster.discovery",
                                "\"kubernetes\" (expected: none in client mode, which connects to the members"
                                        + " listed)"),
                        tuple(6, "cluster.public-address",
                                "\"127.0.0.1:15701\" (expected: no public-address unless mode is embedded)"));
        assertThat(tooFew.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(3, "cluster.min-members",
                        "\"3\" (expected: at most 2, the number of members listed)"));
    }

    @Test
    void theSecretComesFromAFileOrAVariableAndIsNeverShown(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("secret"), SECRET_TEXT + "\n");
        Path tooShort = Files.writeString(dir.resolve("short"), "s3cret-but-short\n");

        ClusterConfig fromFile = cluster("cluster:\n  members: [\"127.0.0.1:5701\"]\n  secret-file: " + file + "\n");
        ConfigException shortFile = errors("cluster:\n  secret-file: " + tooShort + "\n");
        ConfigException unset = errors("cluster:\n  secret-env: SLUICE_UNSET_SECRET\n");
        ConfigException both = errors("cluster:\n  secret-file: " + file
                + "\n  secret-env: SLUICE_CLUSTER_SECRET\n");

        assertThat(fromFile.secret()).contains(SECRET);
        assertThat(fromFile.toString()).doesNotContain(SECRET_TEXT);
        assertThat(shortFile.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(2, "cluster.secret-file", tooShort + " holds 16 characters (expected: at"
                        + " least 32 characters, such as `openssl rand -hex 32` prints)"));
        assertThat(shortFile.getMessage()).doesNotContain("s3cret");
        assertThat(unset.errors()).extracting(ConfigError::line, ConfigError::path).containsExactly(
                tuple(2, "cluster.secret-env"));
        assertThat(both.errors()).extracting(ConfigError::line, ConfigError::path).containsExactly(
                tuple(3, "cluster.secret-env"));
    }

    @Test
    void aClusterOthersCanJoinOrTalkToNeedsASecret() {
        List<String> open = List.of(
                "cluster: {members: [\"127.0.0.1:5701\"]}\n",
                "cluster: {discovery: kubernetes, kubernetes-service: sluice-hz.mail.svc.cluster.local}\n",
                "cluster: {mode: client, members: [\"127.0.0.1:5701\"]}\n",
                "cluster: {client-port: 5702}\n");

        for (String yaml : open) {
            assertThat(errors(yaml).errors()).as(yaml)
                    .extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                    .containsExactly(tuple(1, "cluster", "secret-file or secret-env: missing (expected: a secret"
                            + " shared by every node, since other processes take part (tcp-ip or kubernetes"
                            + " discovery, client mode, or a client port))"));
        }
    }

    @Test
    void clientsGetAPortOfTheirOwnOnAnEmbeddedMemberOnly() {
        ConfigException samePort = errors("cluster:\n  client-port: 5701\n  secret-env: SLUICE_CLUSTER_SECRET\n");
        ConfigException clientMode = errors("cluster:\n  mode: client\n  members: [\"127.0.0.1:5701\"]\n"
                + "  client-port: 5702\n  secret-env: SLUICE_CLUSTER_SECRET\n");

        assertThat(samePort.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(2, "cluster.client-port",
                        "\"5701\" (expected: a port other than the member port 5701)"));
        assertThat(clientMode.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(4, "cluster.client-port",
                        "\"5702\" (expected: no client-port unless mode is embedded)"));
    }

    private static ClusterConfig cluster(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml + LISTENERS, "cluster.yaml", ENVIRONMENT::get).cluster();
    }

    private static ConfigException errors(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(yaml + LISTENERS, "cluster.yaml", ENVIRONMENT::get));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
