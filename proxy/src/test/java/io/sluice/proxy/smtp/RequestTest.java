package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** MAIL and RCPT are written straight into the buffer: the wire holds their line, octet for octet, and CRLF. */
class RequestTest {

    @Test
    void mailWithParametersIsWrittenAsItsLine() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("SIZE", "10");
        parameters.put("BODY", "8BITMIME");
        parameters.put("SMTPUTF8", "");
        Request mail = new Request.Mail(new MailPath("ä@exämple.org", parameters));

        assertThat(wire(mail)).isEqualTo("MAIL FROM:<ä@exämple.org> SIZE=10 BODY=8BITMIME SMTPUTF8\r\n");
        assertThat(mail.line()).isEqualTo("MAIL FROM:<ä@exämple.org> SIZE=10 BODY=8BITMIME SMTPUTF8");
    }

    @Test
    void nullSenderAndPlainRecipient() {
        assertThat(wire(new Request.Mail(new MailPath("", Map.of())))).isEqualTo("MAIL FROM:<>\r\n");
        Request rcpt = new Request.Rcpt(new MailPath("b@example.net", Map.of()));
        assertThat(wire(rcpt)).isEqualTo("RCPT TO:<b@example.net>\r\n");
        assertThat(rcpt.line()).isEqualTo("RCPT TO:<b@example.net>");
    }

    private static String wire(Request request) {
        ByteBuf encoded = request.encode(UnpooledByteBufAllocator.DEFAULT);
        try {
            return encoded.toString(StandardCharsets.UTF_8);
        } finally {
            encoded.release();
        }
    }
}
