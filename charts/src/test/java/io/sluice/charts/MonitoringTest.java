package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.RelabelConfig;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Prometheus Operator's objects: only where its API is served, labelled without clashes, scraped with auth. */
class MonitoringTest {

    @Test
    void withoutTheOperatorsApiTheInstallGoesOnWithoutItsObjects() {
        // Helm's template sees Kubernetes' own APIs only, as an install on a cluster without the CRDs does.
        Chart chart = Chart.render(Chart.PRODUCTION, Map.of());

        assertThat(chart.objects()).extracting(HasMetadata::getKind)
                .doesNotContain("ServiceMonitor", "PrometheusRule").contains("Deployment");
        assertThat(chart.get(ConfigMap.class, "mx-sluice-dashboard")).isNotNull();
    }

    @Test
    void whereTheOperatorsApiIsServedItsObjectsAreRendered() {
        Chart chart = Chart.production();

        assertThat(chart.all(ServiceMonitor.class)).hasSize(1);
        assertThat(chart.all(PrometheusRule.class)).hasSize(1);
    }

    @Test
    void runbookLinksPointWhereTheOperatorServesTheRunbooks() {
        PrometheusRule rule = Chart.render(Chart.PRODUCTION, Map.of("extraApiVersions[0]",
                Chart.OPERATOR_API, "prometheusRule.runbookBaseUrl", "https://git.example.net/sluice/blob/main/")).all(PrometheusRule.class).get(0);

        assertThat(rule.getSpec().getGroups()).flatMap(group -> group.getRules())
                .filteredOn(r -> r.getAlert() != null).isNotEmpty().allSatisfy(r ->
                        assertThat(r.getAnnotations().get("runbook_url"))
                                .startsWith("https://git.example.net/sluice/blob/main/docs/runbooks.md#"));
    }

    @Test
    void noTargetLabelHidesTheMetricsOwnPool() {
        ServiceMonitor monitor = Chart.production().get(ServiceMonitor.class, "mx-sluice");

        // A target label named pool would rename the metrics' own pool label to exported_pool.
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getRelabelings()).extracting(RelabelConfig::getTargetLabel)
                    .containsExactly("component", "egress_pool");
            assertThat(e.getRelabelings().get(1).getSourceLabels())
                    .containsExactly("__meta_kubernetes_pod_label_sluice_io_egress_pool");
        });
    }

    @Test
    void closedMetricsAreScrapedWithABearerTokenFromASecret() {
        ServiceMonitor monitor = Chart.production().get(ServiceMonitor.class, "mx-sluice");

        assertThat(Pods.yaml(Chart.production().config("mx-sluice-inbound")).at("/admin/open-metrics").asBoolean())
                .isFalse();
        assertThat(monitor.getSpec().getEndpoints()).singleElement().satisfies(e -> {
            assertThat(e.getAuthorization().getType()).isEqualTo("Bearer");
            assertThat(e.getAuthorization().getCredentials().getName()).isEqualTo("sluice-metrics-token");
            assertThat(e.getAuthorization().getCredentials().getKey()).isEqualTo("token");
        });
    }

    @Test
    void closedMetricsWithoutATokenFailTheRender() {
        assertThatThrownBy(() -> Chart.template(Chart.PRODUCTION, Map.of("extraApiVersions[0]", Chart.OPERATOR_API,
                "serviceMonitor.bearerTokenSecret.name", "")))
                .hasMessageContaining("admin.open-metrics is false")
                .hasMessageContaining("serviceMonitor.bearerTokenSecret");
    }

    @Test
    void openMetricsNeedNoToken() {
        ServiceMonitor monitor = Chart.render(null, Map.of("serviceMonitor.enabled", true,
                "extraApiVersions[0]", Chart.OPERATOR_API)).get(ServiceMonitor.class, "mx-sluice");

        assertThat(monitor.getSpec().getEndpoints()).singleElement()
                .satisfies(e -> assertThat(e.getAuthorization()).isNull());
    }
}
