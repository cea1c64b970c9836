package io.sluice.proxy.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;

class PathParserPropertiesTest {

    // RFC 5322 §3.2.3 atext
    private static final String ATEXT = "abcXYZ019!#$%&'*+-/=?^_`{|}~";

    @Property(tries = 3000)
    void neverThrowsAndAlwaysDecides(@ForAll("pathLike") String argument) {
        for (PathParser.Result result : List.of(PathParser.parseMailFrom(argument),
                PathParser.parseRcptTo(argument, false), PathParser.parseRcptTo(argument, true),
                PathParser.parseMailFrom("FROM:" + argument), PathParser.parseRcptTo("TO:" + argument, true))) {
            assertThat(result.path() == null).isNotEqualTo(result.error() == null);
            if (!result.isOk()) {
                assertThat(result.error().code()).isBetween(500, 599);
            }
        }
        PathParser.isValidHeloDomain(argument);
    }

    @Property
    void acceptsEveryValidPath(@ForAll("mailboxes") String mailbox, @ForAll("parameters") String parameters) {
        Assume.that(octets("<" + mailbox + ">") <= 256);

        PathParser.Result rcpt = PathParser.parseRcptTo("TO:<" + mailbox + ">" + parameters, false);
        PathParser.Result mail = PathParser.parseMailFrom("FROM:<" + mailbox + ">" + parameters);

        assertThat(rcpt.error()).as(mailbox).isNull();
        assertThat(rcpt.path().address()).isEqualTo(mailbox);
        assertThat(mail.error()).as(mailbox).isNull();
        assertThat(mail.path()).isEqualTo(rcpt.path());
    }

    @Property
    void refusesLocalPartsOver64Octets(@ForAll @IntRange(min = 65, max = 120) int length) {
        String mailbox = "l".repeat(length) + "@example.net";

        assertThat(PathParser.parseRcptTo("TO:<" + mailbox + ">", false).isOk()).isFalse();
    }

    @Property
    void refusesDomainsOver255Octets(@ForAll @IntRange(min = 256, max = 400) int length) {
        String domain = domainOfLength(length);

        assertThat(PathParser.isValidHeloDomain(domain)).isFalse();
        assertThat(PathParser.parseRcptTo("TO:<a@" + domain + ">", false).isOk()).isFalse();
    }

    @Property
    void refusesPathsOver256Octets(@ForAll("overlongMailboxes") String mailbox) {
        assertThat(octets("<" + mailbox + ">")).isGreaterThan(256);
        assertThat(PathParser.parseRcptTo("TO:<" + mailbox + ">", false).isOk()).isFalse();
        assertThat(PathParser.parseMailFrom("FROM:<" + mailbox + ">").isOk()).isFalse();
    }

    /** Strings made of the grammar's own characters, so that parsing gets deep before it fails. */
    @Provide
    Arbitrary<String> pathLike() {
        Arbitrary<String> noise = Arbitraries.strings().withChars("<>@.:,[]\"\\ =-aZ09IPv6f\u00e9\u0000\r\t")
                .ofMaxLength(40);
        Arbitrary<String> prefixed = Combinators.combine(
                Arbitraries.of("FROM:", "TO:", "from: <", "TO:<", "TO:<@", "FROM:<a@[", "TO:<\"", "TO:<a@[IPv6:"),
                noise).as(String::concat);
        return Arbitraries.oneOf(noise, prefixed, Arbitraries.strings().ofMaxLength(30));
    }

    /** RFC 5321 §4.1.2 Mailbox: a dot-string or quoted local part of at most 64 octets, and a domain. */
    @Provide
    Arbitrary<String> mailboxes() {
        Arbitrary<String> domain = Arbitraries.oneOf(domains(), addressLiterals(),
                Arbitraries.integers().between(1, 255).map(PathParserPropertiesTest::domainOfLength));
        return Combinators.combine(localParts(), domain).as((l, d) -> l + "@" + d);
    }

    /** Mailboxes within the limits of their parts whose path is still too long. */
    @Provide
    Arbitrary<String> overlongMailboxes() {
        // "<" local "@" domain ">" is over 256 octets once the domain has 254 - local octets.
        return localParts().flatMap(local -> Arbitraries.integers().between(254 - octets(local), 255)
                .map(length -> local + "@" + domainOfLength(length)));
    }

    private Arbitrary<String> localParts() {
        return Arbitraries.oneOf(dotString(), quotedString(), Arbitraries.strings().withChars(ATEXT).ofLength(64))
                .filter(part -> octets(part) <= 64);
    }

    /** A domain of the given length in labels of at most 50 octets. */
    private static String domainOfLength(int length) {
        char[] chars = new char[length];
        for (int i = 0; i < length; i++) {
            chars[i] = (i % 51 == 50 && i < length - 1) ? '.' : (char) ('a' + i % 26);
        }
        return new String(chars);
    }

    private Arbitrary<String> dotString() {
        return Arbitraries.strings().withChars(ATEXT).ofMinLength(1).ofMaxLength(20)
                .list().ofMinSize(1).ofMaxSize(4).map(atoms -> String.join(".", atoms));
    }

    private Arbitrary<String> quotedString() {
        // qtextSMTP is printable ASCII but '"' and '\'; those two come as quoted pairs.
        Arbitrary<String> qtext = Arbitraries.chars().range(' ', '~').filter(c -> c != '"' && c != '\\').map(String::valueOf);
        Arbitrary<String> quotedPair = Arbitraries.chars().range(' ', '~').map(c -> "\\" + c);
        return Arbitraries.frequencyOf(Tuple.of(5, qtext), Tuple.of(1, quotedPair))
                .list().ofMaxSize(30).map(parts -> "\"" + String.join("", parts) + "\"");
    }

    private Arbitrary<String> domains() {
        Arbitrary<Character> letDig = Arbitraries.chars().range('a', 'z').range('A', 'Z').range('0', '9');
        Arbitrary<String> ldh = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars('-')
                .ofMaxLength(61);
        Arbitrary<String> label = Arbitraries.oneOf(letDig.map(String::valueOf),
                Combinators.combine(letDig, ldh, letDig).as((first, middle, last) -> first + middle + last));
        return label.list().ofMinSize(1).ofMaxSize(6).map(labels -> String.join(".", labels));
    }

    private Arbitrary<String> addressLiterals() {
        Arbitrary<Integer> octet = Arbitraries.integers().between(0, 255);
        Arbitrary<String> ipv4 = octet.list().ofSize(4).map(parts -> "[" + parts.get(0) + "." + parts.get(1) + "."
                + parts.get(2) + "." + parts.get(3) + "]");
        Arbitrary<String> ipv6 = Arbitraries.integers().between(0, 0xffff).list().ofSize(8)
                .map(groups -> "[IPv6:" + String.join(":", groups.stream().map(Integer::toHexString).toList()) + "]");
        return Arbitraries.oneOf(ipv4, ipv6, Arbitraries.of("[IPv6:::1]", "[IPv6:2001:db8::]", "[tag:any-thing]"));
    }

    /** RFC 5321 §4.1.2 Mail-parameters, each preceded by a space. */
    @Provide
    Arbitrary<String> parameters() {
        Arbitrary<String> keyword = Arbitraries.strings().withCharRange('A', 'Z').ofMinLength(1).ofMaxLength(8)
                .flatMap(head -> Arbitraries.strings().withCharRange('a', 'z').withChars("-09").ofMaxLength(4)
                        .map(tail -> head + tail));
        Arbitrary<String> value = Arbitraries.strings().withCharRange('!', '~').ofMaxLength(10)
                .map(v -> v.replace("=", ""));
        return Combinators.combine(keyword, value).as((k, v) -> " " + k + (v.isEmpty() ? "" : "=" + v))
                .list().ofMaxSize(3).uniqueElements(p -> p.substring(1).split("=")[0].toUpperCase(Locale.ROOT))
                .map(list -> String.join("", list));
    }

    private static int octets(String text) {
        return text.getBytes(UTF_8).length;
    }
}
