package io.sluice.proxy.smtp;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Valid client sessions from the RFC 5321 grammar, as {@link EmbeddedRelay} and its backend accept them: EHLO or
 * HELO, maybe STARTTLS and EHLO again, transactions with the parameters the backend offers, messages whose lines
 * start with dots, RSET, NOOP, QUIT. The backend offers no CHUNKING, so there is no BDAT.
 */
final class ClientScripts {

    private static final Arbitrary<String> DOMAINS =
            Arbitraries.of("client.example", "mail.example.org", "[192.0.2.1]", "[IPv6:2001:db8::1]", "a-b.c0.example");
    private static final Arbitrary<String> SENDERS = Arbitraries.of("<a@example.org>", "<>",
            "<first.last@sub.example.org>", "<\"quoted local\"@example.org>", "<@relay.example:a@example.org>");
    private static final Arbitrary<String> RECIPIENTS =
            Arbitraries.of("<b@example.net>", "<postmaster>", "<Postmaster@example.net>", "<c+tag@example.net>");
    // Parameters the backend offers (SIZE, 8BITMIME, DSN); SMTPUTF8 goes with a UTF-8 sender below.
    private static final Arbitrary<String> MAIL_PARAMETERS = Arbitraries.of(
            "", "", " SIZE=1234", " BODY=8BITMIME", " BODY=7BIT", " RET=HDRS", " ENVID=QQ314159", " SIZE=0 RET=FULL");
    private static final Arbitrary<String> RCPT_PARAMETERS =
            Arbitraries.of("", "", " NOTIFY=SUCCESS,FAILURE", " ORCPT=rfc822;b@example.net", " NOTIFY=NEVER");

    private ClientScripts() {}

    /** Text lines of a message as the client means them, before stuffing: at most 998 octets, many with dots. */
    static Arbitrary<List<String>> messageLines() {
        Arbitrary<String> text = Arbitraries.strings().withChars("ab .:\t\u00e9-").ofMaxLength(30);
        Arbitrary<String> dotted = Arbitraries.strings().withChars('.').ofMaxLength(3)
                .flatMap(dots -> text.map(rest -> dots + rest));
        Arbitrary<String> fixed =
                Arbitraries.of("Subject: test", "", ".", "..", ". ", "MAIL FROM:<x@y.example>", "QUIT");
        Arbitrary<String> longest = Arbitraries.strings().withChars(".z").ofMinLength(990).ofMaxLength(998);
        return Arbitraries.frequencyOf(Tuple.of(10, dotted), Tuple.of(4, fixed), Tuple.of(1, longest))
                .list().ofMaxSize(12);
    }

    /** One MAIL transaction, ending with a message or with RSET, for a client that said EHLO or HELO. */
    private static Arbitrary<Transaction> transactions() {
        Arbitrary<String> mail = Arbitraries.oneOf(
                Combinators.combine(Arbitraries.of("MAIL FROM:", "mail from:", "MAIL FROM: "), SENDERS, MAIL_PARAMETERS)
                        .as((verb, sender, parameters) -> verb + sender + parameters),
                Arbitraries.of("MAIL FROM:<j\u00f6rg@example.org> SMTPUTF8", "MAIL FROM:<a@example.org> SMTPUTF8"));
        Arbitrary<String> rcpt = Combinators
                .combine(Arbitraries.of("RCPT TO:", "rcpt to:"), RECIPIENTS, RCPT_PARAMETERS)
                .as((verb, recipient, parameters) -> verb + recipient + parameters);
        return Combinators.combine(mail, rcpt.list().ofMinSize(1).ofMaxSize(3), Arbitraries.of(true, false),
                        Arbitraries.integers().between(0, 5), messageLines())
                .as((m, rcpts, noop, ending, lines) -> new Transaction(m, rcpts, noop, ending == 0 ? null : lines));
    }

    /** A whole session; with HELO the client uses no parameters (RFC 1869 §4 ties them to EHLO). */
    static Arbitrary<ClientScript> valid() {
        return Combinators.combine(Arbitraries.of("EHLO ", "HELO ", "ehlo "), DOMAINS,
                        Arbitraries.of(true, false, false), Arbitraries.integers().between(0, 2),
                        transactions().list().ofMaxSize(4), Arbitraries.of(true, false))
                .as((hello, domain, startTls, noops, transactions, quit) -> {
                    boolean esmtp = !hello.equals("HELO ");
                    ClientScript.Builder script = new ClientScript.Builder().command(hello + domain);
                    if (startTls && esmtp) {
                        script.command("STARTTLS").command("EHLO " + domain);
                    }
                    for (int i = 0; i < noops; i++) {
                        script.command(i % 2 == 0 ? "NOOP" : "noop");
                    }
                    for (Transaction transaction : transactions) {
                        transaction.addTo(script, esmtp);
                    }
                    if (quit) {
                        script.command("QUIT");
                    }
                    return script.build();
                });
    }

    /** @param lines the message, or null for a transaction that ends with RSET */
    private record Transaction(String mail, List<String> rcpts, boolean noop, List<String> lines) {
        void addTo(ClientScript.Builder script, boolean esmtp) {
            String plain = mail.substring(0, mail.indexOf('>') + 1);
            // Without SMTPUTF8 an address must be ASCII (RFC 6531 §3.4).
            script.command(esmtp ? mail : CommandParser.isAscii(plain) ? plain : "MAIL FROM:<a@example.org>");
            for (String rcpt : rcpts) {
                script.command(esmtp ? rcpt : rcpt.substring(0, rcpt.indexOf('>') + 1));
            }
            if (noop) {
                script.command("NOOP");
            }
            if (lines == null) {
                script.command("RSET");
            } else {
                script.message(lines);
            }
        }
    }
}
