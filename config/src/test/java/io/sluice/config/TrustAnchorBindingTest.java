package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code egress.dns.dane} and {@code egress.dns.trust-anchor}: the file is checked as the validator reads it. */
class TrustAnchorBindingTest {

    private static final String DS = "example.test. 300 IN DS 30995 13 2 "
            + "7E2B3F0C3A4C1D2E9F8A7B6C5D4E3F2A1B0C9D8E7F6A5B4C3D2E1F0A9B8C7D6E\n";

    @TempDir
    Path dir;

    private Path config(String anchorFile) throws Exception {
        return Files.writeString(dir.resolve("sluice.yaml"), """
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: p,
                     allowed-clients: ["10.0.0.0/8"]}
                egress:
                  dns:
                    dane: true
                    trust-anchor: %s
                  pools:
                    p: {sources: [{address: 127.0.0.10, helo: out.example.net}]}
                """.formatted(anchorFile));
    }

    @Test
    void aFileOfDsRecordsBesideTheConfigIsTheTrustAnchor() throws Exception {
        Files.writeString(dir.resolve("anchor.txt"), "; the test zone's key\n" + DS);

        DnsConfig dns = ConfigLoader.load(config("anchor.txt")).egress().dns();

        assertThat(dns.dane()).isEqualTo(DaneMode.TLS_POOLS);
        assertThat(dns.trustAnchor()).contains(dir.resolve("anchor.txt"));
        assertThat(DnsConfig.DEFAULT.dane()).isEqualTo(DaneMode.POLICY_POOLS);
        assertThat(DnsConfig.DEFAULT.trustAnchor()).isEmpty();
    }

    @Test
    void aRecordThatDoesNotParseIsReportedWithTheFilesLineAndTheKeysPathAndLine() throws Exception {
        Files.writeString(dir.resolve("anchor.txt"), DS + "example.test. IN DS not-a-key-tag 13 2 00\n");

        ConfigError error = errorOf(config("anchor.txt"));

        assertThat(error.path()).isEqualTo("egress.dns.trust-anchor");
        assertThat(error.line()).isEqualTo(7);
        assertThat(error.message()).contains("anchor.txt:2:").contains("DS or DNSKEY records");
    }

    @Test
    void aRecordOfAnotherTypeOrAnEmptyFileIsNoTrustAnchor() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "example.test. 300 IN A 192.0.2.1\n");
        Files.writeString(dir.resolve("empty.txt"), "; nothing\n");

        assertThat(errorOf(config("a.txt")).message()).contains("a A record for example.test.");
        assertThat(errorOf(config("empty.txt")).message()).contains("no records");
        assertThat(errorOf(config("missing.txt")).message()).contains("the path of a readable file");
    }

    private static ConfigError errorOf(Path file) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));
        assertThat(e.errors()).hasSize(1);
        return e.errors().get(0);
    }
}
