package io.sluice.proxy.egress;

import io.sluice.proxy.smtp.MailPath;
import io.sluice.proxy.smtp.ServerCapabilities;

/**
 * The paths of MAIL and RCPT as a remote mail exchanger gets them: only the parameters of extensions the remote
 * offers. The session parsed them once; a source route ({@code <@a,@b:user@c>}, RFC 5321 §4.1.2 and Appendix C)
 * was dropped then, as the RFC asks of a receiver that relays.
 */
final class RemoteCommands {

    private RemoteCommands() {
    }

    /** The sender: SIZE and BODY only to a remote that offers them. */
    static MailPath sender(MailPath sender, ServerCapabilities remote) {
        return sender.keeping(name -> switch (name) {
            case "SIZE" -> remote.maxMessageSize() >= 0;
            case "BODY" -> remote.eightBitMime();
            default -> true;
        });
    }

    /** The recipient: the DSN parameters (RFC 3461 §4) go on only to a remote that offers DSN. */
    static MailPath recipient(MailPath recipient, ServerCapabilities remote) {
        return recipient.keeping(name -> (name.equals("NOTIFY") || name.equals("ORCPT")) && remote.dsn());
    }
}
