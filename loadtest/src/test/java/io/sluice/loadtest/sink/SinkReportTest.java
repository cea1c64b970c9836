package io.sluice.loadtest.sink;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SinkReportTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void progressShowsTotalsAndIntervalRates() {
        SinkStats.Snapshot start = new SinkStats.Snapshot(0, 0, 0, 0, 0, 0, 0);
        SinkStats.Snapshot previous = new SinkStats.Snapshot(5 * SECOND, 20, 20, 1_000, 1_000, 2_000_000, 0);
        SinkStats.Snapshot now = new SinkStats.Snapshot(10 * SECOND, 40, 20, 6_000, 7_000, 12_000_000, 3);

        assertThat(SinkReport.progress(start, previous, now)).isEqualTo(
                "sink: t=10s sessions=40 active=20 messages=6000 (1000/s) recipients=7000 bytes=12.0MB (2.0MB/s) faults=3");
    }

    @Test
    void summaryGivesExactBytes() {
        SinkStats.Snapshot start = new SinkStats.Snapshot(SECOND, 0, 0, 0, 0, 0, 0);
        SinkStats.Snapshot end = new SinkStats.Snapshot(5 * SECOND, 3, 0, 2_000, 2_500, 4_123_456, 0);

        assertThat(SinkReport.summary(start, end)).isEqualTo("sink summary: uptime=4.0s sessions=3 messages=2000 "
                + "recipients=2500 bytes=4123456 (4.1MB) mean=500 msg/s");
    }

    @Test
    void bytesUseDecimalUnits() {
        assertThat(SinkReport.bytes(999)).isEqualTo("999B");
        assertThat(SinkReport.bytes(1_000)).isEqualTo("1.0kB");
        assertThat(SinkReport.bytes(1_500_000_000L)).isEqualTo("1.5GB");
    }
}
