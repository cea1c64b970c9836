package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerCapabilitiesTest {

    @Test
    void readsTheKeywordsCaseInsensitively() {
        ServerCapabilities capabilities = ServerCapabilities.fromEhlo(ehlo("pipelining", "SIZE 35882577",
                "8bitmime", "SMTPUTF8", "DSN", "StartTLS", "XCLIENT NAME addr PORT", "ENHANCEDSTATUSCODES"));

        assertThat(capabilities).isEqualTo(new ServerCapabilities(true, 35_882_577, true, true, true, true,
                Set.of("NAME", "ADDR", "PORT")));
        assertThat(capabilities.offersXclient()).isTrue();
    }

    @Test
    void firstLineIsTheGreetingNotAKeyword() {
        assertThat(ServerCapabilities.fromEhlo(new SmtpReply(250, List.of("PIPELINING"))).pipelining()).isFalse();
    }

    @Test
    void nothingAdvertisedIsNothingOffered() {
        ServerCapabilities capabilities = ServerCapabilities.fromEhlo(ehlo());

        assertThat(capabilities).isEqualTo(ServerCapabilities.NONE);
        assertThat(capabilities.maxMessageSize()).as("SIZE not advertised").isEqualTo(-1);
        assertThat(capabilities.offersXclient()).isFalse();
    }

    @ParameterizedTest
    @CsvSource({"SIZE 1000, 1000", "SIZE, 0", "SIZE 0, 0", "SIZE -5, 0", "SIZE lots, 0",
            "SIZE 99999999999999999999, 0", "'  size   42  ', 42"})
    void sizeLimit(String line, long limit) {
        assertThat(ServerCapabilities.fromEhlo(ehlo(line)).maxMessageSize()).isEqualTo(limit);
    }

    private static SmtpReply ehlo(String... keywords) {
        List<String> lines = new ArrayList<>(List.of("backend.example"));
        lines.addAll(List.of(keywords));
        return new SmtpReply(250, lines);
    }
}
