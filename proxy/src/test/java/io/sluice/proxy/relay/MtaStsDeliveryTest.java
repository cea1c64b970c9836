package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.EgressTls;
import io.sluice.config.MtaStsConfig;
import io.sluice.proxy.egress.TestDnsServer;
import io.sluice.proxy.egress.tls.TestAuthority;
import io.sluice.proxy.egress.tls.TestPolicyServer;
import io.sluice.proxy.egress.tls.TlsSink;
import io.sluice.testing.TestPorts;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A pool of {@code tls: policy} delivering to destinations that publish MTA-STS policies (RFC 8461), all on
 * loopback: the policy's TXT record from a test DNS server, the policy from an HTTPS policy host with a certificate
 * of the tests' own authority, which the relay trusts, and remote MX hosts that offer STARTTLS with a good, an
 * expired, a wrong-name or a self-signed certificate, or no STARTTLS at all.
 */
class MtaStsDeliveryTest {

    private static TestAuthority authority;
    private static TestDnsServer dns;
    private static TestPolicyServer policyHost;
    private static TlsSink good;
    private static TlsSink expired;
    private static TlsSink wrongName;
    private static TlsSink selfSigned;
    private static TlsSink plain;
    private static TlsSink closing;
    private static RunningOutbound sluice;

    private static final List<String> DOMAINS = List.of("good.test", "plain.test", "wrong.test", "expired.test",
            "self.test", "elsewhere.test", "testing.test", "closing.test");

    @BeforeAll
    static void start() throws Exception {
        authority = TestAuthority.create();
        dns = TestDnsServer.start();
        int smtpPort = TestPorts.freeOnEveryAddress();
        good = TlsSink.start("127.0.0.2", smtpPort, "mx.good.test", authority.issue("mx.good.test").serverContext());
        expired = TlsSink.start("127.0.0.3", smtpPort, "mx.expired.test",
                authority.issueExpired("mx.expired.test").serverContext());
        wrongName = TlsSink.start("127.0.0.4", smtpPort, "mx.wrong.test",
                authority.issue("mx.other.test").serverContext());
        selfSigned = TlsSink.start("127.0.0.5", smtpPort, "mx.self.test",
                TestAuthority.selfSigned("mx.self.test").serverContext());
        plain = TlsSink.start("127.0.0.6", smtpPort, "mx.plain.test", null);
        closing = TlsSink.start("127.0.0.8", smtpPort, "mx.closing.test",
                authority.issue("mx.closing.test").serverContext()).closingAfterTls();
        policyHost = TestPolicyServer.start("127.0.0.7", 0, authority.issue(DOMAINS.stream()
                .map(domain -> "mta-sts." + domain).toArray(String[]::new)).serverContext());
        for (String domain : DOMAINS) {
            dns.txt("_mta-sts." + domain, 300, "v=STSv1; id=1;").address("mta-sts." + domain, 300, "127.0.0.7");
        }
        dns.mx("good.test", 300, 10, "mx.good.test").address("mx.good.test", 300, "127.0.0.2")
                .mx("expired.test", 300, 10, "mx.expired.test").address("mx.expired.test", 300, "127.0.0.3")
                .mx("wrong.test", 300, 10, "mx.wrong.test").address("mx.wrong.test", 300, "127.0.0.4")
                .mx("self.test", 300, 10, "mx.self.test").address("mx.self.test", 300, "127.0.0.5")
                .mx("plain.test", 300, 10, "mx.plain.test").address("mx.plain.test", 300, "127.0.0.6")
                .mx("elsewhere.test", 300, 10, "mx.good.test")
                .mx("testing.test", 300, 10, "mx.wrong.test")
                .mx("nopolicy.test", 300, 10, "mx.self.test")
                .mx("closing.test", 300, 10, "mx.closing.test").address("mx.closing.test", 300, "127.0.0.8");
        policyHost.serve("good.test", enforce("mx.good.test"))
                .serve("expired.test", enforce("mx.expired.test"))
                .serve("wrong.test", enforce("*.wrong.test"))
                .serve("self.test", enforce("mx.self.test"))
                .serve("plain.test", enforce("mx.plain.test"))
                .serve("elsewhere.test", enforce("mx.elsewhere.test"))
                .serve("closing.test", enforce("mx.closing.test"))
                .serve("testing.test", "version: STSv1\nmode: testing\nmx: mx.wrong.test\nmax_age: 86400\n");
        sluice = RunningOutbound.resolvingWith(dns.hostPort(), smtpPort).tls(EgressTls.POLICY)
                .mtaSts(new MtaStsConfig(Duration.ofSeconds(5), 64 * 1024, 100, Duration.ofHours(1),
                        policyHost.port(), Optional.of(authority.pem())))
                .start();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {sluice, policyHost, good, expired, wrongName, selfSigned,
                plain, closing, dns, authority}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static String enforce(String mx) {
        return "version: STSv1\r\nmode: enforce\r\nmx: " + mx + "\r\nmax_age: 86400\r\n";
    }

    /** One message to the recipient: the RCPT reply, and the final reply where RCPT was taken. */
    private static List<String> send(String recipient, String subject) throws Exception {
        return RawSmtpClient.message(sluice.port(), recipient, subject);
    }

    private static double outcomes(String policy, String result) {
        var counter = sluice.server().registry().find("sluice.egress.tls.outcomes").tag("pool", "normal")
                .tag("policy", policy).tag("result", result).counter();
        return counter == null ? 0 : counter.count();
    }

    @Test
    void enforceWithAValidCertificateDeliversOverTlsAndTheSecondMessageUsesTheCachedPolicy() throws Exception {
        double before = outcomes("sts", "success");

        assertThat(send("user@good.test", "first")).last().asString().startsWith("250 ");
        assertThat(send("user@good.test", "second")).last().asString().startsWith("250 ");

        assertThat(good.messages()).contains(new TlsSink.Taken("first", true), new TlsSink.Taken("second", true));
        assertThat(policyHost.fetches("good.test")).isEqualTo(1);
        assertThat(outcomes("sts", "success") - before).isGreaterThanOrEqualTo(1);
    }

    @Test
    void enforceWithoutStartTlsIsNotDeliveredAndCounted() throws Exception {
        double before = outcomes("sts", "starttls-not-supported");
        double refusedBefore = refused();

        assertThat(send("user@plain.test", "plain")).singleElement().asString().startsWith("451 4.7.5");

        assertThat(plain.messages()).isEmpty();
        assertThat(outcomes("sts", "starttls-not-supported") - before).isEqualTo(1);
        assertThat(refused() - refusedBefore).isEqualTo(1);
    }

    @Test
    void testingNeverCountsARefusal() throws Exception {
        double refusedBefore = refused();

        assertThat(send("user@testing.test", "testing-again")).last().asString().startsWith("250 ");

        assertThat(refused()).isEqualTo(refusedBefore);
    }

    private static double refused() {
        return sluice.server().registry().get("sluice.egress.tls.refused").tag("pool", "normal").tag("policy", "sts")
                .counter().count();
    }

    @Test
    void aServerThatGoesAwayAfterAGoodHandshakeIsUnreachableNotAPolicyFailure() throws Exception {
        double success = outcomes("sts", "success");
        double failed = outcomes("sts", "validation-failure");
        double refusedBefore = refused();

        assertThat(send("user@closing.test", "closing")).singleElement().asString().startsWith("451 4.4.");

        assertThat(closing.handshakes()).isPositive();
        assertThat(closing.messages()).isEmpty();
        assertThat(outcomes("sts", "success") - success).isPositive();
        assertThat(outcomes("sts", "validation-failure")).isEqualTo(failed);
        assertThat(refused()).isEqualTo(refusedBefore);
    }

    @Test
    void enforceWithACertificateForAnotherNameIsNotDeliveredAndCounted() throws Exception {
        double before = outcomes("sts", "certificate-host-mismatch");

        assertThat(send("user@wrong.test", "wrong")).singleElement().asString().startsWith("451 4.7.5");

        assertThat(wrongName.messages()).extracting(TlsSink.Taken::subject).doesNotContain("wrong");
        assertThat(outcomes("sts", "certificate-host-mismatch") - before).isEqualTo(1);
    }

    @Test
    void enforceWithAnExpiredCertificateIsNotDeliveredAndCounted() throws Exception {
        double before = outcomes("sts", "certificate-expired");

        assertThat(send("user@expired.test", "expired")).singleElement().asString().startsWith("451 4.7.5");

        assertThat(expired.messages()).isEmpty();
        assertThat(outcomes("sts", "certificate-expired") - before).isEqualTo(1);
    }

    @Test
    void enforceWithASelfSignedCertificateIsNotDeliveredAndCounted() throws Exception {
        double before = outcomes("sts", "certificate-not-trusted");

        assertThat(send("user@self.test", "self")).singleElement().asString().startsWith("451 4.7.5");

        assertThat(selfSigned.messages()).extracting(TlsSink.Taken::subject).doesNotContain("self");
        assertThat(outcomes("sts", "certificate-not-trusted") - before).isEqualTo(1);
    }

    @Test
    void enforceWhoseMxIsNotInThePolicyIsRefusedAtRcptWithoutAConnection() throws Exception {
        double before = outcomes("sts", "mx-not-in-policy");

        assertThat(send("user@elsewhere.test", "elsewhere")).singleElement().asString().startsWith("451 4.7.5");

        assertThat(good.messages()).extracting(TlsSink.Taken::subject).doesNotContain("elsewhere");
        assertThat(outcomes("sts", "mx-not-in-policy") - before).isEqualTo(1);
    }

    @Test
    void testingDeliversDespiteTheFailureAndCountsIt() throws Exception {
        double before = outcomes("sts", "certificate-host-mismatch");

        assertThat(send("user@testing.test", "testing")).last().asString().startsWith("250 ");

        assertThat(wrongName.messages()).contains(new TlsSink.Taken("testing", true));
        assertThat(outcomes("sts", "certificate-host-mismatch") - before).isEqualTo(1);
    }

    @Test
    void aDomainWithoutPolicyGetsOpportunisticTlsFromAPolicyPool() throws Exception {
        double before = outcomes("none", "success");

        assertThat(send("user@nopolicy.test", "nopolicy")).last().asString().startsWith("250 ");

        assertThat(selfSigned.messages()).contains(new TlsSink.Taken("nopolicy", true));
        assertThat(outcomes("none", "success") - before).isEqualTo(1);
        assertThat(policyHost.fetches("nopolicy.test")).isZero();
    }
}
