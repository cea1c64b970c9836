package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** values.schema.json (and the templates' required values) stop a bad value at install time, naming it. */
class ValuesSchemaTest {

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "inbound.replica            | 3              | replica",
        "antiAffinity               | sometimes      | antiAffinity",
        "inbound.port               | 25             | inbound.port",
        "cluster.port               | 5801           | cluster.port",
        "drain.timeoutSeconds       | 0              | drain.timeoutSeconds",
        "smtp.max-message-size      | 50 megabytes   | max-message-size",
        "inbound.service.type       | ExternalName   | inbound.service.type",
        "podSecurityContext.runAsNonRoot | false     | runAsNonRoot",
        "admin.tokens[0]            | ops:short      | admin.tokens",
        "inbound.proxyProtocol.enabled | true        | trusted",
    })
    void refusesABadValueNamingIt(String key, String value, String named) {
        Object typed = value.equals("true") || value.equals("false") ? Boolean.valueOf(value)
                : value.matches("[0-9]+") ? Integer.valueOf(value) : value;

        assertThatThrownBy(() -> Chart.template(null, Map.of(key, typed)))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(named);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "a pool without its IPPool  | egress.pools.normal.helo  | out.example.net | ipPool",
        "an open relay              | egress.allowedClients[0]  | 0.0.0.0/0       | allowedClients",
    })
    void refusesABadEgressPool(String what, String key, String value, String named) {
        Map<String, Object> sets = new java.util.HashMap<>(Map.of(key, value));
        sets.putIfAbsent("egress.pools.normal.ipPool", "egress-normal");
        sets.putIfAbsent("egress.pools.normal.helo", "out.example.net");
        sets.putIfAbsent("egress.allowedClients[0]", "10.244.0.0/16");
        if (named.equals("ipPool")) {
            sets.remove("egress.pools.normal.ipPool");
        }

        assertThatThrownBy(() -> Chart.template(null, sets))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining(named);
    }

    @Test
    void tlsNeedsACertificate() {
        assertThatThrownBy(() -> Chart.template(null, Map.of("inbound.tls.enabled", true)))
                .hasMessageContaining("inbound.tls.cert (PEM) or inbound.tls.existingSecret is required");
    }
}
