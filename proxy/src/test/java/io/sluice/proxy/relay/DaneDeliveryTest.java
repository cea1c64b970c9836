package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.EgressTls;
import io.sluice.config.MtaStsConfig;
import io.sluice.proxy.egress.tls.SignedDnsServer;
import io.sluice.proxy.egress.tls.TestAuthority;
import io.sluice.proxy.egress.tls.TestCertificates;
import io.sluice.proxy.egress.tls.TestCertificates.Issued;
import io.sluice.proxy.egress.tls.TestPolicyServer;
import io.sluice.proxy.peers.PostfixInstance;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.Type;

/**
 * DANE (RFC 7672) on deliveries: real Postfix smtpd instances as remote MXes, one with a self-signed certificate and
 * one with a certificate of a test CA, and a DNS server serving the signed zone {@code example.test.} (its key is
 * the configured trust anchor) and the unsigned {@code plain.test.}. The attacker's moves (a TLSA record that does
 * not match, a spoiled signature) never get a message delivered; an insecure zone leaves the pool's mode in force.
 */
class DaneDeliveryTest {

    @TempDir
    static Path directory;

    private static SignedDnsServer dns;
    private static Path anchor;
    private static SmtpSinkProcess downstream;
    private static Issued selfSigned;
    private static Issued authority;
    private static PostfixInstance selfSignedMx;
    private static PostfixInstance authorityMx;
    private static RunningOutbound required;
    private static RunningOutbound opportunistic;
    private static RunningOutbound requiredToAuthorityMx;

    @BeforeAll
    static void start() throws Exception {
        dns = SignedDnsServer.start("example.test");
        anchor = Files.writeString(directory.resolve("anchor.txt"), dns.trustAnchor());
        downstream = SmtpSinkProcess.start();
        selfSigned = TestCertificates.server(null, "mx-ee.example.test");
        authority = TestCertificates.authority("Example Test TA");
        selfSignedMx = tlsPostfix(selfSigned.writePem(directory, "self-signed"));
        authorityMx = tlsPostfix(TestCertificates.server(authority, "mx-ta.example.test")
                .writePem(directory, "issued"));
        required = RunningOutbound.resolvingWith(dns.hostPort(), selfSignedMx.port()).tls(EgressTls.REQUIRED)
                .dane(anchor).start();
        opportunistic = RunningOutbound.resolvingWith(dns.hostPort(), selfSignedMx.port())
                .tls(EgressTls.OPPORTUNISTIC).dane(anchor).start();
        requiredToAuthorityMx = RunningOutbound.resolvingWith(dns.hostPort(), authorityMx.port())
                .tls(EgressTls.REQUIRED).dane(anchor).start();
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable closeable : new AutoCloseable[] {required, opportunistic, requiredToAuthorityMx,
                selfSignedMx, authorityMx, downstream, dns}) {
            try {
                if (closeable != null) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static PostfixInstance tlsPostfix(Path[] certificateAndKey) {
        return PostfixInstance.start(downstream, Map.of(
                "smtpd_tls_security_level", "may",
                // The key, then the chain, leaf first: any key type (smtpd_tls_key_file is for RSA keys).
                "smtpd_tls_chain_files", certificateAndKey[1] + ", " + certificateAndKey[0]));
    }

    /** {@code _25._tcp.<host>} TLSA 3 1 1: the SHA-256 digest of the self-signed certificate's public key. */
    private static byte[] selfSignedKeyDigest() throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(selfSigned.certificate().getPublicKey().getEncoded());
    }

    /** A digest one bit away from {@link #selfSignedKeyDigest()}: a record the server's key does not match. */
    private static byte[] otherKeyDigest() throws Exception {
        byte[] digest = selfSignedKeyDigest();
        digest[0] ^= 1;
        return digest;
    }

    private static void domain(String domain, String mxHost) {
        dns.mx(domain, 10, mxHost).address(mxHost, "127.0.0.1");
    }

    /** The RCPT reply, and after a 250 the reply to the message's final dot. */
    private static String send(RunningOutbound sluice, String recipient) throws Exception {
        try (RawSmtpClient client = new RawSmtpClient(sluice.port())) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO mta.example")).startsWith("250 ");
            assertThat(client.command("MAIL FROM:<a@example.org>")).startsWith("250 ");
            String rcpt = client.command("RCPT TO:<" + recipient + ">");
            if (!rcpt.startsWith("250 ")) {
                return rcpt;
            }
            assertThat(client.command("DATA")).startsWith("354 ");
            return client.command("Subject: dane\r\n\r\nbody\r\n.");
        }
    }

    private static double dane(RunningOutbound sluice, String result) {
        return sluice.server().registry().get("sluice.egress.dane").tag("pool", "normal").tag("result", result)
                .counter().count();
    }

    @Test
    void aDaneEeMatchDeliversToASelfSignedCertificateThatRequiredTlsAloneRefuses() throws Exception {
        domain("ee.example.test", "mx-ee.example.test");
        dns.tlsa("mx-ee.example.test", 3, 1, 1, selfSignedKeyDigest());
        // The same server, securely without TLSA records: the pool's own mode, which needs a trusted certificate.
        domain("no-tlsa.example.test", "mx-no-tlsa.example.test");
        double verified = dane(required, "verified");

        assertThat(send(required, "user@ee.example.test")).startsWith("250 ");
        assertThat(dane(required, "verified")).isEqualTo(verified + 1);
        assertThat(send(required, "user@no-tlsa.example.test")).startsWith("451 4.4.1");
        assertThat(dane(required, "no-records")).isPositive();
    }

    @Test
    void whereADomainPublishesBothDaneAndAnEnforcedMtaStsPolicyDaneWins() throws Exception {
        // RFC 8461 §2: a host with secure TLSA records is held to DANE, not to the MTA-STS policy, which would refuse
        // the self-signed certificate. The same server without TLSA records shows that it would.
        try (TestAuthority webPki = TestAuthority.create();
             TestPolicyServer policyHost = TestPolicyServer.start("127.0.0.7", 0, webPki.issue(
                     "mta-sts.both.example.test", "mta-sts.sts-only.example.test").serverContext())) {
            for (String name : List.of("both", "sts-only")) {
                String domain = name + ".example.test";
                String mx = "mx-" + name + ".example.test";
                domain(domain, mx);
                dns.txt("_mta-sts." + domain, "v=STSv1; id=1;").address("mta-sts." + domain, "127.0.0.7");
                policyHost.serve(domain, "version: STSv1\nmode: enforce\nmx: " + mx + "\nmax_age: 86400\n");
            }
            dns.tlsa("mx-both.example.test", 3, 1, 1, selfSignedKeyDigest());
            try (RunningOutbound policy = RunningOutbound.resolvingWith(dns.hostPort(), selfSignedMx.port())
                    .tls(EgressTls.POLICY).dane(anchor)
                    .mtaSts(new MtaStsConfig(Duration.ofSeconds(5), 64 * 1024, 100, Duration.ofHours(1),
                            policyHost.port(), Optional.of(webPki.pem())))
                    .start()) {

                assertThat(send(policy, "user@sts-only.example.test")).startsWith("451 4.7.5");
                assertThat(send(policy, "user@both.example.test")).startsWith("250 ");

                assertThat(policyHost.fetches("both.example.test")).isEqualTo(1);
                assertThat(dane(policy, "verified")).isEqualTo(1);
                assertThat(outcomes(policy, "tlsa", "success")).isEqualTo(1);
                assertThat(outcomes(policy, "sts", "certificate-not-trusted")).isEqualTo(1);
            }
        }
    }

    private static double outcomes(RunningOutbound sluice, String policy, String result) {
        return sluice.server().registry().get("sluice.egress.tls.outcomes").tag("pool", "normal")
                .tag("policy", policy).tag("result", result).counter().count();
    }

    @Test
    void aTlsaRecordThatDoesNotMatchTheCertificateGetsNoMessageEvenFromAnOpportunisticPool() throws Exception {
        domain("wrong.example.test", "mx-wrong.example.test");
        dns.tlsa("mx-wrong.example.test", 3, 1, 1, otherKeyDigest());

        assertThat(send(opportunistic, "user@wrong.example.test")).startsWith("451 4.7.5");
        assertThat(send(required, "user@wrong.example.test")).startsWith("451 4.7.5");
        assertThat(dane(opportunistic, "mismatch")).isPositive();
    }

    @Test
    void aServerThatDoesNotOfferStartTlsGetsNoMessageInClearWhereDaneBindsIt() throws Exception {
        // The downgrade an attacker on the path makes: STARTTLS stripped from the EHLO reply.
        try (SmtpSinkProcess plain = SmtpSinkProcess.startAt("127.0.0.2", selfSignedMx.port())) {
            dns.mx("stripped.example.test", 10, "mx-stripped.example.test")
                    .address("mx-stripped.example.test", "127.0.0.2");
            dns.tlsa("mx-stripped.example.test", 3, 1, 1, selfSignedKeyDigest());
            double stripped = dane(opportunistic, "no-starttls");

            assertThat(send(opportunistic, "user@stripped.example.test")).startsWith("451 4.7.5");
            assertThat(dane(opportunistic, "no-starttls")).isEqualTo(stripped + 1);
            assertThat(plain.messages()).isEmpty();
        }
    }

    @Test
    void aForgedPlainMxAnswerNamingAnUnsignedHostGetsNoMessageInClear() throws Exception {
        // The attacker forges only the plain MX answer: a host in an unsigned zone of theirs, whose TLSA is insecure.
        try (SmtpSinkProcess attacker = SmtpSinkProcess.startAt("127.0.0.3", selfSignedMx.port())) {
            domain("forged-plain.example.test", "mx-ee3.example.test");
            dns.tlsa("mx-ee3.example.test", 3, 1, 1, selfSignedKeyDigest())
                    .address("mx.attacker.test", "127.0.0.3").tlsa("mx.attacker.test", 3, 1, 1, otherKeyDigest())
                    .forgePlainMx("forged-plain.example.test", "mx.attacker.test");
            double bogus = dane(opportunistic, "bogus");

            assertThat(send(opportunistic, "user@forged-plain.example.test")).startsWith("451 4.7.5");
            assertThat(dane(opportunistic, "bogus")).isEqualTo(bogus + 1);
            assertThat(attacker.messages()).isEmpty();
            assertThat(dns.questions()).doesNotContain("_25._tcp.mx.attacker.test./TLSA");
        }
    }

    @Test
    void aSpoiledSignatureOnTheTlsaOrMxRecordsGetsNoMessage() throws Exception {
        domain("forged-tlsa.example.test", "mx-forged.example.test");
        dns.tlsa("mx-forged.example.test", 3, 1, 1, selfSignedKeyDigest())
                .spoil("_25._tcp.mx-forged.example.test", Type.TLSA);
        domain("forged-mx.example.test", "mx-ee2.example.test");
        dns.tlsa("mx-ee2.example.test", 3, 1, 1, selfSignedKeyDigest()).spoil("forged-mx.example.test", Type.MX);
        double bogus = dane(opportunistic, "bogus");

        assertThat(send(opportunistic, "user@forged-tlsa.example.test")).startsWith("451 4.7.5");
        assertThat(send(opportunistic, "user@forged-mx.example.test")).startsWith("451 4.7.5");
        assertThat(dane(opportunistic, "bogus")).isEqualTo(bogus + 2);
    }

    @Test
    void anUnsignedZoneLeavesThePoolsModeInForceWhateverItsTlsaRecordsSay() throws Exception {
        domain("plain.test", "mx.plain.test");
        dns.tlsa("mx.plain.test", 3, 1, 1, otherKeyDigest());
        double insecure = dane(opportunistic, "insecure");
        double checked = dane(opportunistic, "mismatch") + dane(opportunistic, "verified");

        assertThat(send(opportunistic, "user@plain.test")).startsWith("250 ");
        assertThat(send(required, "user@plain.test")).startsWith("451 4.4.1");
        assertThat(dane(opportunistic, "insecure")).isEqualTo(insecure + 1);
        assertThat(dane(opportunistic, "mismatch") + dane(opportunistic, "verified")).isEqualTo(checked);
        assertThat(dns.questions()).doesNotContain("_25._tcp.mx.plain.test./TLSA");
    }

    @Test
    void daneTaDeliversThroughAChainToTheAnchorForTheMxNameOnly() throws Exception {
        byte[] anchorDigest = MessageDigest.getInstance("SHA-256").digest(authority.certificate().getEncoded());
        domain("ta.example.test", "mx-ta.example.test");
        dns.tlsa("mx-ta.example.test", 2, 0, 1, anchorDigest);
        // The same server under another name: the chain leads to the anchor, but the certificate is not for it.
        domain("ta-other.example.test", "mx-ta-other.example.test");
        dns.tlsa("mx-ta-other.example.test", 2, 0, 1, anchorDigest);

        assertThat(send(requiredToAuthorityMx, "user@ta.example.test")).startsWith("250 ");
        assertThat(send(requiredToAuthorityMx, "user@ta-other.example.test")).startsWith("451 4.7.5");
    }
}
