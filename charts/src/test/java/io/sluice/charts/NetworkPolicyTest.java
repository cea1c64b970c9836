package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyEgressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Who may reach the pods, and what the pods may reach: each door and each way out named, nothing else. */
class NetworkPolicyTest {

    private static final Map<String, String> TEST_POD =
            Map.of("app.kubernetes.io/instance", "mx", "app.kubernetes.io/component", "test");

    @TempDir
    Path dir;

    private static NetworkPolicyIngressRule ingress(NetworkPolicy policy, String port) {
        return policy.getSpec().getIngress().stream()
                .filter(rule -> rule.getPorts().stream().anyMatch(p -> port.equals(p.getPort().getStrVal())))
                .findFirst().orElseThrow(() -> new AssertionError("no rule for " + port));
    }

    private static List<NetworkPolicyEgressRule> egressTo(NetworkPolicy policy, int port) {
        return policy.getSpec().getEgress().stream()
                .filter(rule -> rule.getPorts().stream().anyMatch(p -> p.getPort().getIntVal() == port)).toList();
    }

    @Test
    void smtpIsOpenUnlessNetworksOrPodsAreNamed() throws IOException {
        NetworkPolicy open = Chart.defaults().get(NetworkPolicy.class, "mx-sluice-inbound");
        assertThat(ingress(open, "smtp").getFrom()).isNullOrEmpty();

        Path values = Files.writeString(dir.resolve("values.yaml"), """
                networkPolicy:
                  smtpFromCidrs: ["10.10.0.0/24"]
                  smtpFrom:
                    - podSelector: {matchLabels: {app: checker}}
                      namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: ops}}
                """);
        List<NetworkPolicyPeer> from = ingress(Chart.render(values, Map.of())
                .get(NetworkPolicy.class, "mx-sluice-inbound"), "smtp").getFrom();

        assertThat(from).hasSize(3);
        assertThat(from.get(0).getIpBlock().getCidr()).isEqualTo("10.10.0.0/24");
        assertThat(from.get(1).getPodSelector().getMatchLabels()).containsExactlyEntriesOf(Map.of("app", "checker"));
        assertThat(from.get(1).getNamespaceSelector().getMatchLabels())
                .containsExactlyEntriesOf(Map.of("kubernetes.io/metadata.name", "ops"));
        // helm test greets through the same door.
        assertThat(from.get(2).getPodSelector().getMatchLabels()).containsExactlyInAnyOrderEntriesOf(TEST_POD);
    }

    @Test
    void theBigIpMonitorReachesTheAdminPortByAddress() {
        NetworkPolicy policy = Chart.render(null, Map.of("networkPolicy.adminCidrs[0]", "10.10.0.0/24"))
                .get(NetworkPolicy.class, "mx-sluice-inbound");

        assertThat(ingress(policy, "admin").getFrom()).extracting(p -> p.getIpBlock() == null ? null
                : p.getIpBlock().getCidr()).contains("10.10.0.0/24");
    }

    @Test
    void aPeerThatSelectsEverythingIsRefused() {
        assertThatThrownBy(() -> Chart.template(null, Map.of("networkPolicy.adminCidrs[0]", "0.0.0.0/0")))
                .hasMessageContaining("/networkPolicy/adminCidrs/0");
        assertThatThrownBy(() -> Chart.template(null, Map.of("networkPolicy.smtpFrom[0].ipBlock.cidr", "everyone")))
                .hasMessageContaining("/networkPolicy/smtpFrom/0");
    }

    @Test
    void inboundPodsReachDnsTheirPeersAndTheBackendsOnly() {
        NetworkPolicy policy = Chart.defaults().get(NetworkPolicy.class, "mx-sluice-inbound");
        Map<String, String> ownPods = policy.getSpec().getPodSelector().getMatchLabels();

        assertThat(policy.getSpec().getPolicyTypes()).containsExactly("Ingress", "Egress");
        assertThat(policy.getSpec().getEgress()).hasSize(3);
        assertThat(egressTo(policy, 53)).singleElement().satisfies(dns -> {
            assertThat(dns.getPorts()).extracting(NetworkPolicyPort::getProtocol).containsExactly("UDP", "TCP");
            assertThat(dns.getTo()).singleElement().satisfies(peer -> {
                assertThat(peer.getPodSelector().getMatchLabels()).containsExactlyEntriesOf(
                        Map.of("k8s-app", "kube-dns"));
                assertThat(peer.getNamespaceSelector().getMatchLabels()).containsExactlyEntriesOf(
                        Map.of("kubernetes.io/metadata.name", "kube-system"));
            });
        });
        assertThat(egressTo(policy, 5701)).singleElement().satisfies(hz -> assertThat(hz.getTo()).singleElement()
                .satisfies(peer -> assertThat(peer.getPodSelector().getMatchLabels()).isEqualTo(ownPods)));
        // values.yaml's backends are postfix-N.postfix:25: pods of the release's namespace, on port 25.
        assertThat(egressTo(policy, 25)).singleElement().satisfies(backends -> {
            assertThat(backends.getPorts()).hasSize(1);
            assertThat(backends.getTo()).singleElement().satisfies(peer -> {
                assertThat(peer.getIpBlock()).isNull();
                assertThat(peer.getNamespaceSelector()).isNull();
                assertThat(peer.getPodSelector().getMatchLabels()).isNullOrEmpty();
            });
        });
    }

    @Test
    void theBackendsPortsComeFromTheirAddresses() {
        NetworkPolicy policy = Chart.render(null, Map.of("inbound.backend.servers[0]", "mta-0.mta:2525",
                "inbound.backend.servers[1]", "[fd00::25]:26")).get(NetworkPolicy.class, "mx-sluice-inbound");

        assertThat(egressTo(policy, 2525)).singleElement().satisfies(rule -> assertThat(rule.getPorts())
                .extracting(p -> p.getPort().getIntVal()).containsExactly(2525, 26));
        assertThat(egressTo(policy, 25)).isEmpty();
    }

    /**
     * An egress pod may reach port 25, and 443 for MTA-STS policies, on the internet, never on the cluster's or the
     * site's own networks.
     */
    @Test
    void egressPodsDeliverToTheWorldButNotToInternalNetworks() {
        NetworkPolicy policy = Chart.production().get(NetworkPolicy.class, "mx-sluice-egress");

        assertThat(egressTo(policy, 443)).isEqualTo(egressTo(policy, 25));
        assertThat(egressTo(policy, 25)).singleElement().satisfies(remote -> {
            assertThat(remote.getTo()).hasSize(2).allSatisfy(peer -> {
                assertThat(peer.getPodSelector()).isNull();
                assertThat(peer.getIpBlock().getExcept()).isNotEmpty();
            });
            assertThat(remote.getTo().get(0).getIpBlock().getCidr()).isEqualTo("0.0.0.0/0");
            assertThat(remote.getTo().get(0).getIpBlock().getExcept()).contains("10.0.0.0/8", "172.16.0.0/12",
                    "192.168.0.0/16", "169.254.0.0/16", "127.0.0.0/8");
            assertThat(remote.getTo().get(1).getIpBlock().getCidr()).isEqualTo("::/0");
            assertThat(remote.getTo().get(1).getIpBlock().getExcept()).contains("fc00::/7", "fe80::/10");
        });
        // No other way out: DNS, the tier's peers, ports 25 and 443.
        assertThat(policy.getSpec().getEgress()).hasSize(3);
        assertThat(policy.getSpec().getEgress()).flatExtracting(NetworkPolicyEgressRule::getPorts)
                .extracting(p -> p.getPort().getIntVal()).containsExactlyInAnyOrder(53, 53, 5701, 25, 443);
    }

    @Test
    void theProductionBackendsAreThePostfixPods() {
        NetworkPolicy policy = Chart.production().get(NetworkPolicy.class, "mx-sluice-inbound");

        assertThat(egressTo(policy, 25)).singleElement().satisfies(rule -> assertThat(rule.getTo()).singleElement()
                .satisfies(peer -> assertThat(peer.getPodSelector().getMatchLabels())
                        .containsExactlyEntriesOf(Map.of("app.kubernetes.io/name", "postfix"))));
        assertThat(ingress(policy, "smtp").getFrom()).first()
                .satisfies(peer -> assertThat(peer.getIpBlock().getCidr()).isEqualTo("10.10.0.0/24"));
    }

    @Test
    void egressRulesCanBeLeftOutOrExtended() throws IOException {
        NetworkPolicy ingressOnly = Chart.render(null, Map.of("networkPolicy.egress.enabled", false))
                .get(NetworkPolicy.class, "mx-sluice-inbound");
        assertThat(ingressOnly.getSpec().getPolicyTypes()).containsExactly("Ingress");
        assertThat(ingressOnly.getSpec().getEgress()).isNullOrEmpty();

        Path values = Files.writeString(dir.resolve("values.yaml"), """
                networkPolicy:
                  egress:
                    extraRules:
                      - to: [{ipBlock: {cidr: 10.20.0.25/32}}]
                        ports: [{port: 25, protocol: TCP}]
                """);
        NetworkPolicy extended = Chart.render(values, Map.of()).get(NetworkPolicy.class, "mx-sluice-inbound");
        assertThat(extended.getSpec().getEgress()).last().satisfies(rule -> assertThat(rule.getTo())
                .singleElement().satisfies(peer -> assertThat(peer.getIpBlock().getCidr())
                        .isEqualTo("10.20.0.25/32")));
    }
}
