package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.smtp.PathParser;
import io.sluice.proxy.smtp.Request;
import io.sluice.proxy.smtp.ServerCapabilities;
import io.sluice.proxy.smtp.SmtpReply;
import java.util.List;
import org.junit.jupiter.api.Test;

/** MAIL and RCPT rebuilt for the remote from the parsed path: the client's line never leaves as it came. */
class RemoteCommandsTest {

    private static final ServerCapabilities WITH_DSN = ServerCapabilities.fromEhlo(
            new SmtpReply(250, List.of("mx.test", "SIZE 1000000", "8BITMIME", "DSN")));
    private static final ServerCapabilities PLAIN = ServerCapabilities.fromEhlo(
            new SmtpReply(250, List.of("mx.test", "PIPELINING")));

    @Test
    void sourceRoutesAreDroppedAndTheAddressIsRenderedAgain() {
        assertThat(rcpt("RCPT TO:<@evil.example,@relay.example:user@dest.test>", PLAIN))
                .isEqualTo("RCPT TO:<user@dest.test>");
        assertThat(rcpt("rcpt to: <@evil.example:\"odd > name\"@dest.test>", PLAIN))
                .isEqualTo("RCPT TO:<\"odd > name\"@dest.test>");
        assertThat(mail("MAIL FROM:<@evil.example:a@example.org> SIZE=10 BODY=8BITMIME", PLAIN))
                .isEqualTo("MAIL FROM:<a@example.org>");
        assertThat(mail("mail from:<> SIZE=10 BODY=8BITMIME", WITH_DSN))
                .isEqualTo("MAIL FROM:<> SIZE=10 BODY=8BITMIME");
    }

    @Test
    void dsnParametersGoOnOnlyToARemoteThatOffersDsn() {
        String line = "RCPT TO:<@a.example,@b.example:user@dest.test> notify=SUCCESS,FAILURE"
                + " ORCPT=rfc822;user+2B@dest.test";

        assertThat(rcpt(line, WITH_DSN))
                .isEqualTo("RCPT TO:<user@dest.test> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;user+2B@dest.test");
        assertThat(rcpt(line, PLAIN)).isEqualTo("RCPT TO:<user@dest.test>");
    }

    /** The RCPT line the remote gets for the client's line: parsed once by the session, then rendered. */
    private static String rcpt(String clientLine, ServerCapabilities remote) {
        return new Request.Rcpt(RemoteCommands.recipient(PathParser.parseRcptTo(clientLine.substring(5), true).path(),
                remote)).line();
    }

    private static String mail(String clientLine, ServerCapabilities remote) {
        return new Request.Mail(RemoteCommands.sender(PathParser.parseMailFrom(clientLine.substring(5)).path(),
                remote)).line();
    }
}
