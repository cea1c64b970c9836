package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

/** When the daily reports go: at {@code send-at} UTC, the next one after now, never now and never a day late. */
class ReportSchedulePropertiesTest {

    @Property(tries = 1000)
    void theNextReportIsAtSendAtWithinTheComingDay(
            @ForAll @LongRange(min = 1_700_000_000_000L, max = 1_900_000_000_000L) long nowMillis,
            @ForAll @LongRange(min = 0, max = 86_399_999) long sendAtMillis) {
        Instant now = Instant.ofEpochMilli(nowMillis);
        LocalTime sendAt = LocalTime.ofNanoOfDay(sendAtMillis * 1_000_000);

        Instant next = TlsReporter.nextReportAt(now, sendAt);

        assertThat(next).isAfter(now);
        assertThat(Duration.between(now, next)).isLessThanOrEqualTo(Duration.ofDays(1));
        assertThat(next.atZone(ZoneOffset.UTC).toLocalTime()).isEqualTo(sendAt);
    }

    @Test
    void sendAtStillToComeIsTodaysAndSendAtNowOrPastIsTomorrows() {
        LocalTime sendAt = LocalTime.of(0, 30);

        assertThat(TlsReporter.nextReportAt(Instant.parse("2026-12-06T00:10:00Z"), sendAt))
                .isEqualTo(Instant.parse("2026-12-06T00:30:00Z"));
        assertThat(TlsReporter.nextReportAt(Instant.parse("2026-12-06T00:30:00Z"), sendAt))
                .as("at send-at itself: the report just ran, the next is tomorrow's")
                .isEqualTo(Instant.parse("2026-12-07T00:30:00Z"));
        assertThat(TlsReporter.nextReportAt(Instant.parse("2026-12-31T23:59:59.999Z"), sendAt))
                .as("across the year's end").isEqualTo(Instant.parse("2027-01-01T00:30:00Z"));
    }
}
