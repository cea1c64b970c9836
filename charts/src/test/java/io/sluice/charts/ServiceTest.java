package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The inbound Service keeps the client's address, or says plainly why it cannot. */
class ServiceTest {

    private static Service smtp(Map<String, Object> sets) {
        return Chart.render(null, sets).get(Service.class, "mx-sluice-smtp");
    }

    @Test
    void aClusterIpServiceTakesNoExternalTrafficPolicy() {
        // The API server refuses it; the schema says so at install, naming the key.
        assertThatThrownBy(() -> Chart.template(null, Map.of("inbound.service.externalTrafficPolicy", "Local")))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("/inbound/service/externalTrafficPolicy");
        assertThat(smtp(Map.of()).getSpec().getExternalTrafficPolicy()).isNull();
    }

    @Test
    void aNodePortOrLoadBalancerThatWouldHideTheClientIsRefused() {
        for (String type : new String[] {"NodePort", "LoadBalancer"}) {
            assertThatThrownBy(() -> Chart.template(null, Map.of("inbound.service.type", type)))
                    .hasMessageContaining("inbound.service.type " + type)
                    .hasMessageContaining("per-IP limits")
                    .hasMessageContaining("acknowledgeClientAddressLoss");
        }
    }

    @Test
    void localPolicyProxyProtocolOrAnAcknowledgementLetsItThrough() {
        Service local = smtp(Map.of("inbound.service.type", "LoadBalancer",
                "inbound.service.externalTrafficPolicy", "Local"));
        assertThat(local.getSpec().getExternalTrafficPolicy()).isEqualTo("Local");

        Service proxied = smtp(Map.of("inbound.service.type", "NodePort", "inbound.proxyProtocol.enabled", true,
                "inbound.proxyProtocol.trusted[0]", "10.10.0.0/24"));
        assertThat(proxied.getSpec().getType()).isEqualTo("NodePort");

        Service acknowledged = smtp(Map.of("inbound.service.type", "LoadBalancer",
                "inbound.service.acknowledgeClientAddressLoss", true));
        assertThat(acknowledged.getSpec().getType()).isEqualTo("LoadBalancer");
        assertThat(acknowledged.getSpec().getExternalTrafficPolicy()).isNull();
    }
}
