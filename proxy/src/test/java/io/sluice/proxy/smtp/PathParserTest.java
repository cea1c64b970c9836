package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PathParserTest {

    // RFC 5321 §4.5.3.1: the longest parts that still fit in a 256-octet path.
    private static final String LOCAL_64 = "l".repeat(64);
    private static final String DOMAIN_189 = "a".repeat(63) + "." + "b".repeat(63) + "." + "c".repeat(61);

    @Test
    void mailFromGivesTheAddressAndItsDomain() {
        MailPath path = mailFrom("FROM:<Jane.Doe@Example.ORG>");

        assertThat(path.address()).isEqualTo("Jane.Doe@Example.ORG");
        assertThat(path.domain()).isEqualTo("example.org");
        assertThat(path.parameters()).isEmpty();
        assertThat(path.isNull()).isFalse();
    }

    @Test
    void nullPathOnlyAsReversePath() {
        assertThat(mailFrom("FROM:<>").isNull()).isTrue();
        assertRefused(PathParser.parseRcptTo("TO:<>", false), 501, "5.1.3");
    }

    @Test
    void postmasterWithoutDomainOnlyAsRecipient() {
        // RFC 5321 §4.1.1.3
        assertThat(rcptTo("TO:<Postmaster>").address()).isEqualTo("Postmaster");
        assertThat(rcptTo("TO:<Postmaster>").domain()).isEmpty();
        assertRefused(PathParser.parseMailFrom("FROM:<postmaster>"), 501, "5.1.7");
    }

    @Test
    void verbPrefixIsCaseInsensitiveAndMayBeFollowedBySpaces() {
        assertThat(mailFrom("from:  <a@example.org>").address()).isEqualTo("a@example.org");
    }

    @Test
    void sourceRouteIsIgnored() {
        assertThat(rcptTo("TO:<@relay.example,@other.example:user@example.net>").address())
                .isEqualTo("user@example.net");
    }

    @ParameterizedTest
    @ValueSource(strings = {"\"john doe\"@example.net", "\"a\\\"b\"@example.net", "\"\"@example.net",
            "\"<a>\"@example.net", "\"x\\>\"@example.net"})
    void quotedLocalPartsMayHoldAnyPrintable(String mailbox) {
        assertThat(rcptTo("TO:<" + mailbox + ">").address()).isEqualTo(mailbox);
    }

    @ParameterizedTest
    @ValueSource(strings = {"[192.0.2.1]", "[IPv6:2001:db8::1]", "[ipv6:::ffff:192.0.2.1]", "[x-tag:abc]"})
    void addressLiterals(String literal) {
        assertThat(rcptTo("TO:<user@" + literal + ">").address()).isEqualTo("user@" + literal);
        assertThat(PathParser.isValidHeloDomain(literal)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"[256.1.1.1]", "[1.2.3]", "[01.2.3.4.5]", "[IPv6:2001:db8::g]", "[IPv6:1:2]",
            "[IPv6:example.org]", "[192.0.2.1", "[-tag:x]", "[tag:]"})
    void malformedAddressLiterals(String literal) {
        assertRefused(PathParser.parseRcptTo("TO:<user@" + literal + ">", false), 501, "5.1.3");
        assertThat(PathParser.isValidHeloDomain(literal)).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"TO:<a@example.net", "TO:<a@-example.net>", "TO:<a@example-.net>", "TO:<a..b@example.net>",
            "TO:<.a@example.net>", "TO:<a.@example.net>", "TO:<a@example.net.>", "TO:<a@>", "TO:<@example.net>",
            "TO:<a b@example.net>", "TO:<a@b@example.net>", "TO:<\"open@example.net>",
            "TO:<@relay.example:>", "TO:<@relay.example user@example.net>"})
    void malformedRecipients(String argument) {
        assertRefused(PathParser.parseRcptTo(argument, false), 501, "5.1.3");
    }

    @ParameterizedTest
    @ValueSource(strings = {"TO:a@example.net", "TO a@example.net", "FROM:<a@example.net>", ""})
    void argumentWithoutToColonAndAngleBracketsIsUsageError(String argument) {
        assertRefused(PathParser.parseRcptTo(argument, false), 501, "5.5.4");
    }

    @Test
    void parametersAreUpperCasedInOrder() {
        assertThat(mailFrom("FROM:<a@example.org> size=100  BODY=8BITMIME SMTPUTF8 ").parameters())
                .containsExactly(Map.entry("SIZE", "100"), Map.entry("BODY", "8BITMIME"), Map.entry("SMTPUTF8", ""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"SIZE=", "=1", "SIZE=1 size=2", "X=a=b", "-X", "X_Y=1", "X=\u00e9"})
    void malformedParameters(String parameters) {
        assertRefused(PathParser.parseMailFrom("FROM:<a@example.org> " + parameters), 501, "5.5.4");
    }

    @Test
    void parametersMustBeSeparatedFromThePath() {
        assertRefused(PathParser.parseMailFrom("FROM:<a@example.org>SIZE=1"), 501, "5.5.4");
    }

    @Test
    void nonAsciiAddressNeedsSmtpUtf8() {
        // RFC 6531 §3.4
        String mailbox = "\u03b4\u03bf\u03ba\u03b9\u03bc\u03ae@\u03c0\u03b1\u03c1\u03ac\u03b4\u03b5\u03b9\u03b3\u03bc\u03b1.example";

        assertRefused(PathParser.parseMailFrom("FROM:<" + mailbox + ">"), 553, "5.6.7");
        assertThat(mailFrom("FROM:<" + mailbox + "> SMTPUTF8").address()).isEqualTo(mailbox);
        assertRefused(PathParser.parseRcptTo("TO:<" + mailbox + ">", false), 553, "5.6.7");
        assertThat(PathParser.parseRcptTo("TO:<" + mailbox + ">", true).path().address()).isEqualTo(mailbox);
    }

    @Test
    void localPartOf64OctetsFits() {
        assertThat(rcptTo("TO:<" + LOCAL_64 + "@example.net>").address()).startsWith(LOCAL_64);
    }

    @Test
    void localPartOf65OctetsIsTooLong() {
        assertRefused(PathParser.parseRcptTo("TO:<" + LOCAL_64 + "x@example.net>", false), 501, "5.1.3",
                "Local part too long");
        // Octets, not characters: 33 two-octet characters.
        assertRefused(PathParser.parseRcptTo("TO:<" + "\u00e9".repeat(33) + "@example.net>", true), 501, "5.1.3",
                "Local part too long");
    }

    @Test
    void pathOf256OctetsFits() {
        String mailbox = LOCAL_64 + "@" + DOMAIN_189;

        assertThat(("<" + mailbox + ">").length()).isEqualTo(256);
        assertThat(rcptTo("TO:<" + mailbox + ">").address()).isEqualTo(mailbox);
    }

    @Test
    void pathOf257OctetsIsTooLong() {
        assertRefused(PathParser.parseRcptTo("TO:<" + LOCAL_64 + "@" + DOMAIN_189 + "c>", false), 501, "5.1.3",
                "Path too long");
        assertRefused(PathParser.parseMailFrom("FROM:<" + LOCAL_64 + "@" + DOMAIN_189 + "c>"), 501, "5.1.7",
                "Path too long");
    }

    @Test
    void domainOf256OctetsIsRefused() {
        String domain255 = String.join(".", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(63));

        assertThat(PathParser.isValidHeloDomain(domain255)).isTrue();
        assertThat(PathParser.isValidHeloDomain(domain255 + "d")).isFalse();
        assertThat(PathParser.parseRcptTo("TO:<a@" + domain255 + "d>", false).isOk()).isFalse();
    }

    @ParameterizedTest
    @ValueSource(strings = {"client.example", "localhost", "a-b.c1.example", "[192.0.2.1]"})
    void heloDomains(String domain) {
        assertThat(PathParser.isValidHeloDomain(domain)).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "bad_name", "a..example", "-a.example", "a-.example", "a.example.", ".a.example",
            "client.example extra", "\u00e9.example", "[192.0.2.1"})
    void notHeloDomains(String domain) {
        assertThat(PathParser.isValidHeloDomain(domain)).isFalse();
    }

    private static MailPath mailFrom(String argument) {
        PathParser.Result result = PathParser.parseMailFrom(argument);
        assertThat(result.error()).as(argument).isNull();
        return result.path();
    }

    private static MailPath rcptTo(String argument) {
        PathParser.Result result = PathParser.parseRcptTo(argument, false);
        assertThat(result.error()).as(argument).isNull();
        return result.path();
    }

    private static void assertRefused(PathParser.Result result, int code, String enhanced, String... text) {
        assertThat(result.isOk()).isFalse();
        assertThat(result.error().code()).isEqualTo(code);
        assertThat(result.error().lines().get(0)).startsWith(enhanced);
        for (String part : text) {
            assertThat(result.error().lines().get(0)).contains(part);
        }
    }
}
