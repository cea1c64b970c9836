package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.DaneMode;
import io.sluice.config.EgressTls;
import io.sluice.proxy.egress.TestDnsServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.SimpleResolver;

/**
 * Which pools DANE applies to, as {@code egress.dns.dane} says: left out, pools of {@code tls: policy} once the
 * resolvers pass DNSSEC records on, and nothing refused when they do not; {@code true}, every pool with TLS, refused
 * when the answers cannot be validated.
 */
class DanePolicyTest {

    private static final byte[] DIGEST = new byte[32];

    @TempDir
    Path directory;

    @Test
    void leftOutDaneBindsPolicyPoolsWhereTheResolversValidate() throws Exception {
        try (SignedDnsServer dns = SignedDnsServer.start("example.test")) {
            dns.mx("a.example.test", 10, "mx.example.test").tlsa("mx.example.test", 3, 1, 1, DIGEST);
            DanePolicy policy = policy(dns.address(), dns.trustAnchor(), DaneMode.POLICY_POOLS);

            assertThat(assess(policy, EgressTls.POLICY)).isInstanceOf(DaneVerdict.Applies.class);
            assertThat(policy.assess("p", EgressTls.OPPORTUNISTIC, "a.example.test", List.of("mx.example.test"))
                    .get(20, TimeUnit.SECONDS)).as("dane: true adds the pools of other modes").isEmpty();
        }
    }

    @Test
    void aResolverThatStripsSignaturesTurnsTheDefaultOffButRefusesEverythingWhenDaneIsRequired() throws Exception {
        // The attacker's view as much as a careless resolver's: answers for a signed zone, without any signature.
        try (SignedDnsServer signed = SignedDnsServer.start("example.test");
             TestDnsServer stripping = TestDnsServer.start()) {
            stripping.mx("a.example.test", 300, 10, "mx.example.test");
            DanePolicy byDefault = policy(stripping.address(), signed.trustAnchor(), DaneMode.POLICY_POOLS);
            DanePolicy required = policy(stripping.address(), signed.trustAnchor(), DaneMode.TLS_POOLS);

            assertThat(byDefault.assess("p", EgressTls.POLICY, "a.example.test", List.of("mx.example.test"))
                    .get(20, TimeUnit.SECONDS)).isEmpty();
            assertThat(assess(required, EgressTls.POLICY)).isInstanceOf(DaneVerdict.Refused.class);
            assertThat(assess(required, EgressTls.OPPORTUNISTIC)).isInstanceOf(DaneVerdict.Refused.class);
            assertThat(required.assess("p", EgressTls.NONE, "a.example.test", List.of("mx.example.test"))
                    .get(20, TimeUnit.SECONDS)).isEmpty();
        }
    }

    private DanePolicy policy(java.net.InetSocketAddress server, String anchor, DaneMode mode) throws Exception {
        Path file = Files.writeString(Files.createTempFile(directory, "anchor", ".txt"), anchor);
        SimpleResolver upstream = new SimpleResolver(server);
        upstream.setTimeout(Duration.ofSeconds(5));
        return new DanePolicy(DaneResolver.create(upstream, file, Clock.systemUTC()), mode, Clock.systemUTC(),
                new SimpleMeterRegistry());
    }

    private static DaneVerdict assess(DanePolicy policy, EgressTls tls) throws Exception {
        Map<String, DaneVerdict> verdicts = policy.assess("p", tls, "a.example.test", List.of("mx.example.test"))
                .get(20, TimeUnit.SECONDS);
        return verdicts.get("mx.example.test");
    }
}
