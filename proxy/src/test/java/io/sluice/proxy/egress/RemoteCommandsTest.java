package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.smtp.BackendCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MAIL and RCPT rebuilt for the remote: the client's line never leaves as it came. */
class RemoteCommandsTest {

    private static final BackendCapabilities WITH_DSN = BackendCapabilities.fromEhlo(
            new SmtpReply(250, List.of("mx.test", "SIZE 1000000", "8BITMIME", "DSN")));
    private static final BackendCapabilities PLAIN = BackendCapabilities.fromEhlo(
            new SmtpReply(250, List.of("mx.test", "PIPELINING")));

    @Test
    void sourceRoutesAreDroppedAndTheAddressIsRenderedAgain() {
        assertThat(RemoteCommands.rcpt("RCPT TO:<@evil.example,@relay.example:user@dest.test>", PLAIN))
                .isEqualTo("RCPT TO:<user@dest.test>");
        assertThat(RemoteCommands.rcpt("rcpt to: <@evil.example:\"odd > name\"@dest.test>", PLAIN))
                .isEqualTo("RCPT TO:<\"odd > name\"@dest.test>");
        assertThat(RemoteCommands.mail("MAIL FROM:<@evil.example:a@example.org> SIZE=10 BODY=8BITMIME", PLAIN))
                .isEqualTo("MAIL FROM:<a@example.org>");
        assertThat(RemoteCommands.mail("mail from:<> SIZE=10 BODY=8BITMIME", WITH_DSN))
                .isEqualTo("MAIL FROM:<> SIZE=10 BODY=8BITMIME");
    }

    @Test
    void dsnParametersGoOnOnlyToARemoteThatOffersDsn() {
        String line = "RCPT TO:<@a.example,@b.example:user@dest.test> notify=SUCCESS,FAILURE"
                + " ORCPT=rfc822;user+2B@dest.test";

        assertThat(RemoteCommands.rcpt(line, WITH_DSN))
                .isEqualTo("RCPT TO:<user@dest.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user+2B@dest.test");
        assertThat(RemoteCommands.rcpt(line, PLAIN)).isEqualTo("RCPT TO:<user@dest.test>");
    }
}
