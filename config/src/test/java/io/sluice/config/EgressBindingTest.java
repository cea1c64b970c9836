package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class EgressBindingTest {

    // An outbound listener and its pool, the first six lines: the keys tested follow from line 7 on.
    static final String ONE_POOL = """
            listeners:
              - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: p,
                 allowed-clients: ["10.0.0.0/8"]}
            egress:
              pools:
                p: {sources: [{address: 127.0.0.10, helo: out.example.net}]}
            """;

    @Test
    void theOutboundExampleLoads() throws Exception {
        SluiceConfig config = ConfigLoader.load(Path.of("examples", "outbound.yaml"));

        ListenerConfig relay = config.listeners().get(0);
        assertThat(relay.role()).isEqualTo(ListenerRole.OUTBOUND);
        assertThat(relay.egressPool()).isEqualTo("normal");
        assertThat(relay.allowedClients()).containsExactly(Cidr.parse("127.0.0.0/8"));
        assertThat(relay.backendPool()).isEmpty();
        EgressConfig egress = config.egress();
        assertThat(egress.dns().servers()).containsExactly(new HostPort("127.0.0.1", 53));
        assertThat(egress.remotePort()).isEqualTo(25);
        assertThat(egress.pools().keySet()).containsExactly("normal", "fallback");
        EgressPoolConfig normal = egress.pools().get("normal");
        assertThat(normal.selection()).isEqualTo(EgressSelection.ROUND_ROBIN);
        assertThat(normal.tls()).isEqualTo(EgressTls.POLICY);
        assertThat(normal.sources()).containsExactly(
                new EgressSource(InetAddress.getByName("127.0.0.10"), "out1.example.net"),
                new EgressSource(InetAddress.getByName("127.0.0.11"), "out2.example.net"));
        assertThat(egress.pools().get("fallback").selection()).isEqualTo(EgressSelection.STICKY_DOMAIN);
    }

    @Test
    void defaultsApplyToWhatIsLeftOut() throws Exception {
        SluiceConfig config = ConfigLoader.parse("""
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: p,
                     allowed-clients: ["10.0.0.0/8"]}
                egress:
                  pools:
                    p: {sources: [{address: "2001:db8::10", helo: out.example.net}]}
                """, "defaults.yaml");

        EgressConfig egress = config.egress();
        assertThat(egress.dns()).isEqualTo(DnsConfig.DEFAULT);
        assertThat(egress.connectTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(egress.remotePort()).isEqualTo(25);
        assertThat(egress.pools().get("p").selection()).isEqualTo(EgressSelection.ROUND_ROBIN);
        assertThat(egress.pools().get("p").tls()).isEqualTo(EgressTls.POLICY);
        assertThat(egress.mtaSts()).isEqualTo(MtaStsConfig.DEFAULT);
        assertThat(egress.destinations()).isEqualTo(EgressDestinations.DEFAULT);
        assertThat(egress.sites()).isEmpty();
        assertThat(egress.reuse()).isEqualTo(new ConnectionReuseConfig(16, Duration.ofSeconds(5), 100));
        assertThat(config.backends()).isEmpty();
    }

    @Test
    void sitesAndReuseBind() throws Exception {
        SluiceConfig config = ConfigLoader.parse(ONE_POOL + """
                  sites:
                    - {name: google, mx-suffixes: [".google.com", ".GoogleMail.com"]}
                    - {name: one-host, mx-suffixes: [mx.example.org]}
                  reuse: {max-idle: 4, idle-timeout: 2s, max-uses: 10}
                """, "sites.yaml");

        EgressConfig egress = config.egress();
        assertThat(egress.sites()).containsExactly(new EgressSite("google", List.of(".google.com", ".googlemail.com")),
                new EgressSite("one-host", List.of("mx.example.org")));
        assertThat(egress.sites().get(0).matches("alt1.aspmx.l.google.com")).isTrue();
        assertThat(egress.sites().get(0).matches("google.com")).isFalse();
        assertThat(egress.sites().get(1).matches("mx.example.org")).isTrue();
        assertThat(egress.sites().get(1).matches("a.mx.example.org")).isFalse();
        assertThat(egress.reuse()).isEqualTo(new ConnectionReuseConfig(4, Duration.ofSeconds(2), 10));
    }

    @Test
    void siteAndReuseMistakesAreReportedWithPathAndLine() {
        ConfigException e = errors(ONE_POOL + """
                  sites:
                    - {name: google, mx-suffixes: [".google.com"]}
                    - {name: google, mx-suffixes: ["not a host"]}
                    - {name: empty, mx-suffixes: [], weight: 2}
                  reuse: {max-idle: -1, max-uses: 0}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(9, "egress.sites[1].mx-suffixes[0]", "\"not a host\" (expected: a list of at least one MX host"
                        + " suffix such as .google.com, or a host name)"),
                tuple(9, "egress.sites[1].name", "\"google\" (expected: a name no other site has; egress.sites[0].name"
                        + " is also \"google\")"),
                tuple(10, "egress.sites[2].mx-suffixes", "an empty list (expected: a list of at least one MX host suffix such as"
                        + " .google.com, or a host name)"),
                tuple(10, "egress.sites[2].weight", "unknown key (expected one of: name, mx-suffixes)"),
                tuple(11, "egress.reuse.max-idle", "\"-1\" (expected: an integer >= 0)"),
                tuple(11, "egress.reuse.max-uses", "\"0\" (expected: an integer >= 1)"));
    }

    @Test
    void mtaStsSettingsBind() throws Exception {
        Path authorities = java.nio.file.Files.createTempFile("authorities", ".pem");
        try {
            SluiceConfig config = ConfigLoader.parse(ONE_POOL + """
                      mta-sts: {fetch-timeout: 3s, max-policy-size: 1KiB, cache-size: 5, check-interval: 10m,
                                https-port: 8443, trusted-authorities: "%s"}
                    """.formatted(authorities), "mta-sts.yaml");

            assertThat(config.egress().mtaSts()).isEqualTo(new MtaStsConfig(Duration.ofSeconds(3), 1024, 5,
                    Duration.ofMinutes(10), 8443, java.util.Optional.of(authorities.toAbsolutePath().normalize())));
        } finally {
            java.nio.file.Files.delete(authorities);
        }
    }

    @Test
    void mtaStsMistakesAreReportedWithPathAndLine() {
        ConfigException e = errors(ONE_POOL + """
                  mta-sts: {fetch-timeout: soon, max-policy-size: 10, cache-size: 0, trusted-authorities: nowhere.pem,
                            retries: 2}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path).containsExactly(
                tuple(7, "egress.mta-sts.fetch-timeout"),
                tuple(7, "egress.mta-sts.max-policy-size"),
                tuple(7, "egress.mta-sts.cache-size"),
                tuple(7, "egress.mta-sts.trusted-authorities"),
                tuple(8, "egress.mta-sts.retries"));
    }

    @Test
    void tlsReportsBindAndAreOffByDefault() throws Exception {
        assertThat(ConfigLoader.parse(ONE_POOL, "off.yaml").egress().tlsReports()).isEqualTo(TlsReportsConfig.DISABLED);

        SluiceConfig config = ConfigLoader.parse("""
                listeners:
                  - {name: relay, role: outbound, bind: "0.0.0.0:10025", egress-pool: p,
                     allowed-clients: ["10.244.0.0/16", "127.0.0.1/32"]}
                egress:
                  pools:
                    p: {sources: [{address: 127.0.0.10, helo: out.example.net}]}
                  tls-reports: {enabled: true, organization: Example Mail, contact: "mailto:postmaster@example.net",
                                from: tlsrpt@example.net, pool: p, send-at: "02:30", flush-interval: 1m, timeout: 30s}
                """, "tls-reports.yaml");

        TlsReportsConfig reports = config.egress().tlsReports();
        assertThat(reports).isEqualTo(new TlsReportsConfig(true, "Example Mail", "mailto:postmaster@example.net",
                "tlsrpt@example.net", "p", java.time.LocalTime.of(2, 30), Duration.ofMinutes(1),
                Duration.ofSeconds(30)));
        assertThat(reports.submitter()).isEqualTo("example.net");
    }

    @Test
    void tlsReportsMistakesAreReportedWithFilePathAndLine() {
        ConfigException e = errors(ONE_POOL + """
                  tls-reports: {enabled: true, contact: "", from: "a@b@example.net", pool: elsewhere,
                                send-at: "25:00", every: 1h}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path).containsExactly(
                tuple(7, "egress.tls-reports.contact"),
                tuple(7, "egress.tls-reports.from"),
                tuple(7, "egress.tls-reports.organization"),
                tuple(7, "egress.tls-reports.pool"),
                tuple(8, "egress.tls-reports.send-at"),
                tuple(8, "egress.tls-reports.every"));
        assertThat(e.errors()).allSatisfy(error -> assertThat(error.toString()).startsWith("egress.yaml"));
    }

    @Test
    void tlsReportsAreNotSentBeforeEveryNodeSharedTheDay() {
        ConfigException e = errors(ONE_POOL + """
                  tls-reports: {send-at: "00:05", flush-interval: 5m}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(7, "egress.tls-reports.send-at", "\"00:05\" (expected: a time of day, UTC, such as 01:00, at"
                        + " least twice flush-interval (5m) after midnight, when every node has shared its count of"
                        + " the day)"));
    }

    @Test
    void tlsReportsNeedAListenerOfTheirPoolThatTakesLoopback() {
        // The one listener of pool p admits 10.0.0.0/8 only: reports could not be submitted to it.
        ConfigException e = errors(ONE_POOL + """
                  tls-reports: {enabled: true, organization: Example Mail, contact: postmaster@example.net,
                                from: tlsrpt@example.net, pool: p}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(8, "egress.tls-reports.pool", "\"p\" (expected: the egress-pool of an outbound listener bound to"
                        + " a wildcard or loopback address whose allowed-clients include 127.0.0.1, through which"
                        + " reports are sent)"));
    }

    @Test
    void destinationExceptionsBind() throws Exception {
        SluiceConfig config = ConfigLoader.parse("""
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: p,
                     allowed-clients: ["10.0.0.0/8"]}
                egress:
                  allowed-destinations: ["127.0.0.0/8", "::1/128", "::ffff:10.1.0.0/112"]
                  denied-destinations: ["203.0.113.0/24"]
                  pools:
                    p: {sources: [{address: 127.0.0.10, helo: out.example.net}]}
                """, "destinations.yaml");

        EgressDestinations destinations = config.egress().destinations();
        // The IPv4-mapped form is read as the IPv4 network it names.
        assertThat(destinations.allowed()).containsExactly(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128"),
                Cidr.parse("10.1.0.0/16"));
        assertThat(destinations.denied()).containsExactly(Cidr.parse("203.0.113.0/24"));
    }

    @Test
    void destinationMistakesAreReportedWithPathAndLine() {
        ConfigException e = errors("""
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: p,
                     allowed-clients: ["10.0.0.0/8"]}
                egress:
                  pools:
                    p: {sources: [{address: 127.0.0.10, helo: out.example.net}]}
                  allowed-destinations:
                    - 0.0.0.0/0
                    - 10.0.0.1/8
                    - 198.51.100.0/24
                    - mx.internal.example
                  denied-destinations: 198.51.100.0/24
                """);
        ConfigException both = errors("""
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: p,
                     allowed-clients: ["10.0.0.0/8"]}
                egress:
                  pools:
                    p: {sources: [{address: 127.0.0.10, helo: out.example.net}]}
                  allowed-destinations: ["198.51.100.0/24"]
                  denied-destinations: ["198.51.100.0/24"]
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(8, "egress.allowed-destinations[0]", "\"0.0.0.0/0\" (expected: a network to deliver to"
                        + " although it is internal, not every address)"),
                tuple(9, "egress.allowed-destinations[1]",
                        "\"10.0.0.1/8\" (expected: no host bits set, as in 10.0.0.0/8)"),
                tuple(11, "egress.allowed-destinations[3]", "\"mx.internal.example\" (expected: a CIDR such as"
                        + " 10.0.0.0/8 or fd00::/8, or a single address)"),
                tuple(12, "egress.denied-destinations",
                        "\"198.51.100.0/24\" (expected: a list of CIDRs such as 10.1.2.0/24 or fd00::/8)"));
        assertThat(both.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(7, "egress.allowed-destinations[0]",
                        "\"198.51.100.0/24\" (expected: a network not also in denied-destinations)"));
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> new EgressDestinations(
                List.of(Cidr.parse("10.0.0.0/8")), List.of(Cidr.parse("10.0.0.0/8")))))
                .hasMessageContaining("expected: a network not also denied");
    }

    @Test
    void everyMistakeIsReportedWithPathAndLine() {
        ConfigException e = errors("""
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: nowhere,
                     allowed-clients: ["0.0.0.0/0"], backend-pool: mta}
                  - {name: fallback, role: outbound, bind: "127.0.0.1:10026", egress-pool: fallback}
                egress:
                  remote-port: 0
                  dns: {servers: ["resolver.example:53"], attempts: 0, cache-size: -1, ttl: 1h}
                  pools:
                    normal:
                      selection: random
                      tls: always
                      sources:
                        - {address: 203.0.113.10, helo: out1.example.net}
                        - {address: out2.example.net, helo: "bad helo"}
                    fallback:
                      sources:
                        - {address: 203.0.113.10, helo: fb1.example.net}
                        - {address: 0.0.0.0, helo: fb2.example.net, port: 25}
                    empty: {sources: []}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(2, "listeners[0].egress-pool",
                        "\"nowhere\" (expected: the name of a pool under egress.pools: normal, fallback, empty)"),
                tuple(3, "listeners[0].allowed-clients[0]", "\"0.0.0.0/0\" (expected: a network of the MTAs that"
                        + " relay through Sluice, not every address (an open relay))"),
                tuple(3, "listeners[0].backend-pool", "unknown key (expected one of: name, role, bind, egress-pool,"
                        + " allowed-clients, allowed-clients-open, tls)"),
                tuple(4, "listeners[1].allowed-clients", "missing (expected: a list of at least one CIDR of the MTAs"
                        + " that may relay, such as 10.244.0.0/16)"),
                tuple(6, "egress.remote-port", "\"0\" (expected: an integer 1-65535)"),
                tuple(7, "egress.dns.servers[0]",
                        "\"resolver.example:53\" (expected: an IP address and port, such as 10.96.0.10:53)"),
                tuple(7, "egress.dns.attempts", "\"0\" (expected: an integer >= 1)"),
                tuple(7, "egress.dns.cache-size", "\"-1\" (expected: an integer >= 0)"),
                tuple(7, "egress.dns.ttl", "unknown key (expected one of: servers, timeout, attempts, cache-size,"
                        + " max-ttl, negative-ttl, dane, trust-anchor)"),
                tuple(10, "egress.pools.normal.selection",
                        "\"random\" (expected: one of: round-robin, sticky-domain)"),
                tuple(11, "egress.pools.normal.tls", "\"always\" (expected: one of: none, opportunistic, required, policy)"),
                tuple(14, "egress.pools.normal.sources[1].address",
                        "\"out2.example.net\" (expected: an IP address such as 203.0.113.10 or 2001:db8::10)"),
                tuple(14, "egress.pools.normal.sources[1].helo",
                        "\"bad helo\" (expected: a host name such as mx.example.net)"),
                tuple(17, "egress.pools.fallback.sources[0].address", "\"203.0.113.10\" (expected: an address no"
                        + " other source has; egress.pools.normal.sources[0].address is also \"203.0.113.10\")"),
                tuple(18, "egress.pools.fallback.sources[1].address", "\"0.0.0.0\" (expected: the address of one"
                        + " interface of this host, not a wildcard or group)"),
                tuple(18, "egress.pools.fallback.sources[1].port",
                        "unknown key (expected one of: address, helo)"),
                tuple(19, "egress.pools.empty.sources",
                        "an empty list (expected: a list of at least one {address, helo})"));
    }

    @Test
    void anOutboundListenerNeedsPoolsToExist() {
        ConfigException e = errors("""
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: normal,
                     allowed-clients: ["10.0.0.0/8"]}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(2, "listeners[0].egress-pool",
                        "\"normal\" (expected: the name of a pool under egress.pools, which has none)"));
    }

    @Test
    void recordsRefuseMixedPoolsAndOpenListeners() throws Exception {
        InetAddress shared = InetAddress.getByName("203.0.113.10");
        EgressPoolConfig normal = new EgressPoolConfig("normal", List.of(new EgressSource(shared, "a.example")),
                EgressSelection.ROUND_ROBIN, EgressTls.NONE);
        EgressPoolConfig fallback = new EgressPoolConfig("fallback", List.of(new EgressSource(shared, "b.example")),
                EgressSelection.ROUND_ROBIN, EgressTls.NONE);

        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> new EgressConfig(DnsConfig.DEFAULT,
                java.util.Map.of("normal", normal, "fallback", fallback), Duration.ofSeconds(1), 25,
                EgressDestinations.DEFAULT)))
                .hasMessageContaining("source 203.0.113.10 is in pools");
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> ListenerConfig.outbound("relay",
                new HostPort("127.0.0.1", 0), "normal", List.of()))).hasMessageContaining("allowed-clients");
    }

    private static ConfigException errors(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "egress.yaml"));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
