package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.EgressSource;
import io.sluice.config.EgressTls;
import io.sluice.proxy.egress.tls.DaneVerdict;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A kept connection serves an MX host DANE binds only if it passed DANE's check when its TLS started. */
class KeptConnectionDaneTest {

    private static final DaneVerdict APPLIES = new DaneVerdict.Applies("mx.tls.test", List.of());
    private static final DaneVerdict INSECURE = new DaneVerdict.NotApplicable(DaneVerdict.Reason.INSECURE_TLSA);

    @Test
    void aConnectionEncryptedOrEvenVerifiedBeforeDaneBoundTheHostIsNotReused() throws Exception {
        RemoteConnection opportunistic = connection();
        opportunistic.tlsStarted(false);
        RemoteConnection verified = connection();
        verified.tlsStarted(true);
        RemoteConnection checked = connection();
        checked.tlsStarted(false);
        checked.daneVerified();

        for (EgressTls tls : List.of(EgressTls.OPPORTUNISTIC, EgressTls.REQUIRED)) {
            assertThat(RemoteConnector.acceptable(opportunistic, tls, APPLIES)).isFalse();
            assertThat(RemoteConnector.acceptable(verified, tls, APPLIES)).isFalse();
            assertThat(RemoteConnector.acceptable(checked, tls, APPLIES)).isTrue();
        }
        // Where DANE does not apply, the pool's own rule holds: a DANE-checked connection is not a verified one.
        assertThat(RemoteConnector.acceptable(checked, EgressTls.OPPORTUNISTIC, INSECURE)).isTrue();
        assertThat(RemoteConnector.acceptable(checked, EgressTls.REQUIRED, INSECURE)).isFalse();
    }

    private static RemoteConnection connection() throws Exception {
        InetAddress address = InetAddress.getByName("127.0.0.2");
        RemoteConnection connection = new RemoteConnection(new MxHost("mx.tls.test", 10, List.of(address)), address,
                new SourceAddress(new EgressSource(InetAddress.getByName("127.0.0.10"), "out0.sluice.test")),
                "mx.tls.test", Duration.ofSeconds(30));
        connection.capabilities(ServerCapabilities.fromEhlo(
                new SmtpReply(250, List.of("mx.tls.test", "PIPELINING", "STARTTLS"))));
        return connection;
    }
}
