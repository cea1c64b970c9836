package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.config.Cidr;
import io.sluice.config.EgressDestinations;
import io.sluice.config.EgressTls;
import io.sluice.config.MtaStsConfig;
import io.sluice.config.TlsReportsConfig;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.proxy.egress.tls.TestAuthority;
import io.sluice.proxy.egress.tls.TestPolicyServer;
import io.sluice.proxy.egress.tls.TestReportServer;
import io.sluice.proxy.egress.tls.TlsReportSchema;
import io.sluice.proxy.egress.tls.TlsReporter;
import io.sluice.proxy.egress.tls.TlsSink;
import io.sluice.testing.TestPorts;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A day of outbound traffic to domains that publish MTA-STS policies and ask for TLS reports (RFC 8460), all on
 * loopback: the reports are built from the day's counts, checked against the RFC's schema, and delivered to the
 * domains' {@code rua}: by mail through the relay's own pool to the report domain's MX, and by HTTPS POST. A domain
 * that points its {@code rua} at an address the destination screen forbids gets nothing sent there.
 */
class TlsReportDeliveryTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static TestAuthority authority;
    private static TestDnsServer dns;
    private static TestPolicyServer policyHost;
    private static TlsSink good;
    private static TlsSink wrongName;
    private static TlsSink reportsMx;
    private static TlsSink hostileMx;
    private static TlsSink internalMx;
    private static TestReportServer reportUri;
    private static TestReportServer internal;
    private static RunningOutbound sluice;
    private static List<TlsReporter.Delivery> deliveries;
    private static List<LocalDate> days;

    @BeforeAll
    static void start() throws Exception {
        authority = TestAuthority.create();
        dns = TestDnsServer.start();
        int smtpPort = TestPorts.freeOnEveryAddress();
        good = TlsSink.start("127.0.0.2", smtpPort, "mx.good.test", authority.issue("mx.good.test").serverContext());
        wrongName = TlsSink.start("127.0.0.4", smtpPort, "mx.wrong.test",
                authority.issue("mx.other.test").serverContext());
        reportsMx = TlsSink.start("127.0.0.9", smtpPort, "mx.reports.test",
                authority.issue("mx.reports.test").serverContext());
        hostileMx = TlsSink.start("127.0.0.5", smtpPort, "mx.hostile.test", null);
        internalMx = TlsSink.start("127.0.0.66", smtpPort, "internal.hostile.test", null);
        policyHost = TestPolicyServer.start("127.0.0.7", 0,
                authority.issue("mta-sts.good.test", "mta-sts.wrong.test").serverContext());
        reportUri = TestReportServer.start("127.0.0.12", authority.issue("rua.reports.test").serverContext());
        internal = TestReportServer.start("127.0.0.66",
                authority.issue("internal.hostile.test", "127.0.0.66").serverContext());
        for (String domain : List.of("good.test", "wrong.test")) {
            dns.txt("_mta-sts." + domain, 300, "v=STSv1; id=1;").address("mta-sts." + domain, 300, "127.0.0.7");
        }
        policyHost.serve("good.test", "version: STSv1\nmode: enforce\nmx: mx.good.test\nmax_age: 86400\n")
                .serve("wrong.test", "version: STSv1\nmode: enforce\nmx: mx.wrong.test\nmax_age: 86400\n");
        dns.mx("good.test", 300, 10, "mx.good.test").address("mx.good.test", 300, "127.0.0.2")
                .mx("wrong.test", 300, 10, "mx.wrong.test").address("mx.wrong.test", 300, "127.0.0.4")
                .mx("quiet.test", 300, 10, "mx.good.test")
                .mx("hostile.test", 300, 10, "mx.hostile.test").address("mx.hostile.test", 300, "127.0.0.5")
                .mx("reports.test", 300, 10, "mx.reports.test").address("mx.reports.test", 300, "127.0.0.9")
                .address("rua.reports.test", 300, "127.0.0.12")
                .address("internal.hostile.test", 300, "127.0.0.66")
                .mx("internal.hostile.test", 300, 10, "internal.hostile.test")
                .txt("_smtp._tls.good.test", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test,https://rua.reports.test:"
                        + reportUri.port() + "/v1/tlsrpt")
                .txt("_smtp._tls.wrong.test", 300, "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test")
                // The attacker's: its report URIs reach an address the relay may not deliver to, by name, as a
                // literal, and as the IPv4-mapped IPv6 form of it; and a mailbox at an address literal.
                .txt("_smtp._tls.hostile.test", 300, "v=TLSRPTv1; rua=https://internal.hostile.test:"
                        + internal.port() + "/,https://127.0.0.66:" + internal.port() + "/,https://[::ffff:127.0.0.66]:"
                        + internal.port() + "/,mailto:x@[127.0.0.66],mailto:tlsrpt@internal.hostile.test");
        EgressDestinations screen = new EgressDestinations(List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("::1/128")),
                List.of(Cidr.parse("127.0.0.66/32")));
        sluice = RunningOutbound.resolvingWith(dns.hostPort(), smtpPort).tls(EgressTls.POLICY)
                .mtaSts(new MtaStsConfig(Duration.ofSeconds(5), 64 * 1024, 100, Duration.ofHours(1),
                        policyHost.port(), Optional.of(authority.pem())))
                .destinations(screen)
                .tlsReports(new TlsReportsConfig(true, "Sluice Tests", "mailto:postmaster@sluice.test",
                        "tlsrpt@sluice.test", "normal", LocalTime.of(1, 0), Duration.ofMinutes(5),
                        Duration.ofSeconds(20)))
                .start();

        // The day's traffic.
        LocalDate first = LocalDate.now(ZoneOffset.UTC);
        assertThat(send("user@good.test", "one")).last().asString().startsWith("250 ");
        assertThat(send("user@good.test", "two")).last().asString().startsWith("250 ");
        assertThat(send("user@wrong.test", "wrong")).singleElement().asString().startsWith("451 4.7.5");
        assertThat(send("user@quiet.test", "quiet")).last().asString().startsWith("250 ");
        assertThat(send("user@hostile.test", "hostile")).last().asString().startsWith("250 ");
        // A day that ends during the traffic leaves part of it in each day's reports.
        days = List.of(first, LocalDate.now(ZoneOffset.UTC)).stream().distinct().toList();
        TlsReporter reporter = sluice.server().outbound().tlsReporter().orElseThrow();
        deliveries = new ArrayList<>();
        for (LocalDate day : days) {
            deliveries.addAll(reporter.report(day));
        }
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {sluice, policyHost, good, wrongName, reportsMx, hostileMx,
                internalMx, reportUri, internal, dns, authority}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static List<String> send(String recipient, String subject) throws Exception {
        return RawSmtpClient.message(sluice.port(), recipient, subject);
    }

    private static double reports(String method, String outcome) {
        return sluice.server().registry().get("sluice.egress.tls.reports").tag("method", method)
                .tag("outcome", outcome).counter().count();
    }

    private static JsonNode gunzipped(byte[] gzip) throws IOException {
        try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(gzip))) {
            String json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertThat(TlsReportSchema.violations(json)).isEmpty();
            return JSON.readTree(json);
        }
    }

    /** The report attached to a report mail: its gzip, base64-decoded. */
    private static byte[] attachment(String mail) {
        int part = mail.indexOf("Content-Type: application/tlsrpt+gzip");
        assertThat(part).isPositive();
        int body = mail.indexOf("\r\n\r\n", part) + 4;
        return Base64.getMimeDecoder().decode(mail.substring(body, mail.indexOf("\r\n--", body)));
    }

    @Test
    void eachDomainThatAsksGetsItsReportAtEachUriAndOthersNone() {
        assertThat(deliveries).filteredOn(TlsReporter.Delivery::sent).extracting(TlsReporter.Delivery::domain,
                delivery -> delivery.uri().getScheme()).contains(
                        org.assertj.core.groups.Tuple.tuple("good.test", "mailto"),
                        org.assertj.core.groups.Tuple.tuple("good.test", "https"),
                        org.assertj.core.groups.Tuple.tuple("wrong.test", "mailto"));
        assertThat(deliveries).extracting(TlsReporter.Delivery::domain).doesNotContain("quiet.test", "reports.test");
        for (String method : List.of("mailto", "https")) {
            assertThat(reports(method, "sent")).isEqualTo(deliveries.stream().filter(TlsReporter.Delivery::sent)
                    .filter(delivery -> delivery.uri().getScheme().equals(method)).count());
        }
        assertThat(reports("mailto", "sent")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void theMailedReportCarriesTheRfcHeadersAndAValidReportOfTheFailures() throws Exception {
        String mail = reportsMx.contents().stream().filter(m -> m.contains("TLS-Report-Domain: wrong.test\r\n"))
                .findFirst().orElseThrow();

        assertThat(mail).contains("TLS-Report-Submitter: sluice.test\r\n", "From: <tlsrpt@sluice.test>\r\n",
                "To: <tlsrpt@reports.test>\r\n", "Content-Type: multipart/report; report-type=\"tlsrpt\";",
                "Subject: Report Domain: wrong.test Submitter: sluice.test Report-ID: <",
                "filename=\"sluice.test!wrong.test!");
        JsonNode report = gunzipped(attachment(mail));
        assertThat(report.get("organization-name").asText()).isEqualTo("Sluice Tests");
        JsonNode policy = report.at("/policies/0");
        assertThat(policy.at("/policy/policy-type").asText()).isEqualTo("sts");
        assertThat(policy.at("/policy/policy-domain").asText()).isEqualTo("wrong.test");
        assertThat(policy.at("/policy/mx-host/0").asText()).isEqualTo("mx.wrong.test");
        assertThat(policy.at("/summary/total-failure-session-count").asLong()).isEqualTo(1);
        JsonNode failure = policy.at("/failure-details/0");
        assertThat(failure.get("result-type").asText()).isEqualTo("certificate-host-mismatch");
        assertThat(failure.get("receiving-mx-hostname").asText()).isEqualTo("mx.wrong.test");
        assertThat(failure.get("receiving-ip").asText()).isEqualTo("127.0.0.4");
        assertThat(failure.get("sending-mta-ip").asText()).isIn("127.0.0.10", "127.0.0.11");
    }

    @Test
    void theHttpsReportIsPostedGzippedAndCountsTheDaysSessions() throws Exception {
        assertThat(reportUri.requests()).isNotEmpty().allSatisfy(posted -> {
            assertThat(posted.method()).isEqualTo("POST");
            assertThat(posted.path()).isEqualTo("/v1/tlsrpt");
            assertThat(posted.contentType()).isEqualTo("application/tlsrpt+gzip");
        });
        long successes = 0;
        for (TestReportServer.Posted posted : reportUri.requests()) {
            JsonNode report = gunzipped(posted.body());
            assertThat(report.at("/policies/0/policy/policy-domain").asText()).isEqualTo("good.test");
            assertThat(report.at("/policies/0/summary/total-failure-session-count").asLong()).isZero();
            successes += report.at("/policies/0/summary/total-successful-session-count").asLong();
        }
        assertThat(successes).isEqualTo(2);
        // The same report mailed says the same.
        String mail = reportsMx.contents().stream().filter(m -> m.contains("TLS-Report-Domain: good.test\r\n"))
                .findFirst().orElseThrow();
        assertThat(gunzipped(attachment(mail)).at("/policies/0/policy/policy-type").asText()).isEqualTo("sts");
    }

    @Test
    void aRuaPointingWhereTheScreenForbidsGetsNothingSent() {
        assertThat(internal.requests()).isEmpty();
        assertThat(internalMx.connections()).isZero();
        List<TlsReporter.Delivery> hostile = deliveries.stream()
                .filter(delivery -> delivery.domain().equals("hostile.test")).toList();
        // The mailbox at an address literal is no report URI; the other four are tried and refused.
        assertThat(hostile).hasSize(4 * days.size()).noneMatch(TlsReporter.Delivery::sent);
        assertThat(hostile).filteredOn(delivery -> delivery.uri().getScheme().equals("https")).hasSize(3 * days.size())
                .allSatisfy(delivery -> assertThat(delivery.detail()).contains("forbidden destinations only"));
        // By mail, the relay's own screen refuses it as it refuses any relayed mail there.
        assertThat(hostile).filteredOn(delivery -> delivery.uri().getScheme().equals("mailto"))
                .hasSize(days.size()).allSatisfy(delivery -> assertThat(delivery.detail()).contains("5.4.4"));
        assertThat(reports("https", "failed")).isEqualTo(3.0 * days.size());
        assertThat(reports("mailto", "failed")).isEqualTo(days.size());
    }

    @Test
    void aDayReportedOnceIsNotReportedAgain() {
        int mails = reportsMx.contents().size();
        int posts = reportUri.requests().size();

        assertThat(sluice.server().outbound().tlsReporter().orElseThrow().report(days.get(0))).isEmpty();

        assertThat(reportsMx.contents()).hasSize(mails);
        assertThat(reportUri.requests()).hasSize(posts);
    }
}
