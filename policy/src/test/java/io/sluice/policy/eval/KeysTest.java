package io.sluice.policy.eval;

import static io.sluice.policy.eval.CompiledPolicyTest.address;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.NetPrefixes;
import io.sluice.config.RuleKey;
import io.sluice.policy.model.Facts;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Key values and domain conditions over a session's facts. */
class KeysTest {

    private static final Facts CONNECTED = Facts.connect("inbound", address("198.51.100.77"));

    @ParameterizedTest
    @CsvSource({
        "198.51.100.77, 24, 64, 198.51.100.0/24",
        "198.51.100.77, 20, 64, 198.51.96.0/20",
        "198.51.100.77, 32, 64, 198.51.100.77/32",
        "198.51.100.77, 0, 64, 0.0.0.0/0",
        "::ffff:198.51.100.77, 24, 64, 198.51.100.0/24",
        "2001:db8:1:2:3:4:5:6, 24, 64, 2001:db8:1:2:0:0:0:0/64",
        "2001:db8:1:2:3:4:5:6, 24, 48, 2001:db8:1:0:0:0:0:0/48",
        "2001:db8:1:2:3:4:5:6, 24, 57, 2001:db8:1:0:0:0:0:0/57",
        "2001:db8:1:2ff:3:4:5:6, 24, 57, 2001:db8:1:280:0:0:0:0/57",
        "2001:db8:1:2:3:4:5:6, 24, 128, 2001:db8:1:2:3:4:5:6/128",
        "::1, 24, 0, 0:0:0:0:0:0:0:0/0"})
    void clientNetworkMasksTheHostBits(String client, int ipv4, int ipv6, String network) {
        assertThat(Keys.network(address(client), new NetPrefixes(ipv4, ipv6))).isEqualTo(network);
    }

    @Test
    void clientNetworkKeyUsesTheRulesPrefixes() {
        assertThat(Keys.value(RuleKey.CLIENT_NET, NetPrefixes.DEFAULT, CONNECTED)).isEqualTo("198.51.100.0/24");
        assertThat(Keys.value(RuleKey.CLIENT_NET, new NetPrefixes(16, 64), CONNECTED)).isEqualTo("198.51.0.0/16");
    }

    @Test
    void maskingLeavesTheClientsAddressAlone() {
        Facts facts = Facts.connect("inbound", address("198.51.100.77"));

        Keys.network(facts.clientIp(), NetPrefixes.DEFAULT);

        assertThat(Keys.value(RuleKey.CLIENT_IP, NetPrefixes.DEFAULT, facts)).isEqualTo("198.51.100.77");
    }

    @Test
    void nullSenderHasAKeyOfItsOwn() {
        Facts nullSender = CONNECTED.withSender("", 0);

        assertThat(Keys.value(RuleKey.SENDER, NetPrefixes.DEFAULT, nullSender)).isEqualTo("<>");
        assertThat(Keys.value(RuleKey.SENDER_DOMAIN, NetPrefixes.DEFAULT, nullSender)).isEmpty();
    }

    @Test
    void addressesAndNamesAreKeyedInLowerCase() {
        Facts facts = CONNECTED.withHelo("MX.Client.Example").withSender("Alice@Sender.EXAMPLE", 0)
                .withRecipient("Bob@Rcpt.EXAMPLE");

        assertThat(Keys.value(RuleKey.HELO, NetPrefixes.DEFAULT, facts)).isEqualTo("mx.client.example");
        assertThat(Keys.value(RuleKey.SENDER, NetPrefixes.DEFAULT, facts)).isEqualTo("alice@sender.example");
        assertThat(Keys.value(RuleKey.SENDER_DOMAIN, NetPrefixes.DEFAULT, facts)).isEqualTo("sender.example");
        assertThat(Keys.value(RuleKey.RECIPIENT, NetPrefixes.DEFAULT, facts)).isEqualTo("bob@rcpt.example");
        assertThat(Keys.value(RuleKey.RECIPIENT_DOMAIN, NetPrefixes.DEFAULT, facts)).isEqualTo("rcpt.example");
        assertThat(Keys.value(RuleKey.DESTINATION_DOMAIN, NetPrefixes.DEFAULT, facts)).isEqualTo("rcpt.example");
    }

    @Test
    void factsNotKnownYetGiveNoKey() {
        assertThat(Keys.value(RuleKey.HELO, NetPrefixes.DEFAULT, CONNECTED)).isNull();
        assertThat(Keys.value(RuleKey.SENDER, NetPrefixes.DEFAULT, CONNECTED)).isNull();
        assertThat(Keys.value(RuleKey.SENDER_DOMAIN, NetPrefixes.DEFAULT, CONNECTED)).isNull();
        assertThat(Keys.value(RuleKey.RECIPIENT, NetPrefixes.DEFAULT, CONNECTED)).isNull();
        assertThat(Keys.value(RuleKey.RECIPIENT_DOMAIN, NetPrefixes.DEFAULT, CONNECTED)).isNull();
        assertThat(Keys.value(RuleKey.EGRESS_POOL, NetPrefixes.DEFAULT, CONNECTED)).isNull();
        assertThat(Keys.value(RuleKey.GLOBAL, NetPrefixes.DEFAULT, CONNECTED)).isEmpty();
        assertThat(Keys.value(RuleKey.LISTENER, NetPrefixes.DEFAULT, CONNECTED)).isEqualTo("inbound");
    }

    @ParameterizedTest
    @CsvSource({"example.com, example.com, true", "example.com, mail.example.com, false",
            ".example.com, mail.example.com, true", ".example.com, example.com, false",
            ".example.com, badexample.com, false", "example.com, example.com.evil, false"})
    void domainPatterns(String pattern, String domain, boolean matches) {
        assertThat(Keys.anyDomain(List.of(pattern), domain)).isEqualTo(matches);
    }

    @Test
    void emptyPatternListMatchesAnythingButAnUnknownDomainMatchesNoPattern() {
        assertThat(Keys.anyDomain(List.of(), null)).isTrue();
        assertThat(Keys.anyDomain(List.of("example.com"), null)).isFalse();
    }
}
