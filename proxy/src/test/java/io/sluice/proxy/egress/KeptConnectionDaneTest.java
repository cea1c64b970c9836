package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.EgressSource;
import io.sluice.proxy.egress.tls.DaneVerdict;
import io.sluice.proxy.egress.tls.TlsRequirement;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A kept connection serves an MX host DANE binds only if it passed DANE's check when its TLS started. */
class KeptConnectionDaneTest {

    private static final DaneVerdict.Applies APPLIES = new DaneVerdict.Applies("mx.tls.test", List.of());

    @Test
    void aConnectionEncryptedOrEvenVerifiedBeforeDaneBoundTheHostIsNotReused() throws Exception {
        RemoteConnection opportunistic = connection();
        opportunistic.tlsStarted();
        RemoteConnection verified = connection();
        verified.tlsStarted();
        verified.verifiedAs(true);
        RemoteConnection checked = connection();
        checked.tlsStarted();
        checked.daneVerified();

        TlsRequirement bound = new TlsRequirement.Dane(APPLIES);
        assertThat(RemoteConnector.acceptable(opportunistic, bound)).isFalse();
        assertThat(RemoteConnector.acceptable(verified, bound)).isFalse();
        assertThat(RemoteConnector.acceptable(checked, bound)).isTrue();
        // Where DANE does not bind the host, the pool's own rule holds: a DANE-checked connection is not a verified one.
        assertThat(RemoteConnector.acceptable(checked, TlsRequirement.OPPORTUNISTIC)).isTrue();
        assertThat(RemoteConnector.acceptable(checked, TlsRequirement.POOL_REQUIRED)).isFalse();
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
