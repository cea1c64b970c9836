package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The production example: BIG-IP in front, two egress pools on Calico IPPools, monitoring by the operator. */
class ProductionValuesTest {

    private static final Chart CHART = Chart.production();
    private static final Map<String, String> IP_POOLS =
            Map.of("normal", "egress-normal", "fallback", "egress-fallback");

    @Test
    void oneDeploymentPerEgressPoolOnItsOwnIpPool() {
        assertThat(CHART.all(Deployment.class)).extracting(d -> d.getMetadata().getName())
                .containsExactlyInAnyOrder("mx-sluice-inbound", "mx-sluice-egress-normal", "mx-sluice-egress-fallback");
        IP_POOLS.forEach((pool, ipPool) -> {
            Deployment deployment = CHART.get(Deployment.class, "mx-sluice-egress-" + pool);
            assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
                    .containsEntry("cni.projectcalico.org/ipv4pools", "[\"" + ipPool + "\"]");
            assertThat(deployment.getSpec().getSelector().getMatchLabels())
                    .containsEntry("sluice.io/egress-pool", pool)
                    .containsEntry("app.kubernetes.io/component", "egress");
        });
        assertThat(CHART.get(Deployment.class, "mx-sluice-inbound").getSpec().getTemplate().getMetadata()
                .getAnnotations()).doesNotContainKey("cni.projectcalico.org/ipv4pools");
    }

    @Test
    void eachPoolsPodsSendFromTheirOwnAddressWithThePoolsHelo() {
        JsonNode config = Pods.yaml(CHART.config("mx-sluice-egress-fallback"));
        Container sluice = Pods.sluice(CHART.get(Deployment.class, "mx-sluice-egress-fallback"));

        assertThat(config.at("/egress/pools").size()).isEqualTo(1);
        assertThat(config.at("/egress/pools/fallback/sources/0/address").asText()).isEqualTo("__POD_IP__");
        assertThat(config.at("/egress/pools/fallback/sources/0/helo").asText()).isEqualTo("fb1.example.net");
        assertThat(config.at("/egress/pools/fallback/selection").asText()).isEqualTo("sticky-domain");
        assertThat(config.at("/listeners/0/egress-pool").asText()).isEqualTo("fallback");
        assertThat(config.at("/listeners/0/allowed-clients").toString()).isEqualTo("[\"10.245.16.0/24\"]");
        // The marker becomes the pod's address before Sluice reads the file.
        assertThat(sluice.getEnv()).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("POD_IP");
            assertThat(env.getValueFrom().getFieldRef().getFieldPath()).isEqualTo("status.podIP");
        });
        assertThat(sluice.getCommand()).hasSize(3).startsWith("/bin/sh", "-c");
        assertThat(sluice.getCommand().get(2)).contains("s/__POD_IP__/${POD_IP}/", "exec /opt/sluice/bin/sluice run");
    }

    @Test
    void tiersAreSeparateHazelcastClustersFoundByDns() {
        JsonNode inbound = Pods.yaml(CHART.config("mx-sluice-inbound")).at("/cluster");
        JsonNode normal = Pods.yaml(CHART.config("mx-sluice-egress-normal")).at("/cluster");
        JsonNode fallback = Pods.yaml(CHART.config("mx-sluice-egress-fallback")).at("/cluster");

        assertThat(inbound.at("/discovery").asText()).isEqualTo("kubernetes");
        assertThat(inbound.at("/kubernetes-service").asText()).isEqualTo("mx-sluice-inbound-hz.mail.svc.cluster.local");
        assertThat(normal.at("/kubernetes-service").asText()).isEqualTo("mx-sluice-egress-hz.mail.svc.cluster.local");
        assertThat(normal.at("/name")).isEqualTo(fallback.at("/name")).isNotEqualTo(inbound.at("/name"));
        for (String tier : List.of("inbound", "egress")) {
            Service headless = CHART.get(Service.class, "mx-sluice-" + tier + "-hz");
            assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
            assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
            assertThat(headless.getSpec().getSelector()).containsEntry("app.kubernetes.io/component", tier);
            assertThat(headless.getSpec().getPorts()).singleElement()
                    .satisfies(p -> assertThat(p.getPort()).isEqualTo(5701));
        }
    }

    @Test
    void servicesForTheBigIpTheMtasAndAdmin() {
        Service smtp = CHART.get(Service.class, "mx-sluice-smtp");
        assertThat(smtp.getMetadata().getLabels()).containsEntry("cis.f5.com/as3-tenant", "mail")
                .containsEntry("cis.f5.com/as3-app", "mx").containsEntry("cis.f5.com/as3-pool", "mx_pool");
        assertThat(smtp.getSpec().getPorts()).singleElement().satisfies(p -> {
            assertThat(p.getPort()).isEqualTo(25);
            assertThat(p.getTargetPort().getStrVal()).isEqualTo("smtp");
        });
        for (String pool : IP_POOLS.keySet()) {
            Service relay = CHART.get(Service.class, "mx-sluice-egress-" + pool);
            assertThat(relay.getSpec().getType()).isEqualTo("ClusterIP");
            assertThat(relay.getSpec().getSelector()).containsEntry("sluice.io/egress-pool", pool);
            assertThat(relay.getSpec().getPorts()).singleElement()
                    .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("relay"));
        }
        Service admin = CHART.get(Service.class, "mx-sluice-admin");
        assertThat(admin.getSpec().getType()).isEqualTo("ClusterIP");
    }

    @Test
    void egressPoolsWithoutTheInboundTier() {
        Chart egressOnly = Chart.render(Chart.PRODUCTION, Map.of("inbound.enabled", false));

        assertThat(egressOnly.objects()).extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
                .noneMatch(name -> name.contains("inbound") || name.endsWith("-smtp"))
                .contains("Deployment/mx-sluice-egress-normal", "Service/mx-sluice-egress-hz",
                        "NetworkPolicy/mx-sluice-egress", "Service/mx-sluice-admin");
    }

    @Test
    void f5IpamLabelOnALoadBalancerService() {
        Service smtp = Chart.render(Chart.PRODUCTION, Map.of("inbound.service.type", "LoadBalancer",
                "inbound.service.f5.ipamLabel", "Production")).get(Service.class, "mx-sluice-smtp");

        assertThat(smtp.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(smtp.getMetadata().getAnnotations()).containsEntry("cis.f5.com/ipamLabel", "Production");
    }

    @Test
    void proxyProtocolTrustsTheBigIpOnly() {
        JsonNode listener = Pods.yaml(CHART.config("mx-sluice-inbound")).at("/listeners/0");

        assertThat(listener.at("/proxy-protocol/trusted").toString()).isEqualTo("[\"10.10.0.0/24\"]");
        assertThat(listener.at("/tls/cert").asText()).isEqualTo("/etc/sluice/tls/tls.crt");
        assertThat(Pods.spec(CHART.get(Deployment.class, "mx-sluice-inbound")).getVolumes())
                .filteredOn(v -> v.getName().equals("tls")).singleElement()
                .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("mx-tls"));
    }

    @Test
    void networkPolicyKeepsHazelcastInsideEachTierAndAdminToTheNamespacesListed() {
        for (String tier : List.of("inbound", "egress")) {
            NetworkPolicy policy = CHART.get(NetworkPolicy.class, "mx-sluice-" + tier);
            assertThat(policy.getSpec().getPodSelector().getMatchLabels())
                    .containsEntry("app.kubernetes.io/component", tier);
            NetworkPolicyIngressRule hazelcast = rule(policy, "hazelcast");
            assertThat(hazelcast.getFrom()).singleElement().satisfies(peer -> {
                assertThat(peer.getNamespaceSelector()).isNull();
                assertThat(peer.getPodSelector().getMatchLabels())
                        .isEqualTo(policy.getSpec().getPodSelector().getMatchLabels());
            });
            NetworkPolicyIngressRule admin = rule(policy, "admin");
            // The namespaces listed, the BIG-IP's monitor by address, and the release's helm test pod.
            assertThat(admin.getFrom()).hasSize(3);
            assertThat(admin.getFrom().get(0)).satisfies(peer -> {
                assertThat(peer.getPodSelector()).isNull();
                assertThat(peer.getNamespaceSelector().getMatchExpressions()).singleElement().satisfies(e -> {
                    assertThat(e.getKey()).isEqualTo("kubernetes.io/metadata.name");
                    assertThat(e.getOperator()).isEqualTo("In");
                    assertThat(e.getValues()).containsExactly("monitoring", "mail-ops");
                });
            });
            assertThat(admin.getFrom().get(1).getIpBlock().getCidr()).isEqualTo("10.10.0.0/24");
            assertThat(admin.getFrom().get(2)).satisfies(peer -> {
                assertThat(peer.getNamespaceSelector()).isNull();
                assertThat(peer.getPodSelector().getMatchLabels()).containsExactlyInAnyOrderEntriesOf(Map.of(
                        "app.kubernetes.io/instance", "mx", "app.kubernetes.io/component", "test"));
            });
        }
    }

    @Test
    void theRelayPortAdmitsThePostfixPodsByLabelAndNoAddressBlock() {
        NetworkPolicyIngressRule relay = rule(CHART.get(NetworkPolicy.class, "mx-sluice-egress"), "relay");

        // An ipBlock of the pod network would let every pod of the cluster relay.
        assertThat(relay.getFrom()).singleElement().satisfies(peer -> {
            assertThat(peer.getIpBlock()).isNull();
            assertThat(peer.getPodSelector().getMatchLabels())
                    .containsExactlyEntriesOf(Map.of("app.kubernetes.io/name", "postfix"));
            assertThat(peer.getNamespaceSelector().getMatchLabels())
                    .containsExactlyEntriesOf(Map.of("kubernetes.io/metadata.name", "mail"));
        });
    }

    private static NetworkPolicyIngressRule rule(NetworkPolicy policy, String port) {
        return policy.getSpec().getIngress().stream()
                .filter(rule -> rule.getPorts().stream().anyMatch(p -> port.equals(p.getPort().getStrVal())))
                .reduce((a, b) -> {
                    throw new AssertionError("two rules for " + port);
                })
                .orElseThrow(() -> new AssertionError("no rule for " + port));
    }

    @Test
    void inboundScalesWithoutAFixedReplicaCount() {
        HorizontalPodAutoscaler hpa = CHART.get(HorizontalPodAutoscaler.class, "mx-sluice-inbound");

        assertThat(hpa.getSpec().getScaleTargetRef().getName()).isEqualTo("mx-sluice-inbound");
        assertThat(hpa.getSpec().getMinReplicas()).isEqualTo(4);
        assertThat(hpa.getSpec().getMaxReplicas()).isEqualTo(12);
        // The autoscaler owns the count; a replicas field would fight it on every upgrade.
        assertThat(CHART.get(Deployment.class, "mx-sluice-inbound").getSpec().getReplicas()).isNull();
        assertThat(CHART.get(Deployment.class, "mx-sluice-egress-normal").getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void monitoringScrapesAdminAndShipsTheAlertRulesAndDashboard() {
        ServiceMonitor monitor = CHART.get(ServiceMonitor.class, "mx-sluice");
        // The admin Service and no other: it alone reaches every pod's /metrics once.
        Map<String, String> selector = monitor.getSpec().getSelector().getMatchLabels();
        assertThat(CHART.all(Service.class)).filteredOn(s -> s.getMetadata().getLabels().entrySet()
                        .containsAll(selector.entrySet()))
                .extracting(s -> s.getMetadata().getName()).containsExactly("mx-sluice-admin");
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getPort()).isEqualTo("admin");
            assertThat(e.getPath()).isEqualTo("/metrics");
            // The metrics' own pool label (a backend or egress pool) stays pool; the pod's egress pool is egress_pool.
            assertThat(e.getRelabelings()).extracting(r -> r.getTargetLabel()).contains("component", "egress_pool")
                    .doesNotContain("pool");
        });
        PrometheusRule rules = CHART.get(PrometheusRule.class, "mx-sluice");
        assertThat(rules.getSpec().getGroups()).isNotEmpty()
                .allSatisfy(group -> assertThat(group.getRules()).isNotEmpty());
        ConfigMap dashboard = CHART.get(ConfigMap.class, "mx-sluice-dashboard");
        assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
        assertThat(Pods.yaml(dashboard.getData().get("sluice.json")).at("/panels").size()).isPositive();
    }
}
