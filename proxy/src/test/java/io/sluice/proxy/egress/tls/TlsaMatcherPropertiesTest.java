package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.egress.tls.TestCertificates.Issued;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Name;
import org.xbill.DNS.TLSARecord;

/**
 * The TLSA matcher over every selector and matching type: a record made from a certificate matches it, a record one
 * bit away never does, DANE-EE ignores names and dates, DANE-TA holds the chain, its dates and the names to account,
 * and PKIX usages never match in SMTP.
 */
class TlsaMatcherPropertiesTest {

    private static final Instant NOW = Instant.now();
    private static final Issued AUTHORITY = TestCertificates.authority("Test TA");
    private static final Issued OTHER_AUTHORITY = TestCertificates.authority("Other TA");
    private static final Issued SELF_SIGNED = TestCertificates.server(null, "mx.example.test");
    // Expired a year ago, for a name that is not the MX host's.
    private static final Issued STALE = TestCertificates.server(null, NOW.minus(Duration.ofDays(800)),
            NOW.minus(Duration.ofDays(400)), "elsewhere.invalid");
    private static final Issued LEAF = TestCertificates.server(AUTHORITY, "mx.example.test");
    private static final Issued WILDCARD_LEAF = TestCertificates.server(AUTHORITY, "*.example.test");
    private static final Issued EXPIRED_LEAF = TestCertificates.server(AUTHORITY, NOW.minus(Duration.ofDays(30)),
            NOW.minus(Duration.ofDays(1)), "mx.example.test");
    private static final Set<String> NAMES = Set.of("mx.example.test");

    static TLSARecord record(int usage, int selector, int matchingType, X509Certificate certificate) {
        try {
            byte[] selected = selector == 0 ? certificate.getEncoded() : certificate.getPublicKey().getEncoded();
            return record(usage, selector, matchingType, TlsaMatcher.associationData(matchingType, selected));
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    static TLSARecord record(int usage, int selector, int matchingType, byte[] data) {
        return new TLSARecord(Name.fromConstantString("_25._tcp.mx.example.test."), DClass.IN, 300, usage, selector,
                matchingType, data);
    }

    private static List<X509Certificate> chain(Issued leaf) {
        return leaf.issuer() == null ? List.of(leaf.certificate())
                : List.of(leaf.certificate(), leaf.issuer().certificate());
    }

    @Provide
    Arbitrary<Issued> eeCertificates() {
        return Arbitraries.of(SELF_SIGNED, STALE, LEAF, EXPIRED_LEAF);
    }

    @Property
    void daneEeMatchesTheLeafWhateverItsNameAndDates(@ForAll("eeCertificates") Issued leaf,
                                                     @ForAll @IntRange(max = 1) int selector,
                                                     @ForAll @IntRange(max = 2) int matchingType) {
        TLSARecord record = record(3, selector, matchingType, leaf.certificate());

        assertThat(TlsaMatcher.usable(record)).isTrue();
        assertThat(TlsaMatcher.check(List.of(record), chain(leaf), NAMES, NOW).matched()).isTrue();
    }

    @Property
    void oneFlippedBitOfTheAssociationDataNeverMatches(@ForAll("eeCertificates") Issued leaf,
                                                       @ForAll @IntRange(max = 1) int selector,
                                                       @ForAll @IntRange(max = 2) int matchingType,
                                                       @ForAll @IntRange(min = 0, max = 4095) int bit,
                                                       @ForAll @IntRange(min = 2, max = 3) int usage) {
        byte[] data = record(usage, selector, matchingType, leaf.certificate()).getCertificateAssociationData();
        data[(bit / 8) % data.length] ^= (byte) (1 << (bit % 8));

        assertThat(TlsaMatcher.check(List.of(record(usage, selector, matchingType, data)), chain(leaf), NAMES, NOW)
                .matched()).isFalse();
    }

    @Property
    void pkixUsagesAndUnknownParametersAreUnusableEvenWhenTheDataMatches(
            @ForAll @IntRange(max = 255) int usage, @ForAll @IntRange(max = 255) int selector,
            @ForAll @IntRange(max = 255) int matchingType) {
        boolean known = (usage == 2 || usage == 3) && selector <= 1 && matchingType <= 2;
        TLSARecord record = known ? record(usage, selector, matchingType, LEAF.certificate())
                : record(usage, selector, matchingType, new byte[] {1});

        assertThat(TlsaMatcher.usable(record)).isEqualTo(known);
        if (!known && usage <= 1 && selector <= 1 && matchingType <= 2) {
            TLSARecord pkix = record(usage, selector, matchingType, LEAF.certificate());
            assertThat(TlsaMatcher.check(List.of(pkix), chain(LEAF), NAMES, NOW).matched()).isFalse();
        }
    }

    @Property
    void daneTaMatchesTheIssuerInTheChainForTheMxName(@ForAll @IntRange(max = 1) int selector,
                                                      @ForAll @IntRange(max = 2) int matchingType) {
        TLSARecord anchor = record(2, selector, matchingType, AUTHORITY.certificate());

        assertThat(TlsaMatcher.check(List.of(anchor), chain(LEAF), NAMES, NOW).matched()).isTrue();
        assertThat(TlsaMatcher.check(List.of(anchor), chain(WILDCARD_LEAF), NAMES, NOW).matched()).isTrue();
        // Names, dates and the chain count for DANE-TA.
        assertThat(TlsaMatcher.check(List.of(anchor), chain(LEAF), Set.of("other.example.test"), NOW).matched())
                .isFalse();
        assertThat(TlsaMatcher.check(List.of(anchor), chain(EXPIRED_LEAF), NAMES, NOW).matched()).isFalse();
        // A TA record never vouches for the leaf itself, nor for a chain its key did not sign.
        assertThat(TlsaMatcher.check(List.of(record(2, selector, matchingType, SELF_SIGNED.certificate())),
                chain(SELF_SIGNED), NAMES, NOW).matched()).isFalse();
        Issued forged = TestCertificates.server(OTHER_AUTHORITY, "mx.example.test");
        List<X509Certificate> spliced = List.of(forged.certificate(), AUTHORITY.certificate());
        assertThat(TlsaMatcher.check(List.of(anchor), spliced, NAMES, NOW).matched()).isFalse();
    }
}
