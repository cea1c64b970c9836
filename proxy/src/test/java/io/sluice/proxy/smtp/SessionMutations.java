package io.sluice.proxy.smtp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/** Valid sessions broken the ways clients and attackers break them, for the relay to survive. */
final class SessionMutations {

    /** The broken session and how it was broken, for the report. */
    record Mutated(byte[] bytes, List<Mutation> mutations) {
        @Override
        public String toString() {
            return mutations + " -> " + ClientScript.printable(bytes);
        }
    }

    enum Kind { FLIP, TRUNCATE, NUL, INVALID_UTF8, OVERLONG_COMMAND, OVERLONG_TEXT, GARBAGE, BARE_CR, BARE_LF, REPEAT }

    /** One change at {@code position} (modulo the length); {@code value} picks among its variants. */
    record Mutation(Kind kind, int position, int value) {
        byte[] apply(byte[] input) {
            int at = Math.floorMod(position, input.length + 1);
            return switch (kind) {
                case FLIP -> {
                    byte[] flipped = input.clone();
                    if (at < flipped.length) {
                        flipped[at] ^= (byte) (1 + Math.floorMod(value, 255));
                    }
                    yield flipped;
                }
                case TRUNCATE -> Arrays.copyOf(input, at);
                case NUL -> insert(input, at, new byte[] {0});
                case INVALID_UTF8 -> insert(input, at, pick(INVALID_UTF8_SEQUENCES));
                // RFC 5321 §4.5.3.1.4 and §4.5.3.1.6: past 512 octets a command, past 1000 a text line.
                case OVERLONG_COMMAND -> insert(input, at, repeat('x', 505 + Math.floorMod(value, 600)));
                case OVERLONG_TEXT -> insert(input, at, repeat('y', 990 + Math.floorMod(value, 30)));
                case GARBAGE -> insert(input, at, pick(GARBAGE).getBytes(StandardCharsets.UTF_8));
                case BARE_CR -> insert(input, at, new byte[] {'\r'});
                case BARE_LF -> insert(input, at, new byte[] {'\n'});
                case REPEAT -> {
                    int length = Math.min(input.length - at, 1 + Math.floorMod(value, 200));
                    yield insert(input, at, Arrays.copyOfRange(input, at, at + length));
                }
            };
        }

        private <T> T pick(List<T> choices) {
            return choices.get(Math.floorMod(value, choices.size()));
        }
    }

    // Truncated, overlong, surrogate, out of range, and a lone continuation byte.
    private static final List<byte[]> INVALID_UTF8_SEQUENCES = List.of(new byte[] {(byte) 0xc3, 0x28},
            new byte[] {(byte) 0xc0, (byte) 0xaf}, new byte[] {(byte) 0xed, (byte) 0xa0, (byte) 0x80},
            new byte[] {(byte) 0xf8, (byte) 0x88, (byte) 0x80, (byte) 0x80, (byte) 0x80}, new byte[] {(byte) 0xff},
            new byte[] {(byte) 0x80}, new byte[] {(byte) 0xe2, (byte) 0x82});

    // Pipelined commands a session did not expect there, and end-of-data look-alikes.
    private static final List<String> GARBAGE = List.of("BDAT 99999999999999999999 LAST\r\n", "BDAT 5\r\nhello",
            "BDAT 0 LAST\r\n", "DATA\r\n", ".\r\n", "\r\n.\r\n", "\n.\n", "\r.\r", "\r\n.\n",
            "MAIL FROM:<x@y.example> SMTPUTF8 BODY=8BITMIME\r\n", "RCPT TO:<\u00ff@x.example>\r\n", "STARTTLS\r\n",
            "EHLO " + "a".repeat(300) + "\r\n", "XCLIENT ADDR=192.0.2.9\r\n", "AUTH PLAIN AGFiYwBkZWY=\r\n", "RSET\r\n",
            "\u0000\r\n", "MAIL FROM:<a@example.org> SIZE=99999999999999999999\r\n", "RCPT TO:<" + "l".repeat(65)
                    + "@example.net>\r\n", "HELO\r\n", "QUIT\r\n", "NOOP\r\n\r\n\r\n", "VRFY root\r\n", " \r\n");

    private SessionMutations() {}

    /** Valid sessions, or two spliced, with one to four mutations. */
    static Arbitrary<Mutated> mutated() {
        Arbitrary<byte[]> valid = ClientScripts.valid().map(ClientScript::bytes);
        Arbitrary<byte[]> spliced = Combinators.combine(valid, valid, Arbitraries.integers(), Arbitraries.integers())
                .as(SessionMutations::splice);
        Arbitrary<Mutation> mutation = Combinators.combine(Arbitraries.of(Kind.class),
                Arbitraries.integers().between(0, 100_000), Arbitraries.integers().between(0, 10_000))
                .as(Mutation::new);
        return Combinators.combine(Arbitraries.frequencyOf(Tuple.of(3, valid), Tuple.of(1, spliced)),
                        mutation.list().ofMinSize(1).ofMaxSize(4))
                .as((bytes, mutations) -> {
                    byte[] result = bytes;
                    for (Mutation each : mutations) {
                        result = each.apply(result);
                    }
                    return new Mutated(result, mutations);
                });
    }

    /** The start of one session up to a point, then the rest of another from a point. */
    private static byte[] splice(byte[] first, byte[] second, int from, int to) {
        int end = Math.floorMod(from, first.length + 1);
        int start = Math.floorMod(to, second.length + 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(first, 0, end);
        out.write(second, start, second.length - start);
        return out.toByteArray();
    }

    private static byte[] insert(byte[] input, int at, byte[] inserted) {
        byte[] result = new byte[input.length + inserted.length];
        System.arraycopy(input, 0, result, 0, at);
        System.arraycopy(inserted, 0, result, at, inserted.length);
        System.arraycopy(input, at, result, at + inserted.length, input.length - at);
        return result;
    }

    private static byte[] repeat(char c, int count) {
        byte[] bytes = new byte[count];
        Arrays.fill(bytes, (byte) c);
        return bytes;
    }
}
