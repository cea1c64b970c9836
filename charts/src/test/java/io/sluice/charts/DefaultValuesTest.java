package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import org.junit.jupiter.api.Test;

/** The chart with its own values: the MX front-end alone, nothing that needs an operator or CRDs. */
class DefaultValuesTest {

    private static final Chart CHART = Chart.defaults();

    @Test
    void rendersTheInboundTierOnly() {
        assertThat(CHART.objects()).extracting(o -> o.getKind() + "/" + o.getMetadata().getName())
                .containsExactlyInAnyOrder(
                        "Deployment/mx-sluice-inbound",
                        "ConfigMap/mx-sluice-inbound",
                        "PodDisruptionBudget/mx-sluice-inbound",
                        "NetworkPolicy/mx-sluice-inbound",
                        "Service/mx-sluice-smtp",
                        "Service/mx-sluice-inbound-hz",
                        "Service/mx-sluice-admin",
                        "ServiceAccount/mx-sluice");
        assertThat(CHART.get(Deployment.class, "mx-sluice-inbound").getSpec().getReplicas()).isEqualTo(3);
    }

    @Test
    void graceIsPreStopPlusDrainPlusMargin() {
        // values.yaml: inbound.preStopSeconds 55, drain 5 + 30, margin 10.
        Deployment inbound = CHART.get(Deployment.class, "mx-sluice-inbound");

        assertThat(Pods.preStopSeconds(inbound)).isEqualTo(55);
        assertThat(Pods.spec(inbound).getTerminationGracePeriodSeconds()).isEqualTo(100);
        JsonNode drain = Pods.yaml(CHART.config("mx-sluice-inbound")).at("/drain");
        assertThat(drain.at("/announce").asText()).isEqualTo("5s");
        assertThat(drain.at("/timeout").asText()).isEqualTo("30s");
    }

    @Test
    void theAdminServiceStaysInsideTheCluster() {
        Service admin = CHART.get(Service.class, "mx-sluice-admin");

        assertThat(admin.getSpec().getType()).isEqualTo("ClusterIP");
        assertThat(admin.getSpec().getSelector()).doesNotContainKey("app.kubernetes.io/component");
        assertThat(CHART.objects()).extracting(HasMetadata::getKind).doesNotContain("Secret");
        // Without tokens the configuration names no token file, so the API answers 401 to everything.
        assertThat(Pods.yaml(CHART.config("mx-sluice-inbound")).at("/admin").has("token-file")).isFalse();
    }

    @Test
    void theSmtpListenerHasNoProxyProtocolUnlessAsked() {
        JsonNode listener = Pods.yaml(CHART.config("mx-sluice-inbound")).at("/listeners/0");

        assertThat(listener.at("/name").asText()).isEqualTo("mx");
        assertThat(listener.at("/bind").asText()).isEqualTo("0.0.0.0:2525");
        assertThat(listener.has("proxy-protocol")).isFalse();
    }
}
