package io.sluice.proxy.egress;

import io.sluice.proxy.smtp.BackendCapabilities;
import io.sluice.proxy.smtp.MailPath;
import io.sluice.proxy.smtp.PathParser;
import java.util.Map;
import java.util.function.Predicate;

/**
 * MAIL and RCPT as a remote mail exchanger gets them: rebuilt from the path the session parsed, never the client's
 * line, so that only the mailbox and the parameters the remote can take leave Sluice. A source route
 * ({@code <@a,@b:user@c>}, RFC 5321 §4.1.2 and Appendix C) is dropped, as the RFC asks of a receiver that
 * relays.
 */
final class RemoteCommands {

    private RemoteCommands() {
    }

    /** The MAIL line: parameters of extensions the remote does not offer are left out. */
    static String mail(String clientLine, BackendCapabilities remote) {
        // "MAIL " then the argument the session has parsed once already.
        MailPath path = PathParser.parseMailFrom(clientLine.substring(5)).path();
        return render("MAIL FROM:<", path, name -> switch (name) {
            case "SIZE" -> remote.maxMessageSize() >= 0;
            case "BODY" -> remote.eightBitMime();
            default -> true;
        });
    }

    /** The RCPT line: the DSN parameters (RFC 3461 §4) go on only to a remote that offers DSN. */
    static String rcpt(String clientLine, BackendCapabilities remote) {
        // The session has checked the address against the transaction's SMTPUTF8 already.
        MailPath path = PathParser.parseRcptTo(clientLine.substring(5), true).path();
        return render("RCPT TO:<", path, name -> (name.equals("NOTIFY") || name.equals("ORCPT")) && remote.dsn());
    }

    private static String render(String start, MailPath path, Predicate<String> keep) {
        StringBuilder line = new StringBuilder(start).append(path.address()).append('>');
        for (Map.Entry<String, String> parameter : path.parameters().entrySet()) {
            if (keep.test(parameter.getKey())) {
                line.append(' ').append(parameter.getKey());
                if (!parameter.getValue().isEmpty()) {
                    line.append('=').append(parameter.getValue());
                }
            }
        }
        return line.toString();
    }
}
