package io.sluice.policy.eval;

import static io.sluice.policy.eval.Rules.clientNets;
import static io.sluice.policy.eval.Rules.except;
import static io.sluice.policy.eval.Rules.helos;
import static io.sluice.policy.eval.Rules.limit;
import static io.sluice.policy.eval.Rules.listeners;
import static io.sluice.policy.eval.Rules.match;
import static io.sluice.policy.eval.Rules.recipientDomains;
import static io.sluice.policy.eval.Rules.senderDomains;
import static io.sluice.policy.eval.Rules.sessions;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.ConcurrencyRule;
import io.sluice.config.Counted;
import io.sluice.config.LimitRule;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleKey.Stage;
import io.sluice.policy.model.Facts;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Which rules a request at each stage is charged under, and with which bucket keys: pure planning. */
class CompiledPolicyTest {

    private static final Facts ALL_KNOWN = facts("inbound", "198.51.100.7", "mx.client.example",
            "alice@Sender.Example", 2_000, "bob@Rcpt.Example");

    @Test
    void eachRuleIsChargedAtTheFirstStageItsCountKeyAndConditionsAreKnown() {
        CompiledPolicy policy = policy(List.of(
                limit("connections", RuleKey.CLIENT_IP, Counted.CONNECTIONS),
                limit("messages-by-sender-domain", RuleKey.SENDER_DOMAIN, Counted.MESSAGES),
                limit("recipients-by-ip", RuleKey.CLIENT_IP, Counted.RECIPIENTS),
                limit("messages-by-recipient-domain", RuleKey.RECIPIENT_DOMAIN, Counted.MESSAGES),
                limit("messages-by-helo", RuleKey.HELO, Counted.MESSAGES),
                limit("bytes-by-sender", RuleKey.SENDER, Counted.BYTES),
                match(limit("messages-to-example", RuleKey.CLIENT_IP, Counted.MESSAGES),
                        recipientDomains("rcpt.example"))),
                List.of(sessions("sessions", RuleKey.CLIENT_IP, 5)));

        assertThat(chargedRules(policy, Stage.CONNECT)).containsExactly("connections");
        assertThat(chargedRules(policy, Stage.HELO)).isEmpty();
        assertThat(chargedRules(policy, Stage.MAIL))
                .containsExactly("messages-by-sender-domain", "messages-by-helo", "bytes-by-sender");
        assertThat(chargedRules(policy, Stage.RCPT))
                .containsExactly("recipients-by-ip", "messages-by-recipient-domain", "messages-to-example");
        assertThat(chargedRules(policy, Stage.DATA)).isEmpty();
    }

    @Test
    void sessionSlotsAreHeldAtConnectOnly() {
        CompiledPolicy policy = policy(List.of(limit("messages", RuleKey.CLIENT_IP, Counted.MESSAGES)),
                List.of(sessions("sessions", RuleKey.CLIENT_IP, 5)));

        Plan connect = policy.plan(Stage.CONNECT, ALL_KNOWN);
        assertThat(connect.charges()).isEmpty();
        assertThat(connect.holds()).extracting(hold -> hold.rule().rule().name()).containsExactly("sessions");
        assertThat(connect.holds().get(0).leaseKey()).isEqualTo("sessions|198.51.100.7");
        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN).holds()).isEmpty();
        assertThat(policy.hasRules(Stage.CONNECT)).isTrue();
        assertThat(policy.hasRules(Stage.HELO)).isFalse();
    }

    @Test
    void stageWithoutRulesPlansNothing() {
        CompiledPolicy policy = policy(List.of(limit("messages", RuleKey.CLIENT_IP, Counted.MESSAGES)), List.of());

        assertThat(policy.plan(Stage.CONNECT, ALL_KNOWN)).isSameAs(Plan.EMPTY);
        assertThat(policy.plan(Stage.RCPT, ALL_KNOWN).isEmpty()).isTrue();
        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN).isEmpty()).isFalse();
    }

    @Test
    void ruleForSomeListenersSkipsTheOthers() {
        CompiledPolicy policy = policy(
                List.of(listeners(limit("inbound-only", RuleKey.CLIENT_IP, Counted.CONNECTIONS), "inbound"),
                        limit("everywhere", RuleKey.CLIENT_IP, Counted.CONNECTIONS)),
                List.of(Rules.listeners(sessions("submission-sessions", RuleKey.CLIENT_IP, 5), "submission")));

        Plan inbound = policy.plan(Stage.CONNECT, Facts.connect("inbound", address("192.0.2.1")));
        Plan submission = policy.plan(Stage.CONNECT, Facts.connect("submission", address("192.0.2.1")));

        assertThat(inbound.charges()).extracting(c -> c.limit().rule().name()).containsExactly("inbound-only",
                "everywhere");
        assertThat(inbound.holds()).isEmpty();
        assertThat(submission.charges()).extracting(c -> c.limit().rule().name()).containsExactly("everywhere");
        assertThat(submission.holds()).hasSize(1);
    }

    @ParameterizedTest
    @CsvSource({"10.1.2.3, true", "10.255.255.255, true", "11.0.0.1, false", "192.0.2.1, false",
            "2001:db8:ffff::1, true", "2001:db9::1, false", "::ffff:10.9.9.9, true"})
    void matchOnClientNetworks(String client, boolean applies) {
        CompiledPolicy policy = policy(List.of(match(limit("from-nets", RuleKey.CLIENT_IP, Counted.CONNECTIONS),
                clientNets("10.0.0.0/8", "2001:db8::/32"))), List.of());

        assertThat(policy.plan(Stage.CONNECT, Facts.connect("inbound", address(client))).isEmpty())
                .isEqualTo(!applies);
    }

    @ParameterizedTest
    @CsvSource({"a@example.com, true", "a@EXAMPLE.com, true", "a@mail.example.com, false", "a@example.org, false",
            "a@notexample.com, false"})
    void domainWithoutDotMatchesOnlyItself(String sender, boolean applies) {
        CompiledPolicy policy = policy(List.of(match(limit("from-example", RuleKey.CLIENT_IP, Counted.MESSAGES),
                senderDomains("Example.com"))), List.of());

        assertThat(policy.plan(Stage.MAIL, mail(sender)).isEmpty()).isEqualTo(!applies);
    }

    @ParameterizedTest
    @CsvSource({"a@mail.example.com, true", "a@a.b.example.com, true", "a@MAIL.Example.COM, true",
            "a@example.com, false", "a@mailexample.com, false", "a@example.com.evil, false"})
    void domainWithLeadingDotMatchesEverySubdomain(String sender, boolean applies) {
        CompiledPolicy policy = policy(List.of(match(limit("from-example", RuleKey.CLIENT_IP, Counted.MESSAGES),
                senderDomains(".example.com"))), List.of());

        assertThat(policy.plan(Stage.MAIL, mail(sender)).isEmpty()).isEqualTo(!applies);
    }

    @Test
    void exceptExemptsWhatItMatches() {
        CompiledPolicy policy = policy(List.of(except(limit("all-but-partners", RuleKey.SENDER_DOMAIN,
                Counted.MESSAGES), senderDomains("partner.example", ".partner.example"))), List.of());

        assertThat(policy.plan(Stage.MAIL, mail("a@partner.example")).isEmpty()).isTrue();
        assertThat(policy.plan(Stage.MAIL, mail("a@eu.partner.example")).isEmpty()).isTrue();
        assertThat(policy.plan(Stage.MAIL, mail("a@other.example")).isEmpty()).isFalse();
    }

    @Test
    void exceptOnClientNetworkExemptsTrustedClientsFromSessionLimits() {
        ConcurrencyRule rule = Rules.except(sessions("sessions", RuleKey.CLIENT_IP, 5), clientNets("192.0.2.0/24"));
        CompiledPolicy policy = policy(List.of(), List.of(rule));

        assertThat(policy.plan(Stage.CONNECT, Facts.connect("inbound", address("192.0.2.9"))).isEmpty()).isTrue();
        assertThat(policy.plan(Stage.CONNECT, Facts.connect("inbound", address("198.51.100.9"))).holds()).hasSize(1);
    }

    @Test
    void matchAndExceptTogether() {
        LimitRule rule = except(match(limit("outside-partners", RuleKey.CLIENT_IP, Counted.MESSAGES),
                clientNets("198.51.100.0/24")), senderDomains("partner.example"));
        CompiledPolicy policy = policy(List.of(rule), List.of());

        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN.withSender("x@other.example", 0)).isEmpty()).isFalse();
        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN.withSender("x@partner.example", 0)).isEmpty()).isTrue();
    }

    @Test
    void matchOnHeloNameIsCaseInsensitive() {
        CompiledPolicy policy = policy(List.of(match(limit("from-relay", RuleKey.CLIENT_IP, Counted.MESSAGES),
                helos("relay.example"))), List.of());

        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN.withHelo("RELAY.example")).isEmpty()).isFalse();
        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN.withHelo("other.example")).isEmpty()).isTrue();
        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN.withHelo(null)).isEmpty()).as("no HELO: condition unknown")
                .isTrue();
    }

    @Test
    void recipientDomainConditionIsCheckedAtEachRecipient() {
        CompiledPolicy policy = policy(List.of(match(limit("to-example", RuleKey.RECIPIENT, Counted.RECIPIENTS),
                recipientDomains(".example"))), List.of());

        assertThat(policy.plan(Stage.RCPT, ALL_KNOWN.withRecipient("x@rcpt.example")).isEmpty()).isFalse();
        assertThat(policy.plan(Stage.RCPT, ALL_KNOWN.withRecipient("x@rcpt.test")).isEmpty()).isTrue();
    }

    @Test
    void bucketKeyNamesTheRuleAndItsShapeAndTheKeyValue() {
        CompiledPolicy policy = policy(List.of(limit("per-domain", RuleKey.SENDER_DOMAIN, Counted.MESSAGES,
                new Rate(100, Duration.ofMinutes(1)), 20)), List.of());

        Plan.Charge charge = policy.plan(Stage.MAIL, ALL_KNOWN).charges().get(0);

        assertThat(charge.bucketKey()).isEqualTo("per-domain|20/100/60000|sender.example");
        assertThat(charge.tokens()).isEqualTo(1);
    }

    @Test
    void changedShapeOfARuleGivesNewBuckets() {
        Plan before = policy(List.of(limit("r", RuleKey.CLIENT_IP, Counted.MESSAGES)), List.of())
                .plan(Stage.MAIL, ALL_KNOWN);
        Plan after = policy(List.of(limit("r", RuleKey.CLIENT_IP, Counted.MESSAGES, Rules.TEN_PER_SECOND, 11)),
                List.of()).plan(Stage.MAIL, ALL_KNOWN);

        assertThat(before.charges().get(0).bucketKey()).isNotEqualTo(after.charges().get(0).bucketKey());
    }

    @Test
    void keyNotKnownYetMeansTheRuleDoesNotApply() {
        CompiledPolicy policy = policy(List.of(limit("by-helo", RuleKey.HELO, Counted.MESSAGES),
                limit("by-pool", RuleKey.EGRESS_POOL, Counted.RECIPIENTS)), List.of());

        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN.withHelo(null)).isEmpty()).isTrue();
        assertThat(policy.plan(Stage.RCPT, ALL_KNOWN).isEmpty()).as("no egress pool chosen").isTrue();
        assertThat(policy.plan(Stage.RCPT, ALL_KNOWN.withEgress("bulk", "203.0.113.5")).charges())
                .extracting(Plan.Charge::bucketKey).containsExactly("by-pool|10/10/1000|bulk");
    }

    @Test
    void bytesCostTheDeclaredSizeAndAtLeastOneToken() {
        CompiledPolicy policy = policy(List.of(limit("bytes", RuleKey.SENDER, Counted.BYTES)), List.of());

        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN).charges().get(0).tokens()).isEqualTo(2_000);
        assertThat(policy.plan(Stage.MAIL, ALL_KNOWN.withSender("a@b.example", 0)).charges().get(0).tokens())
                .as("no SIZE declared").isEqualTo(1);
    }

    @Test
    void messagesByRecipientSideKeyAreChargedOncePerTransaction() {
        CompiledPolicy policy = policy(List.of(limit("by-domain", RuleKey.RECIPIENT_DOMAIN, Counted.MESSAGES),
                limit("by-recipient", RuleKey.RECIPIENT_DOMAIN, Counted.RECIPIENTS),
                limit("by-sender", RuleKey.SENDER, Counted.MESSAGES)), List.of());

        assertThat(policy.limits()).extracting(CompiledLimit::oncePerTransaction).containsExactly(false, true, false);
        assertThat(policy.limits()).extracting(l -> l.rule().name())
                .as("stage order, file order within a stage").containsExactly("by-sender", "by-domain",
                        "by-recipient");
    }

    private static List<String> chargedRules(CompiledPolicy policy, Stage stage) {
        return policy.plan(stage, ALL_KNOWN).charges().stream().map(c -> c.limit().rule().name()).toList();
    }

    static CompiledPolicy policy(List<LimitRule> limits, List<ConcurrencyRule> concurrency) {
        return new CompiledPolicy(new PolicyConfig(limits, concurrency));
    }

    static Facts facts(String listener, String client, String helo, String sender, long size, String recipient) {
        return Facts.connect(listener, address(client)).withHelo(helo).withSender(sender, size)
                .withRecipient(recipient);
    }

    private static Facts mail(String sender) {
        return Facts.connect("inbound", address("198.51.100.7")).withHelo("client.example").withSender(sender, 0);
    }

    static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (java.net.UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
