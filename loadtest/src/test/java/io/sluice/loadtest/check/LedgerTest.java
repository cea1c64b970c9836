package io.sluice.loadtest.check;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.BitSet;
import org.junit.jupiter.api.Test;

class LedgerTest {

    private static final byte[] HASH = filled(7);
    private final Ledger ledger = new Ledger();

    private static byte[] filled(int value) {
        byte[] hash = new byte[32];
        Arrays.fill(hash, (byte) value);
        return hash;
    }

    private static BitSet admitted(int... seqs) {
        BitSet set = new BitSet();
        for (int seq : seqs) {
            set.set(seq);
        }
        return set;
    }

    @Test
    void aCleanRunMatches() {
        ledger.record(new CheckHeader("run1", 0, HASH), HASH);
        ledger.record(new CheckHeader("run1", 1, HASH), HASH);

        assertThat(ledger.compare("run1", admitted(0, 1))).isEqualTo(new CheckSummary(2, 2, 0, 0, 0, 0));
        assertThat(ledger.compare("run1", admitted(0, 1)).clean()).isTrue();
    }

    @Test
    void findsLossDuplicationAndCorruption() {
        ledger.record(new CheckHeader("run1", 0, HASH), HASH);
        ledger.record(new CheckHeader("run1", 0, HASH), HASH);
        ledger.record(new CheckHeader("run1", 2, HASH), filled(8));
        ledger.record(new CheckHeader("run1", 3, HASH), HASH);

        CheckSummary summary = ledger.compare("run1", admitted(0, 1, 2));

        assertThat(summary).isEqualTo(new CheckSummary(3, 4, 1, 1, 1, 1));
        assertThat(summary.clean()).isFalse();
    }

    @Test
    void keepsRunsApartAndCountsMessagesWithoutAHeader() {
        ledger.record(new CheckHeader("run1", 0, HASH), HASH);
        ledger.record(new CheckHeader("run2", 0, HASH), HASH);
        ledger.recordUnchecked();

        assertThat(ledger.compare("run2", admitted(0))).isEqualTo(new CheckSummary(1, 1, 0, 0, 0, 0));
        assertThat(ledger.compare("run3", admitted(5))).isEqualTo(new CheckSummary(1, 0, 1, 0, 0, 0));
        assertThat(ledger.totals()).containsExactly(2, 0, 0);
        assertThat(ledger.unchecked()).isEqualTo(1);
    }

    @Test
    void theHeaderRoundTrips() {
        CheckHeader header = new CheckHeader("abc123", 42, HASH);
        String line = new String(header.line(), java.nio.charset.StandardCharsets.US_ASCII);

        assertThat(line).isEqualTo("X-Sluice-Check: abc123.42;" + "07".repeat(32) + "\r\n");
        CheckHeader parsed = CheckHeader.parseValue(line.substring(line.indexOf(':') + 1, line.length() - 2))
                .orElseThrow();
        assertThat(parsed.run()).isEqualTo("abc123");
        assertThat(parsed.seq()).isEqualTo(42);
        assertThat(parsed.matches(HASH)).isTrue();
        assertThat(CheckHeader.parseValue(" abc.1;xyz")).isEmpty();
    }
}
