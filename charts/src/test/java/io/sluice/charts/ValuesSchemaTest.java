package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** values.schema.json (and the templates' required values) stop a bad value at install time, naming it. */
class ValuesSchemaTest {

    private static final String RELAY_VALUES = """
            egress:
              allowedClients: ["10.245.16.0/24"]
              pools:
                normal: {ipPool: egress-normal, helo: out.example.net}
            networkPolicy:
              relayFrom: %s
            """;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "inbound.replica            | 3              | replica",
        "antiAffinity               | sometimes      | antiAffinity",
        "inbound.port               | 25             | /inbound/port",
        "cluster.port               | 5801           | /cluster/port",
        "drain.timeoutSeconds       | 0              | /drain/timeoutSeconds",
        "smtp.max-message-size      | 50 megabytes   | max-message-size",
        "inbound.service.type       | ExternalName   | /inbound/service/type",
        "podSecurityContext.runAsNonRoot | false     | runAsNonRoot",
        "admin.tokens[0]            | ops:short      | /admin/tokens",
        "cluster.secret             | guessable      | /cluster/secret",
        "inbound.proxyProtocol.enabled | true        | trusted",
    })
    void refusesABadValueNamingIt(String key, String value, String named) {
        Object typed = value.equals("true") || value.equals("false") ? Boolean.valueOf(value)
                : value.matches("[0-9]+") ? Integer.valueOf(value) : value;

        assertRefusedBySchema(() -> Chart.template(null, Map.of(key, typed)), named);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a pool without its IPPool  | egress.pools.normal.helo  | out.example.net | ipPool",
        "an open relay              | egress.allowedClients[0]  | 0.0.0.0/0       | allowedClients",
        "an open relay in IPv6      | egress.allowedClients[0]  | ::/0            | allowedClients",
    })
    void refusesABadEgressPool(String what, String key, String value, String named) {
        Map<String, Object> sets = new java.util.HashMap<>(Map.of(key, value));
        sets.putIfAbsent("egress.pools.normal.ipPool", "egress-normal");
        sets.putIfAbsent("egress.pools.normal.helo", "out.example.net");
        sets.putIfAbsent("egress.allowedClients[0]", "10.244.0.0/16");
        if (named.equals("ipPool")) {
            sets.remove("egress.pools.normal.ipPool");
        }

        assertRefusedBySchema(() -> Chart.template(null, sets), named);
    }

    @Test
    void proxyHeadersAreNeverTrustedFromEveryone() {
        assertRefusedBySchema(() -> Chart.template(null, Map.of("inbound.proxyProtocol.enabled", true,
                "inbound.proxyProtocol.trusted[0]", "0.0.0.0/0")), "trusted");
    }

    /** Peers that would let pods other than the MTAs' relay: an address block, a whole namespace, every pod. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "the pod network           | [{ipBlock: {cidr: 10.244.0.0/16}}]",
        "a namespace, every pod    | [{namespaceSelector: {matchLabels: {team: mail}}}]",
        "an empty pod selector     | [{podSelector: {}}]",
        "no labels in the selector | [{podSelector: {matchLabels: {}}}]",
        "postfix in any namespace  | [{podSelector: {matchLabels: {app: postfix}}, namespaceSelector: {}}]",
    })
    void theRelayPortAdmitsPodsByLabelOnly(String what, String relayFrom) throws IOException {
        Path values = Files.writeString(dir.resolve("values.yaml"), RELAY_VALUES.formatted(relayFrom));

        assertRefusedBySchema(() -> Chart.template(values, Map.of()), "relayFrom");
    }

    @Test
    void egressPoolsNeedTheMtaPodsByLabel() throws IOException {
        Path values = Files.writeString(dir.resolve("values.yaml"), RELAY_VALUES.formatted("[]"));

        assertThatThrownBy(() -> Chart.template(values, Map.of()))
                .hasMessageContaining("networkPolicy.relayFrom is required with egress pools");
    }

    @Test
    void theRelayRuleIsTheLabelsGivenAndNoAddressBlock() throws IOException {
        Path values = Files.writeString(dir.resolve("values.yaml"),
                RELAY_VALUES.formatted("[{podSelector: {matchLabels: {app: postfix}}}]"));

        NetworkPolicy egress = Chart.render(values, Map.of()).get(NetworkPolicy.class, "mx-sluice-egress");

        assertThat(egress.getSpec().getIngress()).filteredOn(rule -> rule.getPorts().stream()
                        .anyMatch(port -> "relay".equals(port.getPort().getStrVal())))
                .singleElement().satisfies(rule -> assertThat(rule.getFrom()).singleElement()
                        .extracting(NetworkPolicyPeer::getIpBlock, peer -> peer.getPodSelector().getMatchLabels(),
                                NetworkPolicyPeer::getNamespaceSelector)
                        .containsExactly(null, Map.of("app", "postfix"), null));
    }

    @ParameterizedTest(name = "sync: {0}")
    @CsvSource(delimiter = '|', value = {
        "auto                                                   | true",
        "exact                                                  | true",
        "{mode: delaying, max-unsynced-tokens: 50}              | true",
        "{mode: auto}                                           | true",
        "sometimes                                              | false",
        "{mode: sometimes}                                      | false",
    })
    void aRuleSyncIsItsModeAloneOrAMapping(String sync, boolean valid) throws IOException {
        Path values = Files.writeString(dir.resolve("sync.yaml"), """
                inbound:
                  policy:
                    limits:
                      - {name: messages, key: global, counts: messages, rate: 500/1s, sync: %s}
                """.formatted(sync));
        if (valid) {
            assertThat(Chart.template(values, Map.of())).contains("sync:");
        } else {
            assertRefusedBySchema(() -> Chart.template(values, Map.of()), "sync");
        }
    }

    @Test
    void tlsNeedsACertificate() {
        assertThatThrownBy(() -> Chart.template(null, Map.of("inbound.tls.enabled", true)))
                .hasMessageContaining("inbound.tls.cert (PEM) or inbound.tls.existingSecret is required");
    }

    private static void assertRefusedBySchema(ThrowingCallable render, String named) {
        assertThatThrownBy(render).hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(named);
    }
}
