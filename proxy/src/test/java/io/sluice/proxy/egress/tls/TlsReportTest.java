package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.TlsReportsConfig;
import io.sluice.proxy.egress.tls.TlsReportCounts.Detail;
import io.sluice.proxy.egress.tls.TlsReportCounts.Tally;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;

/** The daily report of one domain (RFC 8460 §4), checked against the schema written from the RFC. */
class TlsReportTest {

    static final TlsReportsConfig CONFIG = new TlsReportsConfig(true, "Example Mail", "tlsrpt-admin@example.net",
            "tlsrpt@example.net", "normal", LocalTime.of(1, 0), Duration.ofMinutes(5), Duration.ofSeconds(10));
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final LocalDate DAY = LocalDate.parse("2026-12-05");

    @Test
    void theRfcsOwnExampleReportIsValidAndABrokenOneIsNot() throws Exception {
        String example = TlsReportSchema.text("/tlsrpt/rfc8460-example.json");

        assertThat(TlsReportSchema.violations(example)).isEmpty();

        JsonNode broken = JSON.readTree(example);
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.get("policies").get(0)).remove("summary");
        ((com.fasterxml.jackson.databind.node.ObjectNode) broken.get("policies").get(0).get("failure-details").get(0))
                .put("result-type", "mx-not-in-policy");
        assertThat(TlsReportSchema.violations(broken.toString())).hasSize(2);
    }

    @Test
    void aReportOfStsAndNoPolicyCountsIsValidAndSaysWhatWasCounted() throws Exception {
        Tally sts = new Tally("example.org", PolicyType.STS, 7, Map.of(
                new Detail("certificate-expired", "mx1.example.org", "192.0.2.25", "198.51.100.10"), 2L,
                new Detail("validation-failure", "", "", ""), 1L));
        Tally none = new Tally("example.org", PolicyType.NONE, 3, Map.of());
        MtaStsPolicy policy = MtaStsPolicy.parse("version: STSv1\nmode: enforce\nmx: *.example.org\nmax_age: 86400\n");

        TlsReport report = TlsReport.of(CONFIG, "example.org", DAY, List.of(none, sts), domain -> Optional.of(policy));
        String json = new String(report.json(), StandardCharsets.UTF_8);

        assertThat(TlsReportSchema.violations(json)).isEmpty();
        JsonNode root = JSON.readTree(json);
        assertThat(root.get("organization-name").asText()).isEqualTo("Example Mail");
        assertThat(root.get("contact-info").asText()).isEqualTo("tlsrpt-admin@example.net");
        assertThat(root.at("/date-range/start-datetime").asText()).isEqualTo("2026-12-05T00:00:00Z");
        assertThat(root.at("/date-range/end-datetime").asText()).isEqualTo("2026-12-05T23:59:59Z");
        assertThat(root.at("/policies/0/policy/policy-type").asText()).isEqualTo("no-policy-found");
        assertThat(root.at("/policies/0/summary/total-successful-session-count").asLong()).isEqualTo(3);
        JsonNode stsEntry = root.at("/policies/1");
        assertThat(stsEntry.at("/policy/policy-type").asText()).isEqualTo("sts");
        assertThat(stsEntry.at("/policy/mx-host/0").asText()).isEqualTo("*.example.org");
        assertThat(stsEntry.at("/policy/policy-string/1").asText()).isEqualTo("mode: enforce");
        assertThat(stsEntry.at("/summary/total-successful-session-count").asLong()).isEqualTo(7);
        assertThat(stsEntry.at("/summary/total-failure-session-count").asLong()).isEqualTo(3);
        assertThat(stsEntry.at("/failure-details/0/result-type").asText()).isEqualTo("certificate-expired");
        assertThat(stsEntry.at("/failure-details/0/sending-mta-ip").asText()).isEqualTo("198.51.100.10");
        assertThat(stsEntry.at("/failure-details/0/receiving-mx-hostname").asText()).isEqualTo("mx1.example.org");
        assertThat(stsEntry.at("/failure-details/0/failed-session-count").asLong()).isEqualTo(2);
        assertThat(stsEntry.at("/failure-details/1").has("sending-mta-ip")).isFalse();
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(report.gzip()))) {
            assertThat(in.readAllBytes()).isEqualTo(report.json());
        }
        assertThat(report.fileName("example.net")).isEqualTo("example.net!example.org!1796428800!1796515199.json.gz");
        assertThat(TlsReport.of(CONFIG, "example.org", DAY, List.of(sts), d -> Optional.empty()).id())
                .isEqualTo(report.id()).endsWith("@example.net");
    }

    @Test
    void mergedTalliesAddUpAndKeepTheirDetailsBounded() {
        Tally merged = new Tally("a.test", PolicyType.TLSA, 0, Map.of());
        for (int i = 0; i < TlsReportCounts.MAX_DETAILS * 3; i++) {
            merged = merged.plus(new Tally("a.test", PolicyType.TLSA, 1,
                    Map.of(new Detail("tlsa-invalid", "mx" + i + ".a.test", "", ""), 1L)));
        }

        assertThat(merged.successes()).isEqualTo(TlsReportCounts.MAX_DETAILS * 3L);
        assertThat(merged.failed()).isEqualTo(TlsReportCounts.MAX_DETAILS * 3L);
        assertThat(merged.failures()).hasSizeLessThanOrEqualTo(TlsReportCounts.MAX_DETAILS + 1);
    }
}
