package io.sluice.proxy.smtp;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/** Turns a framed command line into an {@link SmtpCommand}, refusing control characters and invalid UTF-8. */
public final class CommandParser {

    private CommandParser() {}

    /** The command, or empty when the line is not a well-formed command line. */
    public static Optional<SmtpCommand> parse(byte[] line) {
        boolean ascii = true;
        for (byte b : line) {
            // RFC 5321 §2.3.8: CR and LF only as the line terminator; NUL never.
            if (b == 0 || b == '\r' || b == '\n') {
                return Optional.empty();
            }
            ascii &= b >= 0;
        }
        String text;
        if (ascii) {
            // Nearly every command: no decoder needed.
            text = new String(line, StandardCharsets.US_ASCII);
        } else {
            try {
                text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(line))
                        .toString();
            } catch (CharacterCodingException e) {
                return Optional.empty();
            }
        }
        int space = text.indexOf(' ');
        String token = space < 0 ? text : text.substring(0, space);
        String argument = space < 0 ? "" : text.substring(space + 1);
        if (token.isEmpty() || !isAscii(token)) {
            return Optional.empty();
        }
        return Optional.of(new SmtpCommand(Verb.of(token), argument, text));
    }

    static boolean isAscii(CharSequence text) {
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) > 0x7f) {
                return false;
            }
        }
        return true;
    }
}
