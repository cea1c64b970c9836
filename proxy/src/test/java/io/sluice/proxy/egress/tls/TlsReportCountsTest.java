package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The per-day, per-domain counts a TLS report (RFC 8460) is built from. */
class TlsReportCountsTest {

    @Test
    void outcomesAreCountedPerDayDomainAndPolicyWithFailuresByReportType() {
        TlsReportCounts counts = new TlsReportCounts(Clock.fixed(Instant.parse("2026-12-05T23:59:00Z"),
                ZoneOffset.UTC));
        counts.count("a.test", PolicyType.STS, TlsResult.SUCCESS);
        counts.count("a.test", PolicyType.STS, TlsResult.SUCCESS);
        counts.count("a.test", PolicyType.STS, TlsResult.CERTIFICATE_EXPIRED);
        counts.count("a.test", PolicyType.STS, TlsResult.MX_NOT_IN_POLICY);
        counts.count("a.test", PolicyType.STS, TlsResult.VALIDATION_FAILURE);
        counts.count("b.test", PolicyType.TLSA, TlsResult.SUCCESS);
        LocalDate day = LocalDate.parse("2026-12-05");

        TlsReportCounts.Counts a = counts.of(new TlsReportCounts.Key(day, "a.test", PolicyType.STS));

        assertThat(a.successes()).isEqualTo(2);
        assertThat(a.failures()).isEqualTo(Map.of("certificate-expired", 1L, "validation-failure", 2L));
        assertThat(counts.subjects(day)).hasSize(2);
        counts.forget(day);
        assertThat(counts.subjects(day)).isEmpty();
    }

    @Test
    void failureDetailsAndDomainsWithoutAPolicyStayWithinTheirBounds() {
        TlsReportCounts counts = new TlsReportCounts(Clock.fixed(Instant.parse("2026-12-05T12:00:00Z"),
                ZoneOffset.UTC));
        LocalDate day = LocalDate.parse("2026-12-05");
        for (int i = 0; i < TlsReportCounts.MAX_DETAILS * 4; i++) {
            counts.count("a.test", PolicyType.TLSA, TlsResult.TLSA_INVALID, new TlsReportCounts.Detail("tlsa-invalid",
                    "mx" + i + ".a.test", "192.0.2." + (i % 250), "198.51.100.1"));
        }
        for (int i = 0; i < TlsReportCounts.MAX_DOMAINS; i++) {
            counts.count("none" + i + ".test", PolicyType.NONE, TlsResult.SUCCESS);
        }
        counts.count("b.test", PolicyType.STS, TlsResult.SUCCESS);

        TlsReportCounts.Counts a = counts.of(new TlsReportCounts.Key(day, "a.test", PolicyType.TLSA));
        assertThat(a.failures()).isEqualTo(Map.of("tlsa-invalid", TlsReportCounts.MAX_DETAILS * 4L));
        // The details that fit, and the rest by result type alone.
        assertThat(a.details()).hasSize(TlsReportCounts.MAX_DETAILS + 1);
        assertThat(counts.subjects(day)).filteredOn(key -> key.policy() == PolicyType.NONE)
                .hasSize(TlsReportCounts.MAX_DOMAINS / 2);
        assertThat(counts.of(new TlsReportCounts.Key(day, "b.test", PolicyType.STS)).successes()).isEqualTo(1);
        assertThat(counts.dropped()).isEqualTo(TlsReportCounts.MAX_DOMAINS / 2);
        assertThat(counts.tallies(day)).hasSize(TlsReportCounts.MAX_DOMAINS / 2 + 2);
    }

    @Test
    void aTallyWithoutPlacesKeepsItsCountsByResultType() {
        TlsReportCounts.Tally tally = new TlsReportCounts.Tally("a.test", PolicyType.STS, 7, Map.of(
                new TlsReportCounts.Detail("certificate-expired", "mx1.a.test", "192.0.2.1", "198.51.100.1"), 2L,
                new TlsReportCounts.Detail("certificate-expired", "mx2.a.test", "192.0.2.2", "198.51.100.1"), 3L,
                new TlsReportCounts.Detail("validation-failure", "mx1.a.test", "192.0.2.1", "198.51.100.1"), 1L));

        TlsReportCounts.Tally folded = tally.withoutPlaces();

        assertThat(folded.successes()).isEqualTo(7);
        assertThat(folded.failed()).isEqualTo(tally.failed());
        assertThat(folded.failures()).isEqualTo(Map.of(
                new TlsReportCounts.Detail("certificate-expired", "", "", ""), 5L,
                new TlsReportCounts.Detail("validation-failure", "", "", ""), 1L));
    }
}
