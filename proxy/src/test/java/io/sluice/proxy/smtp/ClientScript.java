package io.sluice.proxy.smtp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * What a well-behaved client sends in one session, with what it expects: how many answers (besides the
 * greeting) and the content of each message as it must reach the backend (dot-stuffed, CRLF line ends).
 *
 * @param startTlsEnd where the STARTTLS line ends, or -1: the client waits for the 220 there
 */
record ClientScript(String text, int startTlsEnd, int answers, List<String> messages) {

    byte[] bytes() {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** The bytes cut at the offsets, and always after STARTTLS: no client sends its handshake before the 220. */
    List<byte[]> reads(List<Integer> cuts) {
        byte[] bytes = bytes();
        List<Integer> at = new ArrayList<>(cuts);
        if (startTlsEnd >= 0) {
            at.add(text.substring(0, startTlsEnd).getBytes(StandardCharsets.UTF_8).length);
        }
        return FrameDriver.cut(bytes, at);
    }

    @Override
    public String toString() {
        return printable(bytes());
    }

    /** Octets as Java string literal text, for reports: CR, LF, NUL and non-ASCII escaped. */
    static String printable(byte[] bytes) {
        StringBuilder out = new StringBuilder();
        for (byte b : bytes) {
            int c = b & 0xff;
            switch (c) {
                case '\r' -> out.append("\\r");
                case '\n' -> out.append("\\n");
                case '\\' -> out.append("\\\\");
                default -> out.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\x%02x", c));
            }
        }
        return out.toString();
    }

    /** Builds a script line by line. */
    static final class Builder {
        private final StringBuilder text = new StringBuilder();
        private final List<String> messages = new ArrayList<>();
        private int startTlsEnd = -1;
        private int answers;

        /** A command line, answered once. */
        Builder command(String line) {
            text.append(line).append("\r\n");
            answers++;
            if (line.equals("STARTTLS")) {
                startTlsEnd = text.length();
            }
            return this;
        }

        /** DATA, its content (dot-stuffed here, RFC 5321 §4.5.2) and the end-of-data line: two answers. */
        Builder message(List<String> lines) {
            command("DATA");
            StringBuilder content = new StringBuilder();
            for (String line : lines) {
                content.append(line.startsWith(".") ? "." : "").append(line).append("\r\n");
            }
            text.append(content).append(".\r\n");
            answers++;
            // The backend's record is by octet.
            messages.add(new String(content.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
            return this;
        }

        ClientScript build() {
            return new ClientScript(text.toString(), startTlsEnd, answers, List.copyOf(messages));
        }
    }
}
