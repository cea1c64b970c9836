package io.sluice.proxy.relay;

import com.fasterxml.jackson.core.JsonGenerator;
import io.sluice.proxy.session.FinishedTransaction;
import java.io.IOException;
import java.util.List;
import net.logstash.logback.argument.StructuredArgument;

/**
 * The fields of a transaction's log line, as one argument: the session's, the transaction's, then those the next hop
 * adds, then the duration. Written with the generator's own calls, where a {@code kv} per field costs an object on the
 * event loop and a pass through the object mapper on the log writer for each of a dozen fields.
 */
final class TransactionLine implements StructuredArgument {

    private final String session;
    private final String listener;
    private final String clientIp;
    private final String helo;
    private final FinishedTransaction transaction;
    private final List<StructuredArgument> hopFields;

    TransactionLine(String session, String listener, String clientIp, String helo, FinishedTransaction transaction,
                    List<StructuredArgument> hopFields) {
        this.session = session;
        this.listener = listener;
        this.clientIp = clientIp;
        this.helo = helo;
        this.transaction = transaction;
        this.hopFields = hopFields;
    }

    @Override
    public void writeTo(JsonGenerator generator) throws IOException {
        string(generator, "session", session);
        string(generator, "listener", listener);
        string(generator, "client_ip", clientIp);
        string(generator, "helo", helo);
        string(generator, "sender_domain", transaction.senderDomain());
        generator.writeNumberField("recipients", transaction.recipients());
        generator.writeNumberField("size", transaction.size());
        string(generator, "outcome", transaction.outcome());
        generator.writeNumberField("reply", transaction.reply());
        for (StructuredArgument field : hopFields) {
            field.writeTo(generator);
        }
        generator.writeNumberField("duration_ms", transaction.durationMillis());
    }

    // A null (no HELO before MAIL is refused, say) is written as JSON null, as kv writes it.
    private static void string(JsonGenerator generator, String name, String value) throws IOException {
        if (value == null) {
            generator.writeNullField(name);
        } else {
            generator.writeStringField(name, value);
        }
    }

    /** The fields as {@code key=value}, comma-separated, as a list of {@code kv} arguments prints them. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(256)
                .append("session=").append(session)
                .append(", listener=").append(listener)
                .append(", client_ip=").append(clientIp)
                .append(", helo=").append(helo)
                .append(", sender_domain=").append(transaction.senderDomain())
                .append(", recipients=").append(transaction.recipients())
                .append(", size=").append(transaction.size())
                .append(", outcome=").append(transaction.outcome())
                .append(", reply=").append(transaction.reply());
        for (StructuredArgument field : hopFields) {
            text.append(", ").append(field);
        }
        return text.append(", duration_ms=").append(transaction.durationMillis()).toString();
    }
}
