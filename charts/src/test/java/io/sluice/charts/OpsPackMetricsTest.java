package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.ConfigLoader;
import io.sluice.config.HostPort;
import io.sluice.config.ListenerConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.proxy.SluiceServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every metric the dashboard, the alert rules and the metrics catalogue name is one a running Sluice serves at
 * {@code /metrics}, and every Sluice metric it serves is in the catalogue.
 */
@Timeout(60)
class OpsPackMetricsTest {

    private static final Path OPS = Chart.DIR.resolve("ops");
    private static final Path CATALOGUE = Path.of("..", "docs", "metrics.md");
    private static final Pattern METRIC = Pattern.compile("\\b(?:sluice|jvm|process)_[a-z0-9_]+\\b");

    @TempDir
    static Path keys;
    private static SluiceServer server;
    private static Set<String> served;

    @BeforeAll
    static void startSluiceAndScrape() throws Exception {
        int hazelcastPort;
        try (ServerSocket free = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            hazelcastPort = free.getLocalPort();
        }
        // A certificate for the inbound listener, whose expiry is a metric.
        Path cert = keys.resolve("tls.crt");
        Path key = keys.resolve("tls.key");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=mx.sluice.test", "-days", "30",
                "-keyout", key.toString(), "-out", cert.toString()).redirectErrorStream(true).start();
        openssl.getOutputStream().close();
        String said = new String(openssl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(openssl.waitFor()).as(said).isZero();
        SluiceConfig file = ConfigLoader.parse("""
                listeners:
                  - {name: mx, role: inbound, bind: "127.0.0.1:2525", backend-pool: mta,
                     tls: {cert: "%s", key: "%s"}}
                  - {name: relay, role: outbound, bind: "127.0.0.1:2526", egress-pool: normal,
                     allowed-clients: ["127.0.0.0/8"]}
                egress:
                  pools:
                    normal: {sources: [{address: 127.0.0.10, helo: out.example.net}]}
                backends:
                  mta: {servers: ["127.0.0.1:9"], health-check: {interval: 1h}, admission: {mode: shadow}}
                cluster: {mode: embedded, bind: "127.0.0.1:%d", discovery: none}
                policy:
                  limits:
                    - {name: per-ip, key: client-ip, counts: connections, rate: 30/1m}
                    - {name: shared, key: global, counts: connections, rate: 1000/1s, fair-share: client-net}
                """.formatted(cert, key, hazelcastPort), "metrics-test");
        // Ephemeral ports, which only a configuration built in code may ask for.
        List<ListenerConfig> listeners = file.listeners().stream().map(listener -> new ListenerConfig(
                listener.name(), listener.role(), new HostPort("127.0.0.1", 0), listener.backendPool(),
                listener.proxyProtocol(), listener.tls(), listener.egressPool(), listener.allowedClients())).toList();
        server = SluiceServer.start(new SluiceConfig(file.smtp(), listeners, file.backends(), file.cluster(),
                file.policy(), file.admin().map(admin -> admin.withBind(new HostPort("127.0.0.1", 0))), file.drain(),
                file.egress()));
        // A rule's counters appear with its first decision, taken at connect.
        InetSocketAddress listener = server.addresses().get("mx");
        try (Socket client = new Socket(listener.getAddress(), listener.getPort())) {
            client.setSoTimeout(10_000);
            InputStream in = client.getInputStream();
            assertThat(in.read()).as("a reply to the connection").isNotNegative();
        }
        // GC pause timers appear with the first collection after start, told asynchronously.
        System.gc();
        served = Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(OpsPackMetricsTest::scrape, names -> names.contains("jvm_gc_pause_seconds_count"));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
    }

    private static Set<String> scrape() throws IOException, InterruptedException {
        int port = server.adminAddress().orElseThrow().getPort();
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                        .timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        Set<String> names = new TreeSet<>();
        response.body().lines().filter(line -> !line.startsWith("#") && !line.isBlank())
                .forEach(line -> names.add(line.split("[{ ]", 2)[0]));
        return names;
    }

    @Test
    void dashboardNamesOnlyServedMetrics() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(OPS.resolve("dashboard.json").toFile());
        Set<String> named = new TreeSet<>();
        dashboard.findValues("expr").forEach(expr -> named.addAll(metrics(expr.asText())));
        dashboard.findValues("definition").forEach(query -> named.addAll(metrics(query.asText())));

        assertThat(named).contains("sluice_limit_decisions_total", "sluice_sessions_active",
                "jvm_memory_used_bytes", "jvm_gc_pause_seconds_sum");
        assertServed(named);
    }

    @Test
    void alertRulesNameOnlyServedMetrics() throws IOException {
        JsonNode rules = Pods.yaml(Files.readString(OPS.resolve("alerts.yaml")));
        Set<String> named = new TreeSet<>();
        rules.findValues("expr").forEach(expr -> named.addAll(metrics(expr.asText())));

        assertThat(named).contains("sluice_cluster_fallback", "sluice_node_draining", "sluice_backend_servers",
                "sluice_tls_certificate_expiry_seconds", "sluice_tls_reloads_total");
        assertServed(named);
    }

    @Test
    void catalogueListsEveryServedSluiceMetricAndNoOther() throws IOException {
        Set<String> documented = metrics(Files.readString(CATALOGUE));
        Set<String> servedSluice = new TreeSet<>(served);
        servedSluice.removeIf(name -> !name.startsWith("sluice_"));
        // Histograms and counters are documented by their base name.
        Set<String> servedBase = new TreeSet<>();
        servedSluice.forEach(name -> servedBase.add(name.replaceAll("_(bucket|count|sum|max)$", "")));

        assertThat(documented).containsAll(servedBase);
        assertServed(documented);
    }

    private void assertServed(Set<String> named) {
        Set<String> missing = new TreeSet<>(named);
        missing.removeAll(served);
        // A histogram documented by its base name is served as _bucket, _count and _sum.
        missing.removeIf(name -> served.contains(name + "_count"));
        assertThat(missing).as("named but not served by Sluice (served: %s)", served).isEmpty();
    }

    private static Set<String> metrics(String text) {
        Set<String> names = new TreeSet<>();
        Matcher matcher = METRIC.matcher(text);
        while (matcher.find()) {
            names.add(matcher.group());
        }
        return names;
    }
}
