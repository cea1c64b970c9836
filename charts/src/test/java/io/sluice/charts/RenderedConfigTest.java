package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.sluice.config.Cidr;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.EgressDestinations;
import io.sluice.config.FeedbackRule;
import io.sluice.config.SluiceConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The configuration files the chart renders pass Sluice's own validation, as `sluice check-config` would. */
class RenderedConfigTest {

    @TempDir
    Path mounts;

    @Test
    void defaultInboundConfigurationIsValid() throws Exception {
        SluiceConfig config = ConfigLoader.parse(asMounted(Chart.defaults().config("mx-sluice-inbound")), "inbound");

        assertThat(config.listenerNames()).containsExactly("mx");
        assertThat(config.drain().announce()).hasSeconds(5);
    }

    @Test
    void productionInboundConfigurationIsValid() throws Exception {
        SluiceConfig config = ConfigLoader.parse(asMounted(Chart.production().config("mx-sluice-inbound")),
                "inbound");

        assertThat(config.listeners()).singleElement().satisfies(listener -> {
            assertThat(listener.proxyProtocol()).isPresent();
            assertThat(listener.tls()).isPresent();
        });
        assertThat(config.admin()).hasValueSatisfying(admin -> assertThat(admin.tokenFile()).isPresent());
    }

    @Test
    void productionEgressConfigurationsAreValid() throws Exception {
        Chart chart = Chart.production();
        for (String pool : new String[] {"normal", "fallback"}) {
            String yaml = asStarted(chart, pool);
            assertThatCode(() -> ConfigLoader.parse(yaml, pool)).doesNotThrowAnyException();
            // The MTAs' own IPPool, far less than the /8 Sluice allows without acknowledgement.
            assertThat(ConfigLoader.parse(yaml, pool).listeners().get(0).allowedClients())
                    .containsExactly(Cidr.parse("10.245.16.0/24"));
        }
    }

    @Test
    void aRelayWiderThanASlash8FailsTheCheckUnlessAcknowledged() throws Exception {
        Map<String, Object> wide = Map.of("egress.allowedClients[0]", "10.0.0.0/7");
        String refused = asStarted(Chart.render(Chart.PRODUCTION, wide), "normal");

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(refused, "normal"));
        assertThat(e).isNotNull();
        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.path()).isEqualTo("listeners[0].allowed-clients");
            assertThat(error.message()).contains("admit 2^25 IPv4 addresses", "at most 2^24");
        });

        Map<String, Object> acknowledged = new HashMap<>(wide);
        acknowledged.put("egress.allowedClientsOpen", true);
        String open = asStarted(Chart.render(Chart.PRODUCTION, acknowledged), "normal");
        assertThat(ConfigLoader.parse(open, "normal").listeners().get(0).allowedClients())
                .containsExactly(Cidr.parse("10.0.0.0/7"));
    }

    /** An egress pool's file as its container hands it to Sluice: the pod's address in place of the marker. */
    private String asStarted(Chart chart, String pool) throws IOException {
        return asMounted(chart.config("mx-sluice-egress-" + pool).replace("__POD_IP__", "10.200.0.7"));
    }

    @Test
    void egressDestinationExceptionsReachTheConfiguration() throws Exception {
        Chart chart = Chart.render(Chart.PRODUCTION, Map.of("egress.allowed-destinations[0]", "10.20.0.0/24",
                "egress.denied-destinations[0]", "198.51.100.0/24"));
        String yaml = chart.config("mx-sluice-egress-normal").replace("__POD_IP__", "10.200.0.7");

        SluiceConfig config = ConfigLoader.parse(asMounted(yaml), "normal");

        assertThat(config.egress().destinations()).isEqualTo(new EgressDestinations(
                List.of(Cidr.parse("10.20.0.0/24")), List.of(Cidr.parse("198.51.100.0/24"))));
        // Left out, the built-in rule alone applies.
        String defaults = Chart.production().config("mx-sluice-egress-normal").replace("__POD_IP__", "10.200.0.7");
        assertThat(ConfigLoader.parse(asMounted(defaults), "normal").egress().destinations())
                .isEqualTo(EgressDestinations.DEFAULT);
    }

    @Test
    void egressFeedbackReachesTheConfigurationAndAnEmptyListTurnsTheDefaultsOff() throws Exception {
        Chart chart = Chart.render(Chart.PRODUCTION, Map.of("egress.feedback[0].name", "tss04",
                "egress.feedback[0].code", 421, "egress.feedback[0].text", "TSS04",
                "egress.feedback[0].action", "suspend-source", "egress.feedback[0].duration", "10m"));
        // An empty list does not survive --set: the production values with one added.
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        ObjectNode values = (ObjectNode) yaml.readTree(Chart.PRODUCTION.toFile());
        ((ObjectNode) values.get("egress")).putArray("feedback");
        Path withoutFeedback = mounts.resolve("feedback-off.yaml");
        yaml.writeValue(withoutFeedback.toFile(), values);
        Chart off = Chart.render(withoutFeedback, Map.of());

        assertThat(ConfigLoader.parse(asStarted(chart, "normal"), "normal").egress().feedback())
                .extracting(FeedbackRule::name).containsExactly("tss04");
        assertThat(ConfigLoader.parse(asStarted(off, "normal"), "normal").egress().feedback()).isEmpty();
        assertThat(ConfigLoader.parse(asStarted(Chart.production(), "normal"), "normal").egress().feedback())
                .as("left out").isEqualTo(FeedbackRule.DEFAULTS);
    }

    @Test
    void mtaStsSettingsReachTheConfigurationAndPoolsHoldToPoliciesByDefault() throws Exception {
        Chart chart = Chart.render(Chart.PRODUCTION, Map.of("egress.mta-sts.fetch-timeout", "3s",
                "egress.mta-sts.max-policy-size", "16KiB", "egress.mta-sts.check-interval", "10m"));
        String yaml = chart.config("mx-sluice-egress-normal").replace("__POD_IP__", "10.200.0.7");

        SluiceConfig config = ConfigLoader.parse(asMounted(yaml), "normal");

        assertThat(config.egress().mtaSts().fetchTimeout()).isEqualTo(java.time.Duration.ofSeconds(3));
        assertThat(config.egress().mtaSts().maxPolicySize()).isEqualTo(16 * 1024);
        assertThat(config.egress().mtaSts().checkInterval()).isEqualTo(java.time.Duration.ofMinutes(10));
        assertThat(config.egress().pools().get("normal").tls()).isEqualTo(io.sluice.config.EgressTls.POLICY);
    }

    /** The text with the pod's mounts (the Secrets' files) in a directory of the test's own. */
    private String asMounted(String yaml) throws IOException {
        Files.createDirectories(mounts.resolve("secrets"));
        Files.writeString(mounts.resolve("secrets/admin-tokens"), "ops:0123456789abcdef0123456789abcdef\n");
        Files.createDirectories(mounts.resolve("cluster"));
        Files.writeString(mounts.resolve("cluster/cluster-secret"), "rendered-config-test-cluster-secret-0123456789\n");
        Files.createDirectories(mounts.resolve("tls"));
        Files.writeString(mounts.resolve("tls/tls.crt"), "certificate\n");
        Files.writeString(mounts.resolve("tls/tls.key"), "key\n");
        return yaml.replace("/etc/sluice/", mounts + "/");
    }
}
