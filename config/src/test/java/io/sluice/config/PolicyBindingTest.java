package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyBindingTest {

    // Appended after the policy, so that the policy's lines are those of the text block.
    private static final String LISTENERS = """
            listeners:
              - {name: mx, role: inbound, bind: "127.0.0.1:2525", backend-pool: mta}
              - {name: relay, role: inbound, bind: "127.0.0.1:2587", backend-pool: mta}
            backends:
              mta: {servers: ["127.0.0.1:2526"]}
            """;
    private static final String CONNECT_KEYS = "global, listener, client-ip or client-net";

    @Test
    void everyKeyIsRead() throws ConfigException {
        PolicyConfig policy = policy("""
                policy:
                  limits:
                    - name: per-net
                      listeners: [mx]
                      key: client-net
                      prefixes: { ipv4: 28, ipv6: 56 }
                      counts: connections
                      rate: 30/1m
                      burst: 60
                      reply: "421 4.7.0 Too many connections from your network, try later"
                      exceeded: refuse
                      tarpit: 2s
                      shadow: true
                      match: { client-net: ["0.0.0.0/0", "::/0"] }
                      except: { client-net: ["10.0.0.0/8", "192.0.2.1"] }
                      sync: { mode: delaying, max-unsynced-tokens: 5, max-unsynced-time: 250ms }
                    - name: per-sender-domain
                      listeners: [mx, relay]
                      key: sender-domain
                      counts: messages
                      rate: 500/s
                      exceeded: delay
                      tarpit: 500ms
                      shadow: false
                      match: { helo: [.Example.NET], sender-domain: [example.org, .example.org] }
                      except: { recipient-domain: [postmaster.example.com], destination-domain: [.example.com] }
                      sync: predicting
                  concurrency:
                    - name: sessions-per-net
                      listeners: [relay]
                      key: client-net
                      prefixes: { ipv4: 24, ipv6: 48 }
                      max: 20
                      reply: "554 5.7.1 No more sessions from your network"
                      shadow: true
                      match: { client-net: ["192.0.2.0/24"] }
                      except: { client-net: ["192.0.2.1/32"] }
                """);

        assertThat(policy).isEqualTo(new PolicyConfig(
                List.of(new LimitRule("per-net", Set.of("mx"), RuleKey.CLIENT_NET, new NetPrefixes(28, 56),
                                Counted.CONNECTIONS, new Rate(30, Duration.ofMinutes(1)), 60,
                                Optional.of(new RuleReply(421, "4.7.0",
                                        "Too many connections from your network, try later")),
                                LimitRule.Exceeded.REFUSE, Duration.ofSeconds(2), true,
                                new RuleMatch(List.of(Cidr.parse("0.0.0.0/0"), Cidr.parse("::/0")), List.of(),
                                        List.of(), List.of(), List.of()),
                                new RuleMatch(List.of(Cidr.parse("10.0.0.0/8"), Cidr.parse("192.0.2.1/32")),
                                        List.of(), List.of(), List.of(), List.of()),
                                new BucketSync(BucketSync.Mode.DELAYING, 5, Duration.ofMillis(250))),
                        new LimitRule("per-sender-domain", Set.of("mx", "relay"), RuleKey.SENDER_DOMAIN,
                                NetPrefixes.DEFAULT, Counted.MESSAGES, new Rate(500, Duration.ofSeconds(1)), 500,
                                Optional.empty(), LimitRule.Exceeded.DELAY, Duration.ofMillis(500), false,
                                new RuleMatch(List.of(), List.of(".example.net"),
                                        List.of("example.org", ".example.org"), List.of(), List.of()),
                                new RuleMatch(List.of(), List.of(), List.of(), List.of("postmaster.example.com"),
                                        List.of(".example.com")),
                                new BucketSync(BucketSync.Mode.PREDICTING, 10, Duration.ofMillis(100)))),
                List.of(new ConcurrencyRule("sessions-per-net", Set.of("relay"), RuleKey.CLIENT_NET,
                        new NetPrefixes(24, 48), 20,
                        Optional.of(new RuleReply(554, "5.7.1", "No more sessions from your network")), true,
                        new RuleMatch(List.of(Cidr.parse("192.0.2.0/24")), List.of(), List.of(), List.of(),
                                List.of()),
                        new RuleMatch(List.of(Cidr.parse("192.0.2.1/32")), List.of(), List.of(), List.of(),
                                List.of())))));
        assertThat(policy.limits().get(1).stage()).isEqualTo(RuleKey.Stage.RCPT);
    }

    @Test
    void leftOutKeysTakeTheirDefaults() throws ConfigException {
        PolicyConfig policy = policy("""
                policy:
                  limits:
                    - {name: messages, key: global, counts: messages, rate: 500/1s}
                  concurrency:
                    - {name: sessions, key: client-ip, max: 20}
                """);

        assertThat(policy.limits()).containsExactly(
                LimitRule.of("messages", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(500, Duration.ofSeconds(1)), 500));
        assertThat(policy.concurrency()).containsExactly(ConcurrencyRule.of("sessions", RuleKey.CLIENT_IP, 20));
    }

    @Test
    void absentOrEmptyPolicyHasNoRules() throws ConfigException {
        assertThat(policy("")).isEqualTo(PolicyConfig.EMPTY);
        assertThat(policy("policy:\n")).isEqualTo(PolicyConfig.EMPTY);
        assertThat(policy("policy: {limits: [], concurrency: []}\n")).isEqualTo(PolicyConfig.EMPTY);
    }

    @Test
    void shortFormsOfRateTarpitAndSync() throws ConfigException {
        PolicyConfig policy = policy("""
                policy:
                  limits:
                    - {name: a, key: global, counts: recipients, rate: 30/m, tarpit: 0s, sync: exact}
                    - {name: b, key: global, counts: recipients, rate: 10/h, tarpit: 0ms, sync: {mode: exact}}
                    - {name: c, key: global, counts: recipients, rate: 2/d, sync: batching}
                    - {name: d, key: global, counts: recipients, rate: 1/500ms, sync: delaying}
                    - {name: e, key: global, counts: recipients, rate: 1/ms, sync: {mode: predicting}}
                """);

        assertThat(policy.limits()).extracting(LimitRule::rate).containsExactly(
                new Rate(30, Duration.ofMinutes(1)), new Rate(10, Duration.ofHours(1)), new Rate(2, Duration.ofDays(1)),
                new Rate(1, Duration.ofMillis(500)), new Rate(1, Duration.ofMillis(1)));
        assertThat(policy.limits()).extracting(LimitRule::tarpit).containsOnly(Duration.ZERO);
        assertThat(policy.limits()).extracting(LimitRule::sync).containsExactly(
                BucketSync.EXACT, BucketSync.EXACT,
                new BucketSync(BucketSync.Mode.BATCHING, 1, Duration.ofMillis(100)),
                new BucketSync(BucketSync.Mode.DELAYING, 10, Duration.ofMillis(100)),
                new BucketSync(BucketSync.Mode.PREDICTING, 10, Duration.ofMillis(100)));
    }

    @Test
    void syncIsAutoUnlessTheRuleSaysOtherwise() throws ConfigException {
        PolicyConfig policy = policy("""
                policy:
                  limits:
                    - {name: a, key: global, counts: messages, rate: 100/1m}
                    - {name: b, key: global, counts: messages, rate: 1000000/1s, sync: auto}
                    - {name: c, key: global, counts: messages, rate: 1000000/1s, sync: {mode: auto}}
                    - {name: d, key: global, counts: messages, rate: 1000000/1s, sync: exact}
                """);

        assertThat(policy.limits()).extracting(LimitRule::sync).containsExactly(
                BucketSync.AUTO, BucketSync.AUTO, BucketSync.AUTO, BucketSync.EXACT);
        assertThat(LimitRule.of("x", RuleKey.GLOBAL, Counted.MESSAGES, new Rate(1, Duration.ofSeconds(1)), 1).sync())
                .as("the default of rules built in code too").isEqualTo(BucketSync.AUTO);
    }

    @Test
    void autoSyncPredictsByAThousandthOfTheCapacityOrTenTokensAtLeast() {
        Duration time = Duration.ofMillis(100);
        assertThat(BucketSync.AUTO.forCapacity(1)).as("one token stays exact").isEqualTo(BucketSync.EXACT);
        assertThat(BucketSync.AUTO.forCapacity(5)).as("at most half the bucket")
                .isEqualTo(new BucketSync(BucketSync.Mode.PREDICTING, 2, time));
        assertThat(BucketSync.AUTO.forCapacity(100)).as("100/min")
                .isEqualTo(new BucketSync(BucketSync.Mode.PREDICTING, 10, time));
        assertThat(BucketSync.AUTO.forCapacity(10_000)).isEqualTo(new BucketSync(BucketSync.Mode.PREDICTING, 10, time));
        assertThat(BucketSync.AUTO.forCapacity(1_000_000))
                .isEqualTo(new BucketSync(BucketSync.Mode.PREDICTING, 1_000, time));
        BucketSync delaying = new BucketSync(BucketSync.Mode.DELAYING, 5, Duration.ofMillis(250));
        assertThat(delaying.forCapacity(1_000_000)).as("an explicit mode is what it says").isEqualTo(delaying);
        assertThat(BucketSync.EXACT.forCapacity(1_000_000)).isEqualTo(BucketSync.EXACT);
    }

    @Test
    void autoSyncTakesNoSettings() {
        ConfigException e = errors("""
                policy:
                  limits:
                    - name: big
                      key: global
                      counts: messages
                      rate: 1000000/1s
                      sync: { mode: auto, max-unsynced-tokens: 5 }
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(7, "policy.limits[0].sync.max-unsynced-tokens", "\"5\" (expected: no max-unsynced-tokens"
                        + " unless mode is delaying or predicting, which spend tokens before synchronizing)"));
    }

    @Test
    void messagesNameThePathAndLine() {
        ConfigException e = errors("""
                policy:
                  limits:
                    - name: per-ip
                      key: client-ip
                      counts: connections
                      rate: 30/1m
                      listeners:
                        - mx
                        - nope
                    - name: per-sender
                      key: sender
                      counts: messages
                      rate: 100/1h
                    - {name: burst, key: global, counts: messages, rate: "500"}
                  concurrency:
                    - name: per-ip
                      key: client-ip
                      max: 20
                """);

        assertThat(e.getMessage()).isEqualTo("""
                policy.yaml: policy.limits[0].listeners[1]: "nope" (expected: the name of a listener: mx, relay) \
                at line 9
                policy.yaml: policy.limits[2].rate: "500" (expected: a rate such as 500/1s or 30/1m) at line 14
                policy.yaml: policy.concurrency[0].name: "per-ip" (expected: a name no other rule has; \
                policy.limits[0].name is also "per-ip") at line 16""");
    }

    @Test
    void everyMistakeInARuleIsReported() {
        ConfigException e = errors("""
                policy:
                  limits:
                    - name: Per_IP
                      listeners: mx
                      key: client-address
                      prefixes: { ipv4: 33, ipv6: -1, ipv5: 8 }
                      counts: sessions
                      rate: 0/1s
                      burst: 0
                      reply: "421 Too many"
                      exceeded: drop
                      tarpit: -1s
                      shadow: maybe
                      match: { client-net: ["10.0.0.1/8"], helo: ["-bad-"], sender: [a.example] }
                      except: { sender-domain: [], recipient-domain: "example.com" }
                      sync: { mode: fast, max-unsynced-tokens: 0, max-unsynced-time: 0s }
                      limit: 5
                    - name: second
                      listeners: [relay, relay, 5]
                      rate: 10/s/s
                      sync: [exact]
                    - just-a-name
                  concurrency:
                    - name: sessions
                      key: sender
                      max: 0
                      sync: exact
                  quotas: []
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(3, "policy.limits[0].name",
                        "\"Per_IP\" (expected: a name of a-z, 0-9 and '-', not starting with '-')"),
                tuple(4, "policy.limits[0].listeners",
                        "\"mx\" (expected: a list of listener names; left out, the rule applies to all)"),
                tuple(5, "policy.limits[0].key", "\"client-address\" (expected: one of: global, listener, client-ip,"
                        + " client-net, helo, sender, sender-domain, recipient, recipient-domain, destination-domain,"
                        + " egress-pool, egress-source, destination-site, source-site)"),
                tuple(6, "policy.limits[0].prefixes.ipv4", "\"33\" (expected: an integer 0-32)"),
                tuple(6, "policy.limits[0].prefixes.ipv6", "\"-1\" (expected: an integer 0-128)"),
                tuple(6, "policy.limits[0].prefixes.ipv5", "unknown key (expected one of: ipv4, ipv6)"),
                tuple(7, "policy.limits[0].counts",
                        "\"sessions\" (expected: one of: connections, messages, recipients, bytes)"),
                tuple(8, "policy.limits[0].rate", "\"0/1s\" (expected: a rate such as 500/1s or 30/1m)"),
                tuple(9, "policy.limits[0].burst", "\"0\" (expected: an integer >= 1)"),
                tuple(10, "policy.limits[0].reply",
                        "\"421 Too many\" (expected: a reply such as 451 4.7.1 Try again later)"),
                tuple(11, "policy.limits[0].exceeded", "\"drop\" (expected: one of: refuse, delay)"),
                tuple(12, "policy.limits[0].tarpit",
                        "\"-1s\" (expected: a duration such as 0s, 500ms, 10s, 5m, 1h or 2d)"),
                tuple(13, "policy.limits[0].shadow", "\"maybe\" (expected: true or false)"),
                tuple(14, "policy.limits[0].match.sender", "unknown key (expected one of: client-net, helo,"
                        + " sender-domain, recipient-domain, destination-domain)"),
                tuple(14, "policy.limits[0].match.client-net[0]",
                        "\"10.0.0.1/8\" (expected: no host bits set, as in 10.0.0.0/8)"),
                tuple(14, "policy.limits[0].match.helo[0]",
                        "\"-bad-\" (expected: a domain such as example.com, or .example.com for any subdomain of it)"),
                tuple(15, "policy.limits[0].except.sender-domain", "an empty list (expected: a list of at least one"
                        + " domain such as example.com, or .example.com for any subdomain of it)"),
                tuple(15, "policy.limits[0].except.recipient-domain", "\"example.com\" (expected: a list of at least"
                        + " one domain such as example.com, or .example.com for any subdomain of it)"),
                tuple(16, "policy.limits[0].sync.mode",
                        "\"fast\" (expected: one of: exact, batching, delaying, predicting, auto)"),
                tuple(16, "policy.limits[0].sync.max-unsynced-tokens", "\"0\" (expected: an integer >= 1)"),
                tuple(16, "policy.limits[0].sync.max-unsynced-time",
                        "\"0s\" (expected: a positive duration such as 500ms, 10s, 5m, 1h or 2d)"),
                tuple(17, "policy.limits[0].limit", "unknown key (expected one of: name, listeners, key, prefixes,"
                        + " counts, rate, burst, reply, exceeded, tarpit, shadow, match, except, sync, fair-share)"),
                tuple(18, "policy.limits[1].key", "missing (expected: one of: global, listener, client-ip,"
                        + " client-net, helo, sender, sender-domain, recipient, recipient-domain, destination-domain,"
                        + " egress-pool, egress-source, destination-site, source-site)"),
                tuple(18, "policy.limits[1].counts",
                        "missing (expected: one of: connections, messages, recipients, bytes)"),
                tuple(19, "policy.limits[1].listeners[1]", "\"relay\" (expected: a listener not already listed)"),
                tuple(19, "policy.limits[1].listeners[2]",
                        "\"5\" (expected: the name of a listener: mx, relay)"),
                tuple(20, "policy.limits[1].rate", "\"10/s/s\" (expected: a rate such as 500/1s or 30/1m)"),
                tuple(21, "policy.limits[1].sync", "a list (expected: one of: exact, batching, delaying, predicting,"
                        + " auto, or a mapping of mode, max-unsynced-tokens and max-unsynced-time)"),
                tuple(22, "policy.limits[2]", "\"just-a-name\" (expected: a mapping)"),
                tuple(25, "policy.concurrency[0].key",
                        "\"sender\" (expected: one of: global, listener, client-ip, client-net, backend-server,"
                                + " destination-site, source-site)"),
                tuple(26, "policy.concurrency[0].max", "\"0\" (expected: an integer >= 1)"),
                tuple(27, "policy.concurrency[0].sync", "unknown key (expected one of: name, listeners, key,"
                        + " prefixes, max, reply, shadow, match, except)"),
                tuple(28, "policy.quotas", "unknown key (expected one of: limits, concurrency, retry-priority)"));
    }

    @Test
    void replyMustBeAnSmtpReplyOfOneClass() {
        ConfigException e = errors("""
                policy:
                  limits:
                    - {name: a, key: global, counts: messages, rate: 1/s, reply: "451 5.7.1 Busy"}
                    - {name: b, key: global, counts: messages, rate: 1/s, reply: "250 2.0.0 Fine"}
                    - {name: c, key: global, counts: messages, rate: 1/s, reply: "451 4.7.1 "}
                    - {name: d, key: global, counts: messages, rate: 1/s, reply: "451 4.7.1 Später bitte"}
                    - {name: e, key: global, counts: messages, rate: 1/s, reply: "451 4.7.1 two\\nlines"}
                    - {name: f, key: global, counts: messages, rate: 1/s, reply: "451 4.7 Busy"}
                    - {name: g, key: global, counts: messages, rate: 1/s, reply: 451}
                """);

        String text = "(expected: reply text of printable US-ASCII after the codes (RFC 5321 §4.2))";
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(3, "policy.limits[0].reply",
                        "\"451 5.7.1 Busy\" (expected: an enhanced code of class 4 for a 4xx reply, such as 4.7.1)"),
                tuple(4, "policy.limits[1].reply",
                        "\"250 2.0.0 Fine\" (expected: a 4xx or 5xx reply code, as in 451 4.7.1 Try again later)"),
                tuple(5, "policy.limits[2].reply", "\"451 4.7.1 \" " + text),
                tuple(6, "policy.limits[3].reply", "\"451 4.7.1 Später bitte\" " + text),
                tuple(7, "policy.limits[4].reply", "\"451 4.7.1 two\\nlines\" " + text),
                tuple(8, "policy.limits[5].reply",
                        "\"451 4.7 Busy\" (expected: a reply such as 451 4.7.1 Try again later)"),
                tuple(9, "policy.limits[6].reply", "\"451\" (expected: a reply such as 451 4.7.1 Try again later)"));
    }

    @Test
    void combinationsTheRecordsRefuseAreReportedAtTheKeyToChange() {
        ConfigException e = errors("""
                policy:
                  limits:
                    - name: connections-per-sender
                      key: sender
                      counts: connections
                      rate: 10/1m
                      match: { client-net: ["10.0.0.0/8"], helo: [mx.example.net] }
                      except: { sender-domain: [example.org] }
                      reply: "451 4.7.1 Try again later"
                    - name: bytes-per-recipient
                      key: recipient-domain
                      counts: bytes
                      rate: 100000000/1h
                      match: { sender-domain: [example.org], recipient-domain: [example.com] }
                    - name: delayed
                      key: global
                      counts: messages
                      rate: 10/1s
                      exceeded: delay
                    - name: delayed-by-nothing
                      key: global
                      counts: messages
                      rate: 10/1s
                      exceeded: delay
                      tarpit: 0s
                    - name: prefixes-without-net
                      key: client-ip
                      prefixes: { ipv4: 24 }
                      counts: messages
                      rate: 10/1s
                    - name: sync-without-delay
                      key: global
                      counts: messages
                      rate: 10/1s
                      sync: { mode: batching, max-unsynced-tokens: 5, max-unsynced-time: 1s }
                  concurrency:
                    - name: sessions
                      key: client-ip
                      max: 5
                      match: { recipient-domain: [example.com] }
                      except: { helo: [localhost] }
                      reply: "452 4.5.3 Too many"
                """);

        String connections = "for a rule counting connections";
        String concurrency = "for a concurrency rule";
        String unsynced = " unless mode is delaying or predicting, which spend tokens before synchronizing)";
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(4, "policy.limits[0].key", "\"sender\" (expected: " + CONNECT_KEYS + " " + connections + ")"),
                tuple(7, "policy.limits[0].match.helo",
                        "a list (expected: only client-net conditions " + connections + ")"),
                tuple(8, "policy.limits[0].except.sender-domain",
                        "a list (expected: only client-net conditions " + connections + ")"),
                tuple(9, "policy.limits[0].reply", "\"451 4.7.1 Try again later\" (expected: a 421 or 554 reply "
                        + connections + ", which answers instead of the greeting (RFC 5321 §4.3.2))"),
                tuple(11, "policy.limits[1].key", "\"recipient-domain\" (expected: global, listener, client-ip,"
                        + " client-net, helo, sender or sender-domain for a rule counting bytes)"),
                tuple(14, "policy.limits[1].match.recipient-domain", "a list (expected: only client-net, helo or"
                        + " sender-domain conditions for a rule counting bytes)"),
                tuple(15, "policy.limits[2].tarpit",
                        "missing (expected: a duration above 0s, such as 2s, when exceeded is delay)"),
                tuple(25, "policy.limits[3].tarpit",
                        "\"0s\" (expected: a duration above 0s, such as 2s, when exceeded is delay)"),
                tuple(28, "policy.limits[4].prefixes", "a mapping (expected: no prefixes unless key or fair-share is client-net)"),
                tuple(35, "policy.limits[5].sync.max-unsynced-tokens", "\"5\" (expected: no max-unsynced-tokens"
                        + unsynced),
                tuple(35, "policy.limits[5].sync.max-unsynced-time", "\"1s\" (expected: no max-unsynced-time"
                        + unsynced),
                tuple(40, "policy.concurrency[0].match.recipient-domain",
                        "a list (expected: only client-net conditions " + concurrency + ")"),
                tuple(41, "policy.concurrency[0].except.helo",
                        "a list (expected: only client-net conditions " + concurrency + ")"),
                tuple(42, "policy.concurrency[0].reply", "\"452 4.5.3 Too many\" (expected: a 421 or 554 reply "
                        + concurrency + ", which answers instead of the greeting (RFC 5321 §4.3.2))"));
    }

    @Test
    void backendServerKeysConcurrencyRulesOnlyAndTakesNoConditions() throws ConfigException {
        PolicyConfig policy = policy("""
                policy:
                  concurrency:
                    - { name: per-backend, key: backend-server, max: 50, listeners: [mx] }
                """);
        assertThat(policy.concurrency()).singleElement().satisfies(rule -> {
            assertThat(rule.key()).isEqualTo(RuleKey.BACKEND_SERVER);
            assertThat(rule.max()).isEqualTo(50);
            assertThat(rule.listeners()).containsExactly("mx");
        });

        ConfigException e = errors("""
                policy:
                  limits:
                    - { name: rate-per-backend, key: backend-server, counts: connections, rate: 10/1s }
                  concurrency:
                    - name: per-backend
                      key: backend-server
                      max: 50
                      match: { client-net: ["10.0.0.0/8"] }
                """);
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(3, "policy.limits[0].key", "\"backend-server\" (expected: one of: global, listener, client-ip,"
                        + " client-net, helo, sender, sender-domain, recipient, recipient-domain, destination-domain,"
                        + " egress-pool, egress-source, destination-site, source-site)"),
                tuple(8, "policy.concurrency[0].match", "a mapping (expected: no conditions for a backend-server"
                        + " rule, which counts connections whoever the client)"));
    }

    @Test
    void siteKeysCountRatesAndConnectionsAndAnswerRecipients() throws ConfigException {
        PolicyConfig policy = policy("""
                policy:
                  limits:
                    - { name: site-rate, key: destination-site, counts: messages, rate: 100/1m }
                  concurrency:
                    - { name: per-source-site, key: source-site, max: 5, listeners: [relay] }
                    - { name: per-site, key: destination-site, max: 20, reply: "451 4.4.5 Busy" }
                """);
        assertThat(policy.limits()).singleElement().satisfies(rule -> {
            assertThat(rule.key()).isEqualTo(RuleKey.DESTINATION_SITE);
            assertThat(rule.stage()).isEqualTo(RuleKey.Stage.RCPT);
        });
        assertThat(policy.concurrency()).extracting(ConcurrencyRule::key, ConcurrencyRule::max)
                .containsExactly(tuple(RuleKey.SOURCE_SITE, 5), tuple(RuleKey.DESTINATION_SITE, 20));

        ConfigException e = errors("""
                policy:
                  concurrency:
                    - name: per-site
                      key: destination-site
                      max: 5
                      reply: "421 4.7.0 Go away"
                      match: { client-net: ["10.0.0.0/8"] }
                """);
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(6, "policy.concurrency[0].reply", "\"421 4.7.0 Go away\" (expected: a 450, 451 or 452 reply"
                        + " for a destination-site rule, which answers a recipient)"),
                tuple(7, "policy.concurrency[0].match", "a mapping (expected: no conditions for a destination-site"
                        + " rule, which counts connections whoever the client)"));
    }

    @Test
    void rulesMayNameOnlyListenersThatExist() {
        ConfigException none = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parsePolicy(
                "limits: [{name: a, listeners: [mx], key: global, counts: messages, rate: 1/s}]\n", "p", Set.of()));

        assertThat(none.errors()).extracting(ConfigError::path, ConfigError::message).containsExactly(tuple(
                "limits[0].listeners[0]", "\"mx\" (expected: the name of a listener, of which there are none)"));
    }

    @Test
    void connectionsMayBeCountedPerNetworkAndMessagesPerRecipientDomain() throws ConfigException {
        // The combinations the records allow pass: a messages rule on a recipient-side key is charged at RCPT.
        PolicyConfig policy = policy("""
                policy:
                  limits:
                    - {name: a, key: client-net, counts: connections, rate: 5/s, reply: "554 5.7.1 Go away"}
                    - {name: b, key: recipient-domain, counts: messages, rate: 5/s}
                    - {name: c, key: sender-domain, counts: bytes, rate: 50000000/1h, match: {helo: [.example]}}
                    - {name: d, key: recipient, counts: recipients, rate: 5/s, reply: "550 5.7.1 Never"}
                """);

        assertThat(policy.limits()).extracting(LimitRule::stage).containsExactly(
                RuleKey.Stage.CONNECT, RuleKey.Stage.RCPT, RuleKey.Stage.MAIL, RuleKey.Stage.RCPT);
    }

    @Test
    void policyDocumentParsesOnItsOwn() throws ConfigException {
        PolicyConfig yaml = ConfigLoader.parsePolicy("""
                limits:
                  - {name: per-ip, listeners: [mx], key: client-ip, counts: connections, rate: 30/1m}
                concurrency:
                  - {name: sessions, key: global, max: 1000}
                """, "admin", new LinkedHashSet<>(List.of("mx", "relay")));
        PolicyConfig json = ConfigLoader.parsePolicy("""
                {"limits": [{"name": "per-ip", "listeners": ["mx"], "key": "client-ip", "counts": "connections",
                             "rate": "30/1m"}],
                 "concurrency": [{"name": "sessions", "key": "global", "max": 1000}]}
                """, "admin", Set.of("mx"));

        LimitRule perIp = LimitRule.of("per-ip", RuleKey.CLIENT_IP, Counted.CONNECTIONS,
                new Rate(30, Duration.ofMinutes(1)), 30);
        assertThat(yaml).isEqualTo(new PolicyConfig(List.of(new LimitRule(perIp.name(), Set.of("mx"), perIp.key(),
                perIp.prefixes(), perIp.counts(), perIp.rate(), perIp.burst(), perIp.reply(), perIp.exceeded(),
                perIp.tarpit(), perIp.shadow(), perIp.match(), perIp.except(), perIp.sync())),
                List.of(ConcurrencyRule.of("sessions", RuleKey.GLOBAL, 1000))));
        assertThat(json).isEqualTo(yaml);
        assertThat(ConfigLoader.parsePolicy("{}", "admin", Set.of())).isEqualTo(PolicyConfig.EMPTY);
    }

    @Test
    void policyDocumentErrorsHavePathsFromItsRoot() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parsePolicy("""
                limits:
                  - {name: per-ip, listeners: [mx, nope], key: client-ip, counts: connections, rate: "500"}
                concurrency:
                  - {name: per-ip, key: global, max: 10}
                policy: {}
                """, "admin", new LinkedHashSet<>(List.of("mx", "relay"))));
        ConfigException empty =
                catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parsePolicy("", "admin", Set.of()));
        ConfigException list =
                catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parsePolicy("[]", "admin", Set.of()));

        assertThat(e.getMessage()).isEqualTo("""
                admin: limits[0].listeners[1]: "nope" (expected: the name of a listener: mx, relay) at line 2
                admin: limits[0].rate: "500" (expected: a rate such as 500/1s or 30/1m) at line 2
                admin: concurrency[0].name: "per-ip" (expected: a name no other rule has; limits[0].name is also \
                "per-ip") at line 4
                admin: policy: unknown key (expected one of: limits, concurrency, retry-priority) at line 5""");
        assertThat(empty.getMessage())
                .isEqualTo("admin: empty document (expected: a mapping with limits and concurrency)");
        assertThat(list.getMessage()).isEqualTo("admin: an empty list (expected: a mapping) at line 1");
    }

    @Test
    void policyAndClusterErrorsComeWithTheRestOfTheFile() {
        ConfigException e = errors("""
                smtp: {max-errors: 0}
                cluster: {mode: local, decision-timeout: 0ms}
                policy:
                  limits:
                    - {name: a, key: global, counts: messages, rate: 1/0s}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path).containsExactly(
                tuple(1, "smtp.max-errors"),
                tuple(2, "cluster.decision-timeout"),
                tuple(5, "policy.limits[0].rate"));
    }

    @Test
    void fairShareIsPerClientNetworkOfTheRulesPrefixesOnAGlobalRuleOnly() throws ConfigException {
        PolicyConfig policy = policy("""
                policy:
                  limits:
                    - {name: friday, key: global, fair-share: client-net, prefixes: {ipv4: 16}, counts: messages,
                       rate: 500/1s}
                    - {name: plain, key: global, counts: messages, rate: 500/1s}
                """);
        assertThat(policy.limits()).extracting(LimitRule::fairShare)
                .containsExactly(Optional.of(RuleKey.CLIENT_NET), Optional.empty());
        assertThat(policy.limits().get(0).prefixes()).isEqualTo(new NetPrefixes(16, NetPrefixes.DEFAULT.ipv6()));

        ConfigException e = errors("""
                policy:
                  limits:
                    - name: per-ip
                      key: client-ip
                      counts: messages
                      rate: 10/1s
                      fair-share: client-net
                    - {name: per-helo, key: global, counts: messages, rate: 10/1s, fair-share: helo}
                    - {name: unshared, key: global, counts: messages, rate: 10/1s, prefixes: {ipv4: 16}}
                """);
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(7, "policy.limits[0].fair-share", "\"client-net\" (expected: no fair-share unless key is"
                        + " global, whose one bucket it shares across client networks)"),
                tuple(8, "policy.limits[1].fair-share", "\"helo\" (expected: one of: client-net)"),
                tuple(9, "policy.limits[2].prefixes", "a mapping (expected: no prefixes unless key or fair-share is"
                        + " client-net)"));
    }

    private static PolicyConfig policy(String yaml) throws ConfigException {
        return ConfigLoader.parse(yaml + LISTENERS, "policy.yaml").policy();
    }

    private static ConfigException errors(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(yaml + LISTENERS, "policy.yaml"));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
