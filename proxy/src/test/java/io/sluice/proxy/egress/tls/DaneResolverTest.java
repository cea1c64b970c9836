package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.egress.tls.DaneVerdict.Reason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TLSARecord;
import org.xbill.DNS.Type;

/**
 * DNSSEC-validated DANE lookups against a signed test zone whose key is the trust anchor: each outcome of RFC 7672
 * §2.2 from the answers the validator sees, and the attacker's spoiled signatures found out.
 */
class DaneResolverTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final byte[] DIGEST = new byte[32];

    @TempDir
    Path directory;

    private SignedDnsServer dns;
    private DaneResolver resolver;
    private final AtomicLong nanoTime = new AtomicLong();

    @BeforeEach
    void start() throws Exception {
        dns = SignedDnsServer.start("example.test");
        Path anchor = Files.writeString(directory.resolve("anchor.txt"), dns.trustAnchor());
        SimpleResolver upstream = new SimpleResolver(dns.address());
        upstream.setTimeout(Duration.ofSeconds(5));
        resolver = DaneResolver.create(upstream, anchor, Clock.systemUTC(), 100, Duration.ofHours(1), nanoTime::get);
    }

    @AfterEach
    void stop() {
        dns.close();
    }

    private Map<String, DaneVerdict> assess(String domain, String... hosts) {
        return resolver.assess(domain, List.of(hosts)).orTimeout(WAIT.toSeconds(), java.util.concurrent.TimeUnit.SECONDS)
                .join();
    }

    @Test
    void secureUsableRecordsMakeDaneApplyAndUnusableOnesAreLeftOut() {
        dns.mx("a.example.test", 10, "mx.example.test").address("mx.example.test", "127.0.0.1")
                .tlsa("mx.example.test", 3, 1, 1, DIGEST).tlsa("mx.example.test", 1, 1, 1, DIGEST);

        DaneVerdict verdict = assess("a.example.test", "mx.example.test").get("mx.example.test");

        assertThat(verdict).isInstanceOf(DaneVerdict.Applies.class);
        DaneVerdict.Applies applies = (DaneVerdict.Applies) verdict;
        assertThat(applies.baseDomain()).isEqualTo("mx.example.test");
        assertThat(applies.usable()).extracting(TLSARecord::getCertificateUsage).containsExactly(3);
        assertThat(dns.questions()).contains("example.test./DNSKEY", "a.example.test./MX",
                "_25._tcp.mx.example.test./TLSA");
    }

    @Test
    void onlyPkixRecordsStillBindTheHostToTlsWithoutAuthenticatingIt() {
        dns.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 0, 0, 1, DIGEST);

        DaneVerdict verdict = assess("a.example.test", "mx.example.test").get("mx.example.test");

        assertThat(verdict).isInstanceOfSatisfying(DaneVerdict.Applies.class,
                applies -> assertThat(applies.authenticates()).isFalse());
        assertThat(verdict.result()).isEqualTo("unusable");
    }

    @Test
    void anAuthenticatedDenialOfTlsaRecordsIsNoDaneForBothAMissingNameAndAMissingType() {
        dns.mx("a.example.test", 10, "mx.example.test").mx("a.example.test", 20, "mx2.example.test")
                .address("mx.example.test", "127.0.0.1")
                // The TLSA owner exists with another type: a NODATA answer.
                .address("_25._tcp.mx2.example.test", "127.0.0.1");

        Map<String, DaneVerdict> verdicts = assess("a.example.test", "mx.example.test", "mx2.example.test");

        assertThat(verdicts).containsEntry("mx.example.test", new DaneVerdict.NotApplicable(Reason.NO_RECORDS))
                .containsEntry("mx2.example.test", new DaneVerdict.NotApplicable(Reason.NO_RECORDS));
    }

    @Test
    void anUnsignedDomainIsInsecureSoItsTlsaRecordsAreNeverAskedFor() {
        dns.mx("plain.test", 10, "mx.plain.test").address("mx.plain.test", "127.0.0.1")
                .tlsa("mx.plain.test", 3, 1, 1, DIGEST);

        Map<String, DaneVerdict> verdicts = assess("plain.test", "mx.plain.test");

        assertThat(verdicts).containsEntry("mx.plain.test", new DaneVerdict.NotApplicable(Reason.INSECURE_MX));
        assertThat(dns.questions()).doesNotContain("_25._tcp.mx.plain.test./TLSA");
    }

    @Test
    void aSecureMxWithAnMxHostInAnUnsignedZoneIsInsecureForThatHostOnly() {
        dns.mx("a.example.test", 10, "mx.plain.test").mx("a.example.test", 20, "mx.example.test")
                .tlsa("mx.plain.test", 3, 1, 1, DIGEST).tlsa("mx.example.test", 3, 1, 1, DIGEST);

        Map<String, DaneVerdict> verdicts = assess("a.example.test", "mx.plain.test", "mx.example.test");

        assertThat(verdicts.get("mx.plain.test")).isEqualTo(new DaneVerdict.NotApplicable(Reason.INSECURE_TLSA));
        assertThat(verdicts.get("mx.example.test")).isInstanceOf(DaneVerdict.Applies.class);
    }

    @Test
    void aHostTheSignedMxRrsetDoesNotNameIsRefusedWithoutAskingForItsTlsaRecords() {
        // The attacker forged only the plain MX answer, naming a host in an unsigned zone of theirs.
        dns.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 3, 1, 1, DIGEST)
                .address("mx.attacker.test", "127.0.0.1").tlsa("mx.attacker.test", 3, 1, 1, DIGEST);

        Map<String, DaneVerdict> verdicts = assess("a.example.test", "mx.attacker.test", "MX.Example.Test");

        assertThat(verdicts.get("mx.attacker.test")).isEqualTo(new DaneVerdict.Refused(Reason.BOGUS,
                "mx.attacker.test is not in the validated MX RRset of a.example.test"));
        assertThat(verdicts.get("MX.Example.Test")).isInstanceOf(DaneVerdict.Applies.class);
        assertThat(dns.questions()).doesNotContain("_25._tcp.mx.attacker.test./TLSA");
    }

    @Test
    void aSecureDenialOfMxRecordsAcceptsOnlyTheDomainItselfAsTheImplicitMx() {
        dns.address("implicit.example.test", "127.0.0.1").tlsa("implicit.example.test", 3, 1, 1, DIGEST);

        Map<String, DaneVerdict> verdicts = assess("implicit.example.test", "implicit.example.test",
                "mx.plain.test");

        assertThat(verdicts.get("implicit.example.test")).isInstanceOf(DaneVerdict.Applies.class);
        assertThat(verdicts.get("mx.plain.test")).isInstanceOfSatisfying(DaneVerdict.Refused.class,
                refused -> assertThat(refused.reason()).isEqualTo(Reason.BOGUS));
    }

    @Test
    void aSpoiledTlsaSignatureIsBogusAndRefusesThatHost() {
        dns.mx("a.example.test", 10, "mx.example.test").mx("a.example.test", 20, "mx2.example.test")
                .tlsa("mx.example.test", 3, 1, 1, DIGEST).tlsa("mx2.example.test", 3, 1, 1, DIGEST)
                .spoil("_25._tcp.mx.example.test", Type.TLSA);

        Map<String, DaneVerdict> verdicts = assess("a.example.test", "mx.example.test", "mx2.example.test");

        assertThat(verdicts.get("mx.example.test")).isInstanceOfSatisfying(DaneVerdict.Refused.class,
                refused -> assertThat(refused.reason()).isEqualTo(Reason.BOGUS));
        assertThat(verdicts.get("mx2.example.test")).isInstanceOf(DaneVerdict.Applies.class);
    }

    @Test
    void aValidatedAnswerIsAskedOnceWhileItsTtlLasts() {
        dns.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 3, 1, 1, DIGEST);

        DaneVerdict first = assess("a.example.test", "mx.example.test").get("mx.example.test");
        int asked = dns.questions().size();
        DaneVerdict second = assess("a.example.test", "mx.example.test").get("mx.example.test");

        assertThat(second).isEqualTo(first).isInstanceOf(DaneVerdict.Applies.class);
        assertThat(dns.questions()).hasSize(asked);

        nanoTime.addAndGet(Duration.ofSeconds(301).toNanos()); // the zone's TTL is 300 s
        assess("a.example.test", "mx.example.test");

        assertThat(dns.questions().subList(asked, dns.questions().size()))
                .contains("a.example.test./MX", "_25._tcp.mx.example.test./TLSA");
    }

    @Test
    void lookupsOfOneDomainWhileItsAnswerIsUnderWayAskOnce() {
        dns.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 3, 1, 1, DIGEST);

        // Started together, before any answer can come back: all but the first wait for the first one's answers.
        List<CompletableFuture<Map<String, DaneVerdict>>> together = IntStream.range(0, 20)
                .mapToObj(i -> resolver.assess("a.example.test", List.of("mx.example.test"))).toList();
        List<DaneVerdict> verdicts = together.stream()
                .map(lookup -> lookup.orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join().get("mx.example.test"))
                .toList();

        assertThat(verdicts).hasSize(20).allSatisfy(verdict -> assertThat(verdict).isEqualTo(verdicts.get(0)))
                .first().isInstanceOf(DaneVerdict.Applies.class);
        assertThat(dns.questions()).containsOnlyOnce("a.example.test./MX", "_25._tcp.mx.example.test./TLSA");
    }

    @Test
    void aBogusAnswerIsAskedAgainNextTime() {
        dns.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 3, 1, 1, DIGEST)
                .spoil("_25._tcp.mx.example.test", Type.TLSA);

        assess("a.example.test", "mx.example.test");
        int asked = dns.questions().size();
        DaneVerdict again = assess("a.example.test", "mx.example.test").get("mx.example.test");

        assertThat(again).isInstanceOfSatisfying(DaneVerdict.Refused.class,
                refused -> assertThat(refused.reason()).isEqualTo(Reason.BOGUS));
        assertThat(dns.questions().subList(asked, dns.questions().size()))
                .contains("_25._tcp.mx.example.test./TLSA").doesNotContain("a.example.test./MX");
    }

    @Test
    void aSpoiledMxSignatureRefusesEveryHost() {
        dns.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 3, 1, 1, DIGEST)
                .spoil("a.example.test", Type.MX);

        Map<String, DaneVerdict> verdicts = assess("a.example.test", "mx.example.test");

        assertThat(verdicts.get("mx.example.test")).isInstanceOfSatisfying(DaneVerdict.Refused.class,
                refused -> assertThat(refused.reason()).isEqualTo(Reason.BOGUS));
        assertThat(dns.questions()).doesNotContain("_25._tcp.mx.example.test./TLSA");
    }

    @Test
    void aZoneSignedWithAKeyOtherThanTheAnchorIsBogus() throws Exception {
        try (SignedDnsServer impostor = SignedDnsServer.start("example.test")) {
            impostor.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 3, 1, 1, DIGEST);
            SimpleResolver upstream = new SimpleResolver(impostor.address());
            DaneResolver trusting = DaneResolver.create(upstream,
                    Files.writeString(directory.resolve("real.txt"), dns.trustAnchor()), Clock.systemUTC());

            Map<String, DaneVerdict> verdicts = trusting.assess("a.example.test", List.of("mx.example.test")).join();

            assertThat(verdicts.get("mx.example.test")).isInstanceOfSatisfying(DaneVerdict.Refused.class,
                    refused -> assertThat(refused.reason()).isEqualTo(Reason.BOGUS));
        }
    }

    @Test
    void noAnswerRefusesTheHostsAsALookupFailure() throws Exception {
        SimpleResolver nowhere = new SimpleResolver(new java.net.InetSocketAddress("127.0.0.1", 9));
        nowhere.setTimeout(Duration.ofMillis(300));
        DaneResolver unanswered = DaneResolver.create(nowhere,
                Files.writeString(directory.resolve("a.txt"), dns.trustAnchor()), Clock.systemUTC());

        Map<String, DaneVerdict> verdicts = unanswered.assess("a.example.test", List.of("mx.example.test")).join();

        assertThat(verdicts.get("mx.example.test")).isInstanceOf(DaneVerdict.Refused.class);
    }

    @Test
    void theShippedRootAnchorsLoad() {
        DaneResolver root = DaneResolver.create(new SimpleResolver(dns.address()), null, Clock.systemUTC());

        // The test zone is not under the root's chain here (no root zone is served): its answers cannot validate.
        dns.mx("a.example.test", 10, "mx.example.test");
        assertThat(root.assess("a.example.test", List.of("mx.example.test")).join().get("mx.example.test"))
                .isInstanceOf(DaneVerdict.Refused.class);
    }
}
