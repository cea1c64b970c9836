package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.egress.tls.DaneVerdict.Reason;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Per MX host, DANE before MTA-STS before the pool's mode (RFC 8461 §2, RFC 7672 §2.2): a host DANE binds is held to
 * its TLSA records even where the domain's MTA-STS policy would rule it out or accept it, a host DNSSEC refuses is
 * dropped whatever the other policies say, and a host DANE does not apply to falls through.
 */
class DestinationTlsTest {

    private static final DaneVerdict.Applies APPLIES = new DaneVerdict.Applies("mx1.a.test", List.of());

    @Test
    void daneTakesPrecedenceOverAnEnforcedMtaStsPolicyAndDnssecRefusalsDropTheHost() {
        // The policy names mx2 only: without DANE, mx1 would be ruled out and mx3 held to the policy.
        MtaStsPolicy enforce = new MtaStsPolicy(MtaStsPolicy.Mode.ENFORCE, List.of("mx2.a.test", "mx3.a.test"),
                Duration.ofDays(7));
        Instant now = Instant.now();
        DestinationTls tls = new DestinationTls("a.test", "normal", Map.of("mx1.a.test", APPLIES,
                "mx2.a.test", new DaneVerdict.Refused(Reason.BOGUS, "spoiled signature"),
                "mx3.a.test", new DaneVerdict.NotApplicable(Reason.INSECURE_TLSA)),
                Optional.of(new MtaStsPolicies.Cached("a.test", "1", enforce, now, now.plus(Duration.ofDays(7)))),
                TlsRequirement.OPPORTUNISTIC);

        assertThat(tls.forHost("mx1.a.test")).contains(new TlsRequirement.Dane(APPLIES));
        assertThat(tls.forHost("mx2.a.test")).as("bogus DNSSEC, though the policy names it").isEmpty();
        assertThat(tls.daneRefused("mx2.a.test")).isTrue();
        assertThat(tls.forHost("mx3.a.test")).contains(new TlsRequirement.NameChecked(PolicyType.STS, true, true));
        assertThat(tls.permitted(List.of("mx1.a.test", "mx2.a.test", "mx3.a.test"), Function.identity()))
                .containsExactly("mx1.a.test", "mx3.a.test");
        assertThat(tls.policy()).isEqualTo(PolicyType.TLSA);
    }

    @Test
    void withoutDaneOrMtaStsThePoolsOwnModeHolds() {
        DestinationTls tls = new DestinationTls("a.test", "normal", Map.of("mx.a.test",
                new DaneVerdict.NotApplicable(Reason.INSECURE_MX)), Optional.empty(), TlsRequirement.POOL_REQUIRED);

        assertThat(tls.forHost("mx.a.test")).contains(TlsRequirement.POOL_REQUIRED);
        assertThat(tls.policy()).isEqualTo(PolicyType.NONE);
    }
}
