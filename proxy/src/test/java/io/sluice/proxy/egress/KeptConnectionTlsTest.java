package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.EgressSource;
import io.sluice.proxy.egress.tls.TlsRequirement;
import io.sluice.proxy.egress.tls.TlsRequirement.NameChecked;
import io.sluice.proxy.egress.tls.TlsRequirement.PolicyType;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which kept connections a delivery may reuse, by the TLS its pool asks for and the TLS the connection has. */
class KeptConnectionTlsTest {

    @Test
    void aConnectionInClearServesOnlyAPoolWithoutTlsOrOneWhoseReceiverOffersNone() throws Exception {
        RemoteConnection offered = connection(true);
        RemoteConnection notOffered = connection(false);

        assertThat(RemoteConnector.acceptable(offered, TlsRequirement.PLAIN)).isTrue();
        assertThat(RemoteConnector.acceptable(offered, TlsRequirement.OPPORTUNISTIC)).isFalse();
        assertThat(RemoteConnector.acceptable(offered, TlsRequirement.POOL_REQUIRED)).isFalse();
        assertThat(RemoteConnector.acceptable(notOffered, TlsRequirement.OPPORTUNISTIC)).isTrue();
        assertThat(RemoteConnector.acceptable(notOffered, TlsRequirement.POOL_REQUIRED)).isFalse();
    }

    @Test
    void aRequiredPoolTakesOnlyAConnectionWhoseCertificateWasVerified() throws Exception {
        RemoteConnection unverified = connection(true);
        unverified.tlsStarted();
        RemoteConnection verified = connection(true);
        verified.tlsStarted();
        verified.verifiedAs(true);

        assertThat(RemoteConnector.acceptable(unverified, TlsRequirement.OPPORTUNISTIC)).isTrue();
        assertThat(RemoteConnector.acceptable(unverified, TlsRequirement.POOL_REQUIRED)).isFalse();
        assertThat(RemoteConnector.acceptable(verified, TlsRequirement.POOL_REQUIRED)).isTrue();
        assertThat(RemoteConnector.acceptable(verified, TlsRequirement.PLAIN)).isTrue();
    }

    @Test
    void anEnforcedPolicyTakesOnlyAVerifiedConnectionAndATestingOneWhatOpportunisticTlsTakes() throws Exception {
        RemoteConnection unverified = connection(true);
        unverified.tlsStarted();
        RemoteConnection clear = connection(true);
        RemoteConnection verified = connection(true);
        verified.tlsStarted();
        verified.verifiedAs(true);
        NameChecked enforce = new NameChecked(PolicyType.STS, true, true);
        NameChecked testing = new NameChecked(PolicyType.STS, false, true);

        assertThat(RemoteConnector.acceptable(unverified, enforce)).isFalse();
        assertThat(RemoteConnector.acceptable(clear, enforce)).isFalse();
        assertThat(RemoteConnector.acceptable(verified, enforce)).isTrue();
        assertThat(RemoteConnector.acceptable(unverified, testing)).isTrue();
        assertThat(RemoteConnector.acceptable(clear, testing)).isFalse();
        assertThat(RemoteConnector.acceptable(connection(false), testing)).isTrue();
    }

    /** A connection in clear, to a receiver that offered STARTTLS or not. */
    private static RemoteConnection connection(boolean startTlsOffered) throws Exception {
        InetAddress address = InetAddress.getByName("127.0.0.2");
        RemoteConnection connection = new RemoteConnection(new MxHost("mx.tls.test", 10, List.of(address)), address,
                new SourceAddress(new EgressSource(InetAddress.getByName("127.0.0.10"), "out0.sluice.test")),
                "mx.tls.test", Duration.ofSeconds(30));
        List<String> lines = startTlsOffered ? List.of("mx.tls.test", "PIPELINING", "STARTTLS")
                : List.of("mx.tls.test", "PIPELINING");
        connection.capabilities(ServerCapabilities.fromEhlo(new SmtpReply(250, lines)));
        return connection;
    }
}
