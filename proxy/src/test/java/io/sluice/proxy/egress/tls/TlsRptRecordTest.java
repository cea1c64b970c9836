package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The {@code _smtp._tls} record (RFC 8460 §3), which is the destination domain's to write: read with bounds. */
class TlsRptRecordTest {

    @Test
    void theReportUrisOfTheOneRecordAreRead() {
        assertThat(TlsRptRecord.rua(List.of("v=spf1 -all",
                "v=TLSRPTv1; rua=mailto:tlsrpt@example.org, https://reports.example.org/v1/tlsrpt")))
                .containsExactly(URI.create("mailto:tlsrpt@example.org"),
                        URI.create("https://reports.example.org/v1/tlsrpt"));
        assertThat(TlsRptRecord.rua(List.of("v=TLSRPTv1;rua=mailto:a@example.org;"))).hasSize(1);
    }

    @Test
    void noRecordTwoRecordsOrNoRuaIsNoReport() {
        assertThat(TlsRptRecord.rua(List.of())).isEmpty();
        assertThat(TlsRptRecord.rua(List.of("v=TLSRPTv1; rua=mailto:a@example.org",
                "v=TLSRPTv1; rua=mailto:b@example.org"))).isEmpty();
        assertThat(TlsRptRecord.rua(List.of("v=TLSRPTv1; ruf=mailto:a@example.org"))).isEmpty();
        assertThat(TlsRptRecord.rua(List.of("v=TLSRPTv2; rua=mailto:a@example.org"))).isEmpty();
    }

    @Test
    void hostileReportUrisAreLeftOutAndTheirNumberIsBounded() {
        // Other schemes, a second header smuggled into the mailbox, credentials, address literals in mail.
        assertThat(TlsRptRecord.rua(List.of("v=TLSRPTv1; rua=http://reports.example.org/,"
                + "mailto:a@example.org?subject=x,mailto:a@example.org%0d%0aBcc:b@example.org,"
                + "https://user:pw@reports.example.org/,mailto:a@[127.0.0.1],file:///etc/passwd,"
                + "javascript:alert(1)"))).isEmpty();

        String many = IntStream.range(0, 1000).mapToObj(i -> "mailto:r" + i + "@example.org")
                .collect(Collectors.joining(","));
        assertThat(TlsRptRecord.rua(List.of("v=TLSRPTv1; rua=" + many.substring(0, 1900))))
                .hasSize(TlsRptRecord.MAX_URIS);
    }

    @Test
    void aRecordLongerThanTheBoundIsNone() {
        String padded = "v=TLSRPTv1; rua=mailto:a@example.org; x=" + "y".repeat(TlsRptRecord.MAX_RECORD);

        assertThat(TlsRptRecord.rua(List.of(padded))).isEmpty();
    }
}
