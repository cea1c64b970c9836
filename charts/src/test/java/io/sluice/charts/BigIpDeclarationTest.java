package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The AS3 declaration of docs/big-ip.md is JSON, an AS3 declaration, and names the chart's ports, readiness path and
 * F5 labels; the drain timings it explains are the chart's defaults.
 */
class BigIpDeclarationTest {

    private static final Path DOC = Path.of("..", "docs", "big-ip.md");

    private static String doc;
    private static JsonNode values;
    private static JsonNode declaration;
    private static JsonNode application;

    @BeforeAll
    static void read() throws IOException {
        doc = Files.readString(DOC);
        values = Pods.yaml(Files.readString(Chart.DIR.resolve("values.yaml")));
        JsonNode configMap = Pods.yaml(block("as3-declaration", "yaml"));
        assertThat(configMap.at("/metadata/labels/f5type").asText()).isEqualTo("virtual-server");
        assertThat(configMap.at("/metadata/labels/as3").asText()).isEqualTo("true");
        // Strict JSON: a trailing comma or a comment fails here, as it would in AS3.
        declaration = new ObjectMapper().readTree(configMap.at("/data/template").asText());
        application = declaration.at("/declaration/mail/mx");
    }

    /** The fenced block of the given language that follows the marker comment. */
    private static String block(String marker, String language) {
        Matcher matcher = Pattern.compile("<!-- " + marker + " -->\\s*```" + language + "\\n(.*?)```", Pattern.DOTALL)
                .matcher(doc);
        assertThat(matcher.find()).as("a %s block after <!-- %s -->", language, marker).isTrue();
        return matcher.group(1);
    }

    /** The table that follows the marker comment, up to the first blank line after it. */
    private static String table(String marker) {
        int start = doc.indexOf("<!-- " + marker + " -->");
        assertThat(start).as("<!-- %s -->", marker).isNotNegative();
        int end = doc.indexOf("\n\n", start);
        return doc.substring(start, end < 0 ? doc.length() : end);
    }

    private static JsonNode ofClass(String type) {
        return application.path(nameOf(type));
    }

    /** The name of the application's one object of the given AS3 class. */
    private static String nameOf(String type) {
        for (Iterator<Map.Entry<String, JsonNode>> it = application.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            if (type.equals(field.getValue().path("class").asText())) {
                return field.getKey();
            }
        }
        throw new AssertionError("no " + type + " in the application");
    }

    @Test
    void isAnAs3DeclarationOfOnePoolBehindOneVirtual() {
        assertThat(declaration.path("class").asText()).isEqualTo("AS3");
        assertThat(declaration.at("/declaration/class").asText()).isEqualTo("ADC");
        assertThat(declaration.at("/declaration/mail/class").asText()).isEqualTo("Tenant");
        assertThat(application.path("class").asText()).isEqualTo("Application");
        JsonNode virtual = ofClass("Service_TCP");
        assertThat(virtual.path("virtualPort").asInt()).isEqualTo(25);
        assertThat(virtual.path("pool").asText()).isEqualTo(nameOf("Pool"));
        assertThat(virtual.path("iRules").get(0).asText()).isEqualTo(nameOf("iRule"));
        assertThat(ofClass("iRule").path("iRule").asText()).contains("SERVER_CONNECTED", "0x21");
    }

    @Test
    void sendsToTheInboundPortAndMonitorsReadinessOnTheAdminPort() {
        Deployment inbound = Chart.defaults().all(Deployment.class).stream()
                .filter(d -> "inbound".equals(d.getMetadata().getLabels().get("app.kubernetes.io/component")))
                .findFirst().orElseThrow();
        String readiness = Pods.sluice(inbound).getReadinessProbe().getHttpGet().getPath();
        JsonNode pool = ofClass("Pool");
        JsonNode monitor = ofClass("Monitor");

        assertThat(pool.at("/members/0/servicePort").asInt()).isEqualTo(values.at("/inbound/port").asInt());
        assertThat(pool.at("/monitors/0/use").asText()).isEqualTo(nameOf("Monitor"));
        assertThat(pool.path("serviceDownAction").asText()).isEqualTo("none");
        assertThat(pool.path("slowRampTime").asInt()).isBetween(1, 60);
        assertThat(monitor.path("monitorType").asText()).isEqualTo("http");
        assertThat(monitor.path("targetPort").asInt()).isEqualTo(values.at("/admin/port").asInt());
        assertThat(readiness).isEqualTo("/healthz/ready");
        assertThat(monitor.path("send").asText()).startsWith("GET " + readiness + " HTTP/1.1\r\n").endsWith("\r\n\r\n");
        assertThat(monitor.path("receive").asText()).isEqualTo("HTTP/1.1 200");
    }

    @Test
    void namesThePoolTheChartLabelsTheServiceWith() {
        Service smtp = Chart.render(null, Map.of("inbound.service.f5.enabled", true,
                "inbound.service.f5.tenant", "mail", "inbound.service.f5.app", "mx",
                "inbound.service.f5.pool", nameOf("Pool"))).get(Service.class, "mx-sluice-smtp");

        assertThat(smtp.getMetadata().getLabels()).containsEntry("cis.f5.com/as3-tenant", "mail")
                .containsEntry("cis.f5.com/as3-app", "mx").containsEntry("cis.f5.com/as3-pool", nameOf("Pool"));
    }

    @Test
    void explainsTheChartsDrainDefaults() {
        Matcher row = Pattern.compile("(?m)^\\| `([a-zA-Z.]+)` \\| (\\d+) \\|").matcher(table("drain-values"));
        int rows = 0;
        while (row.find()) {
            rows++;
            String pointer = "/" + row.group(1).replace('.', '/');
            assertThat(values.at(pointer).isMissingNode()).as("%s in values.yaml", row.group(1)).isFalse();
            assertThat(values.at(pointer).asInt()).as(row.group(1)).isEqualTo(Integer.parseInt(row.group(2)));
        }
        assertThat(rows).isEqualTo(4);
    }
}
