package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {

    private static final String MINIMAL = """
            listeners:
              - name: mx
                role: inbound
                bind: "127.0.0.1:2525"
                backend-pool: mta
            backends:
              mta:
                servers: ["127.0.0.1:2526"]
            """;

    @TempDir
    Path dir;

    @Test
    void exampleLoads() throws ConfigException {
        // Surefire runs in the module directory.
        SluiceConfig config = ConfigLoader.load(Path.of("examples", "local.yaml"));

        assertThat(config.listeners()).singleElement().satisfies(listener -> {
            assertThat(listener.name()).isEqualTo("mx");
            assertThat(listener.role()).isEqualTo(ListenerRole.INBOUND);
            assertThat(listener.bind()).isEqualTo(new HostPort("127.0.0.1", 2525));
            assertThat(listener.backendPool()).isEqualTo("mta");
            assertThat(listener.proxyProtocol()).isEmpty();
            assertThat(listener.tls()).isEmpty();
        });
        assertThat(config.backends()).containsOnlyKeys("mta");
        BackendPoolConfig mta = config.backends().get("mta");
        assertThat(mta.servers()).containsExactly(new HostPort("127.0.0.1", 2526));
        assertThat(mta.tls()).isEqualTo(BackendTls.NONE);
        assertThat(config.cluster()).isEqualTo(ClusterConfig.EMBEDDED_DEFAULT);
        assertThat(config.policy().limits()).singleElement().satisfies(rule -> {
            assertThat(rule.key()).isEqualTo(RuleKey.GLOBAL);
            assertThat(rule.counts()).isEqualTo(Counted.MESSAGES);
            assertThat(rule.rate()).isEqualTo(new Rate(500, Duration.ofSeconds(1)));
            assertThat(rule.reply()).map(RuleReply::toString)
                    .contains("451 4.7.1 Too much mail at once, try again later");
        });
        assertThat(config.policy().concurrency()).singleElement().satisfies(rule -> {
            assertThat(rule.key()).isEqualTo(RuleKey.CLIENT_IP);
            assertThat(rule.max()).isEqualTo(20);
            assertThat(rule.reply()).hasValueSatisfying(reply -> assertThat(reply.closesConnection()).isTrue());
        });
    }

    @Test
    void leftOutKeysTakeTheirDefaults() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(MINIMAL, "minimal.yaml");

        SmtpTimeouts rfc5321 = new SmtpTimeouts(Duration.ofMinutes(5), Duration.ofMinutes(5), Duration.ofMinutes(5),
                Duration.ofMinutes(2), Duration.ofMinutes(3), Duration.ofMinutes(10));
        assertThat(config.smtp()).isEqualTo(
                new SmtpConfig(localHostName(), 50L * 1024 * 1024, 1000, 20, BareLineEndings.REJECT, rfc5321));
        assertThat(config.backends().get("mta")).isEqualTo(new BackendPoolConfig("mta",
                List.of(new HostPort("127.0.0.1", 2526)), true, BackendTls.NONE, Duration.ofSeconds(5),
                new HealthCheckConfig(Duration.ofSeconds(10), Duration.ofSeconds(5)),
                new ConnectionReuseConfig(16, Duration.ofSeconds(10), 100)));
        assertThat(config.listeners().get(0).proxyProtocol()).isEmpty();
        assertThat(config.listeners().get(0).tls()).isEmpty();
        assertThat(config.cluster()).isEqualTo(ClusterConfig.EMBEDDED_DEFAULT);
        assertThat(config.policy()).isEqualTo(PolicyConfig.EMPTY);
    }

    @Test
    void proxyProtocolTimeoutDefaultsToTenSeconds() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(MINIMAL.replace("    backend-pool: mta\n",
                "    backend-pool: mta\n    proxy-protocol: {trusted: [\"10.0.0.0/8\"]}\n"), "p.yaml");

        assertThat(config.listeners().get(0).proxyProtocol())
                .contains(new ProxyProtocolConfig(List.of(Cidr.parse("10.0.0.0/8")), Duration.ofSeconds(10)));
    }

    @Test
    void everyKeyIsRead() throws Exception {
        Files.createDirectories(dir.resolve("tls"));
        Files.writeString(dir.resolve("tls/cert.pem"), "cert");
        Files.writeString(dir.resolve("tls/key.pem"), "key");
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, """
                smtp:
                  hostname: mx.example.net
                  max-message-size: 10MB
                  max-recipients: 100
                  max-errors: 3
                  bare-line-endings: normalize
                  timeouts:
                    command: 1m
                    backend-greeting: 30s
                    backend-command: 45s
                    backend-data-init: 500ms
                    backend-data-block: 2h
                    backend-data-termination: 1d
                listeners:
                  - name: mx-1
                    role: inbound
                    bind: "[::1]:25"
                    backend-pool: mta
                    proxy-protocol:
                      trusted: ["10.0.0.0/8", "::1"]
                      timeout: 3s
                    tls:
                      cert: tls/cert.pem
                      key: tls/key.pem
                backends:
                  mta:
                    servers: ["mx1.internal:2526", "192.0.2.7:25"]
                    xclient: false
                    tls: starttls
                    connect-timeout: 2s
                    health-check: { interval: 1m, timeout: 1s }
                    reuse: { max-idle: 0, idle-timeout: 3s, max-uses: 7 }
                drain:
                  announce: 0s
                  timeout: 45s
                """);

        SluiceConfig config = ConfigLoader.load(file);

        assertThat(config).isEqualTo(new SluiceConfig(
                new SmtpConfig("mx.example.net", 10_000_000, 100, 3, BareLineEndings.NORMALIZE,
                        new SmtpTimeouts(Duration.ofMinutes(1), Duration.ofSeconds(30), Duration.ofSeconds(45),
                                Duration.ofMillis(500), Duration.ofHours(2), Duration.ofDays(1))),
                List.of(new ListenerConfig("mx-1", ListenerRole.INBOUND, new HostPort("::1", 25), "mta",
                        Optional.of(new ProxyProtocolConfig(
                                List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("::1/128")), Duration.ofSeconds(3))),
                        Optional.of(new TlsConfig(dir.resolve("tls/cert.pem"), dir.resolve("tls/key.pem"))))),
                Map.of("mta", new BackendPoolConfig("mta",
                        List.of(new HostPort("mx1.internal", 2526), new HostPort("192.0.2.7", 25)), false,
                        BackendTls.STARTTLS, Duration.ofSeconds(2),
                        new HealthCheckConfig(Duration.ofMinutes(1), Duration.ofSeconds(1)),
                        new ConnectionReuseConfig(0, Duration.ofSeconds(3), 7))),
                ClusterConfig.EMBEDDED_DEFAULT, PolicyConfig.EMPTY, Optional.of(AdminConfig.DEFAULT),
                new DrainConfig(Duration.ZERO, Duration.ofSeconds(45))));
    }

    @Test
    void nullValuesCountAsLeftOut() throws ConfigException {
        // `key:` with nothing after it, as left behind when every line under a section is commented out.
        SluiceConfig config = ConfigLoader.parse("smtp:\n  hostname:\n  timeouts:\n" + MINIMAL.replace(
                "    backend-pool: mta\n", "    backend-pool: mta\n    proxy-protocol:\n    tls:\n"), "null.yaml");

        assertThat(config.smtp().hostname()).isEqualTo(localHostName());
        assertThat(config.smtp().timeouts().command()).isEqualTo(Duration.ofMinutes(5));
        assertThat(config.listeners().get(0).proxyProtocol()).isEmpty();
        assertThat(config.listeners().get(0).tls()).isEmpty();
    }

    @Test
    void parseResolvesTlsPathsAgainstTheCurrentDirectory() throws ConfigException {
        // pom.xml exists in the module directory, where Surefire runs.
        SluiceConfig config = ConfigLoader.parse(MINIMAL.replace("    backend-pool: mta\n",
                "    backend-pool: mta\n    tls: {cert: pom.xml, key: ./pom.xml}\n"), "text");

        Path pom = Path.of("pom.xml").toAbsolutePath();
        assertThat(config.listeners().get(0).tls()).contains(new TlsConfig(pom, pom));
    }

    @Test
    void tlsFilesMustExist() throws Exception {
        Files.writeString(dir.resolve("cert.pem"), "cert");
        Path file = dir.resolve("sluice.yaml");
        Files.writeString(file, MINIMAL.replace("    backend-pool: mta\n",
                "    backend-pool: mta\n    tls:\n      cert: cert.pem\n      key: missing.pem\n"));

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));

        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.path()).isEqualTo("listeners[0].tls.key");
            assertThat(error.line()).isEqualTo(8);
            assertThat(error.message()).startsWith("\"missing.pem\" (expected: the path of a readable file; ")
                    .contains(dir.resolve("missing.pem").toString());
        });
    }

    @Test
    void missingFileIsNamed() {
        Path file = dir.resolve("nowhere.yaml");

        assertThatThrownBy(() -> ConfigLoader.load(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ": file not found");
    }

    @Test
    void directoryCannotBeRead() {
        assertThatThrownBy(() -> ConfigLoader.load(dir))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(dir + ": cannot read file");
    }

    @Test
    void recordsAreImmutableAndKeepFileOrder() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(MINIMAL + """
                  zeta:
                    servers: ["127.0.0.1:1"]
                  alpha:
                    servers: ["127.0.0.1:2"]
                """, "order.yaml");

        assertThat(config.backends().keySet()).containsExactly("mta", "zeta", "alpha");
        assertThatThrownBy(() -> config.backends().remove("mta")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.listeners().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> config.backends().get("mta").servers().clear())
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void constructorsCopyTheirCollections() {
        List<ListenerConfig> listeners = new ArrayList<>();
        Map<String, BackendPoolConfig> backends = new LinkedHashMap<>();
        List<HostPort> servers = new ArrayList<>(List.of(new HostPort("127.0.0.1", 1)));
        BackendPoolConfig pool = new BackendPoolConfig("b", servers, true, BackendTls.NONE, Duration.ofSeconds(1),
                new HealthCheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(1)), ConnectionReuseConfig.DISABLED);
        backends.put("b", pool);
        SmtpConfig smtp = new SmtpConfig("h", 1, 1, 1, BareLineEndings.REJECT, new SmtpTimeouts(Duration.ofSeconds(1),
                Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1), Duration.ofSeconds(1),
                Duration.ofSeconds(1)));
        SluiceConfig config = new SluiceConfig(smtp, listeners, backends);

        servers.add(new HostPort("127.0.0.1", 2));
        backends.put("c", pool);
        listeners.add(new ListenerConfig("l", ListenerRole.INBOUND, new HostPort("127.0.0.1", 0), "b",
                Optional.empty(), Optional.empty()));

        assertThat(pool.servers()).hasSize(1);
        assertThat(config.backends()).containsOnlyKeys("b");
        assertThat(config.listeners()).isEmpty();
    }

    static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
