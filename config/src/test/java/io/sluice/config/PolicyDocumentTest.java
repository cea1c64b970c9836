package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyDocumentTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> LISTENERS = Set.of("mx", "relay");

    @Test
    void sha256IsTheDigestOfTheDocumentInHex() {
        // The empty string's SHA-256 (FIPS 180-2 test vector) and one that differs from it.
        assertThat(PolicyDocument.sha256(""))
                .isEqualTo("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assertThat(PolicyDocument.sha256("{}")).hasSize(64).isNotEqualTo(PolicyDocument.sha256(""));
    }

    @Test
    void everyKeyIsWrittenAndReadBackAsTheSamePolicy() throws Exception {
        PolicyConfig policy = ConfigLoader.parsePolicy("""
                limits:
                  - name: per-net
                    listeners: [relay, mx]
                    key: client-net
                    prefixes: { ipv4: 28, ipv6: 56 }
                    counts: connections
                    rate: 30/1m
                    burst: 60
                    reply: "421 4.7.0 Too many connections from your network, try later"
                    tarpit: 2s
                    shadow: true
                    match: { client-net: ["0.0.0.0/0", "::/0"] }
                    except: { client-net: ["10.0.0.0/8", "192.0.2.1"] }
                    sync: { mode: delaying, max-unsynced-tokens: 5, max-unsynced-time: 250ms }
                  - name: per-sender-domain
                    key: sender-domain
                    counts: messages
                    rate: 500/s
                    exceeded: delay
                    tarpit: 500ms
                    match: { helo: [.Example.NET], sender-domain: [example.org, .example.org] }
                    except: { recipient-domain: [postmaster.example.com], destination-domain: [.example.com] }
                    sync: predicting
                  - name: bytes
                    key: global
                    counts: bytes
                    rate: 1000000/1h
                    sync: batching
                  - name: friday
                    key: global
                    fair-share: client-net
                    prefixes: { ipv4: 16, ipv6: 32 }
                    counts: messages
                    rate: 500/1s
                concurrency:
                  - name: sessions-per-net
                    listeners: [relay]
                    key: client-net
                    max: 20
                    reply: "554 5.7.1 No more sessions from your network"
                    shadow: true
                    match: { client-net: ["192.0.2.0/24"] }
                  - name: sessions
                    key: global
                    max: 1000
                """, "policy.yaml", LISTENERS);

        String json = JSON.writeValueAsString(PolicyDocument.tree(policy));

        assertThat(ConfigLoader.parsePolicy(json, "policy.json", LISTENERS)).isEqualTo(policy);
    }

    @Test
    void theDocumentIsStableAndLeavesOutOnlyWhatLeavingOutMeans() throws Exception {
        PolicyConfig policy = new PolicyConfig(
                List.of(new LimitRule("friday", Set.of("relay", "mx"), RuleKey.GLOBAL, NetPrefixes.DEFAULT,
                        Counted.MESSAGES, new Rate(500, Duration.ofSeconds(1)), 500,
                        Optional.of(RuleReply.parse("451 4.7.1 Busy, try again later")), LimitRule.Exceeded.REFUSE,
                        Duration.ZERO, false, RuleMatch.NONE, RuleMatch.NONE, BucketSync.EXACT)),
                List.of(ConcurrencyRule.of("per-ip", RuleKey.CLIENT_IP, 20)));

        assertThat(JSON.writeValueAsString(PolicyDocument.tree(policy))).isEqualTo("{\"limits\":[{\"name\":\"friday\","
                + "\"listeners\":[\"mx\",\"relay\"],\"key\":\"global\",\"counts\":\"messages\",\"rate\":\"500/1s\","
                + "\"burst\":500,\"reply\":\"451 4.7.1 Busy, try again later\",\"exceeded\":\"refuse\","
                + "\"tarpit\":\"0s\",\"shadow\":false,\"sync\":\"exact\"}],\"concurrency\":[{\"name\":\"per-ip\","
                + "\"key\":\"client-ip\",\"max\":20,\"shadow\":false}]}");
        assertThat(PolicyDocument.tree(PolicyConfig.EMPTY)).containsExactly(
                entry("limits", List.of()),
                entry("concurrency", List.of()));
    }

    @Test
    void aDurationFinerThanMillisecondsStillWrites() {
        LimitRule rule = new LimitRule("fine", Set.of(), RuleKey.GLOBAL, NetPrefixes.DEFAULT, Counted.MESSAGES,
                new Rate(1, Duration.ofNanos(1500)), 1, Optional.empty(), LimitRule.Exceeded.REFUSE,
                Duration.ofNanos(10), false, RuleMatch.NONE, RuleMatch.NONE, BucketSync.EXACT);

        assertThat(PolicyDocument.tree(new PolicyConfig(List.of(rule), List.of())).toString())
                .contains("rate=1/PT0.0000015S", "tarpit=PT0.00000001S");
    }
}
