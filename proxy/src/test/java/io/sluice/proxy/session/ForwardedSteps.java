package io.sluice.proxy.session;

import io.sluice.proxy.smtp.PathParser;
import io.sluice.proxy.smtp.Request;
import java.util.Locale;

/** The steps that forward a client's command, typed as the session parses it. */
final class ForwardedSteps {

    private ForwardedSteps() {
    }

    /** The forward of {@code line} (MAIL, RCPT, DATA or RSET) as the session should return it. */
    static Step.Forward forwarded(String line) {
        String verb = line.split(" ", 2)[0].toUpperCase(Locale.ROOT);
        return new Step.Forward(switch (verb) {
            case "MAIL" -> new Request.Mail(PathParser.parseMailFrom(line.substring(5)).path());
            case "RCPT" -> new Request.Rcpt(PathParser.parseRcptTo(line.substring(5), true).path());
            case "DATA" -> Request.DATA;
            case "RSET" -> Request.RSET;
            default -> throw new IllegalArgumentException("not forwarded: " + line);
        });
    }
}
