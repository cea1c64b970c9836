package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A presented chain checked against the trusted authorities for the MX host name, with the reason it fails. */
class TlsTrustTest {

    private static TestAuthority authority;
    private static TlsTrust trust;

    @BeforeAll
    static void trust() throws Exception {
        authority = TestAuthority.create();
        trust = TlsTrust.of(Optional.of(authority.pem()));
    }

    @AfterAll
    static void close() {
        authority.close();
    }

    @Test
    void eachFailureHasItsOwnReason() {
        assertThat(trust.check(List.of(authority.issue("mx.a.test").certificate()), "MX.A.test."))
                .isEqualTo(TlsResult.SUCCESS);
        assertThat(trust.check(List.of(authority.issue("*.a.test").certificate()), "mx.a.test"))
                .isEqualTo(TlsResult.SUCCESS);
        assertThat(trust.check(List.of(authority.issue("*.a.test").certificate()), "x.mx.a.test"))
                .isEqualTo(TlsResult.CERTIFICATE_HOST_MISMATCH);
        assertThat(trust.check(List.of(authority.issue("mx.b.test").certificate()), "mx.a.test"))
                .isEqualTo(TlsResult.CERTIFICATE_HOST_MISMATCH);
        assertThat(trust.check(List.of(authority.issueExpired("mx.a.test").certificate()), "mx.a.test"))
                .isEqualTo(TlsResult.CERTIFICATE_EXPIRED);
        assertThat(trust.check(List.of(TestAuthority.selfSigned("mx.a.test").certificate()), "mx.a.test"))
                .isEqualTo(TlsResult.CERTIFICATE_NOT_TRUSTED);
        assertThat(trust.check(List.of(), "mx.a.test")).isEqualTo(TlsResult.CERTIFICATE_NOT_TRUSTED);
    }

    @Test
    void theJdksAuthoritiesDoNotVouchForTheTestAuthority() throws Exception {
        TlsTrust jdk = TlsTrust.of(Optional.empty());

        assertThat(jdk.check(List.of(authority.issue("mx.a.test").certificate()), "mx.a.test"))
                .isEqualTo(TlsResult.CERTIFICATE_NOT_TRUSTED);
    }
}
