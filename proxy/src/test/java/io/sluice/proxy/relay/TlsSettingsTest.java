package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.ssl.util.SelfSignedCertificate;
import io.sluice.config.TlsConfig;
import io.sluice.proxy.peers.ExternalTool;
import io.sluice.proxy.peers.SmtpSinkProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** STARTTLS on a listener speaks TLS 1.2 and 1.3 only, with forward-secret AEAD ciphers (openssl as the client). */
class TlsSettingsTest {

    private static SelfSignedCertificate certificate;

    @BeforeAll
    static void certificate() throws Exception {
        certificate = new SelfSignedCertificate("mx.sluice.test");
    }

    @AfterAll
    static void deleteCertificate() {
        certificate.delete();
    }

    @Test
    void tls11IsRefusedByTheServerAnd12And13UseAeadCiphers() throws Exception {
        try (SmtpSinkProcess sink = SmtpSinkProcess.start();
             RunningSluice sluice = RunningSluice.relayingTo(sink.port())
                     .tls(new TlsConfig(certificate.certificate().toPath(), certificate.privateKey().toPath()))
                     .start()) {
            // Security level 0 lets the client offer TLS 1.1 at all: the refusal must come from Sluice.
            ExternalTool.Finished old = handshake(sluice.port(), "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0");
            ExternalTool.Finished tls12 = handshake(sluice.port(), "-tls1_2");
            ExternalTool.Finished tls13 = handshake(sluice.port(), "-tls1_3");

            assertThat(old.output()).as(old.output()).contains("alert protocol version");
            assertThat(tls12.output()).as(tls12.output())
                    .containsPattern("New, TLSv1.2, Cipher is ECDHE-[A-Z0-9]+-(AES[0-9]+-GCM-SHA[0-9]+|CHACHA20-POLY1305)");
            assertThat(tls13.output()).as(tls13.output())
                    .containsPattern("New, TLSv1.3, Cipher is TLS_(AES_[0-9]+_GCM_SHA[0-9]+|CHACHA20_POLY1305_SHA256)");
        }
    }

    private static ExternalTool.Finished handshake(int port, String... options) {
        List<String> args = new ArrayList<>(List.of("s_client", "-connect", "127.0.0.1:" + port,
                "-starttls", "smtp", "-servername", "mx.sluice.test"));
        args.addAll(List.of(options));
        return ExternalTool.run(Duration.ofSeconds(30), ExternalTool.requireTool("openssl"), args);
    }
}
