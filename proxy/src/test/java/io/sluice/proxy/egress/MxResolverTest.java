package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.DnsConfig;
import io.sluice.config.HostPort;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.SimpleResolver;

/** MX resolution against a DNS server on loopback, with the cache's clock in the test's hand. */
class MxResolverTest {

    private final AtomicLong clock = new AtomicLong();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private TestDnsServer dns;

    @BeforeEach
    void startDns() {
        dns = TestDnsServer.start();
    }

    @AfterEach
    void stopDns() {
        dns.close();
    }

    private MxResolver resolver(int cacheSize) {
        SimpleResolver simple = new SimpleResolver(dns.address());
        simple.setTimeout(Duration.ofMillis(300));
        DnsConfig config = new DnsConfig(List.of(HostPort.parse(dns.hostPort())), Duration.ofMillis(300), 1,
                cacheSize, Duration.ofHours(1), Duration.ofMinutes(5));
        return new MxResolver(simple, config, registry, clock::get);
    }

    private static MxAnswer resolve(MxResolver resolver, String domain) throws Exception {
        return resolver.resolve(domain).get(10, TimeUnit.SECONDS);
    }

    @Test
    void mailExchangersComeByPreferenceWithTheirIpv4AndIpv6Addresses() throws Exception {
        dns.mx("example.test", 300, 20, "mx2.example.test", 10, "mx1.example.test")
                .address("mx1.example.test", 300, "127.0.0.2", "::1")
                .address("mx2.example.test", 300, "127.0.0.3");

        MxAnswer answer = resolve(resolver(100), "Example.TEST");

        assertThat(answer).isInstanceOf(MxAnswer.Found.class);
        MxAnswer.Found found = (MxAnswer.Found) answer;
        assertThat(found.implicit()).isFalse();
        assertThat(found.ordered(new Random(1))).containsExactly(
                new MxHost("mx1.example.test", 10,
                        List.of(InetAddress.getByName("127.0.0.2"), InetAddress.getByName("::1"))),
                new MxHost("mx2.example.test", 20, List.of(InetAddress.getByName("127.0.0.3"))));
        // Absolute names only: nothing was asked under a search domain.
        assertThat(dns.questions()).containsExactlyInAnyOrder("example.test./MX",
                "mx1.example.test./A", "mx1.example.test./AAAA", "mx2.example.test./A", "mx2.example.test./AAAA");
    }

    @Test
    void equallyPreferredHostsAreTriedInRandomOrder() throws Exception {
        dns.mx("example.test", 300, 10, "a.example.test", 10, "b.example.test", 20, "c.example.test")
                .address("a.example.test", 300, "127.0.0.2")
                .address("b.example.test", 300, "127.0.0.3")
                .address("c.example.test", 300, "127.0.0.4");
        MxAnswer.Found found = (MxAnswer.Found) resolve(resolver(100), "example.test");

        Set<List<String>> orders = new HashSet<>();
        Random random = new Random(42);
        for (int i = 0; i < 50; i++) {
            orders.add(found.ordered(random).stream().map(MxHost::name).toList());
        }

        assertThat(orders).containsExactlyInAnyOrder(
                List.of("a.example.test", "b.example.test", "c.example.test"),
                List.of("b.example.test", "a.example.test", "c.example.test"));
    }

    @Test
    void aDomainWithoutMxIsItsOwnMailExchanger() throws Exception {
        dns.address("plain.test", 300, "127.0.0.5");

        MxAnswer answer = resolve(resolver(100), "plain.test");

        assertThat(answer).isEqualTo(new MxAnswer.Found(
                List.of(new MxHost("plain.test", 0, List.of(InetAddress.getByName("127.0.0.5")))), true, false));
    }

    @Test
    void anAnswerLackingAHostThatFailedForNowSaysSo() throws Exception {
        dns.mx("partial.test", 300, 10, "good.partial.test", 20, "broken.partial.test")
                .address("good.partial.test", 300, "127.0.0.2").servfail("broken.partial.test")
                .mx("whole.test", 300, 10, "mx.whole.test").address("mx.whole.test", 300, "127.0.0.3");
        MxResolver resolver = resolver(100);

        MxAnswer.Found partial = (MxAnswer.Found) resolve(resolver, "partial.test");
        MxAnswer.Found whole = (MxAnswer.Found) resolve(resolver, "whole.test");

        assertThat(partial.hosts()).extracting(MxHost::name).containsExactly("good.partial.test");
        assertThat(partial.incomplete()).isTrue();
        assertThat(whole.incomplete()).isFalse();
    }

    @Test
    void nullMxIsRefusedWith556() throws Exception {
        dns.nullMx("nomail.test", 300).address("nomail.test", 300, "127.0.0.5");

        MxAnswer answer = resolve(resolver(100), "nomail.test");

        assertThat(failure(answer)).isEqualTo(DnsFailure.NULL_MX);
        assertThat(DnsFailure.NULL_MX.reply().toString()).isEqualTo("556 5.1.10 Recipient address has null MX");
    }

    @Test
    void definiteAndTemporaryFailuresGetTheirReplies() throws Exception {
        dns.servfail("broken.test").silence("silent.test").exists("empty.test")
                .mx("dangling.test", 300, 10, "gone.dangling.test");
        MxResolver resolver = resolver(100);

        assertThat(failure(resolve(resolver, "nowhere.test"))).isEqualTo(DnsFailure.NXDOMAIN);
        assertThat(failure(resolve(resolver, "broken.test"))).isEqualTo(DnsFailure.SERVFAIL);
        assertThat(failure(resolve(resolver, "silent.test"))).isEqualTo(DnsFailure.TIMEOUT);
        assertThat(failure(resolve(resolver, "empty.test"))).isEqualTo(DnsFailure.NO_MAIL_EXCHANGER);
        assertThat(failure(resolve(resolver, "dangling.test"))).isEqualTo(DnsFailure.NO_ADDRESS);
        assertThat(DnsFailure.NXDOMAIN.reply().code()).isEqualTo(550);
        assertThat(DnsFailure.SERVFAIL.reply().toString()).startsWith("451 4.4.3");
        assertThat(DnsFailure.TIMEOUT.reply().toString()).startsWith("451 4.4.3");
        assertThat(registry.get("sluice.dns.failures").tag("kind", "timeout").counter().count()).isEqualTo(1);
        assertThat(registry.get("sluice.dns.failures").tag("kind", "nxdomain").counter().count()).isEqualTo(1);
    }

    @Test
    void answersAreCachedForTheirShortestTtl() throws Exception {
        dns.mx("example.test", 300, 10, "mx.example.test").address("mx.example.test", 100, "127.0.0.2");
        MxResolver resolver = resolver(100);
        resolve(resolver, "example.test");
        int asked = dns.questions().size();

        clock.addAndGet(Duration.ofSeconds(99).toNanos());
        resolve(resolver, "example.test");
        assertThat(dns.questions()).hasSize(asked);

        clock.addAndGet(Duration.ofSeconds(2).toNanos());
        resolve(resolver, "example.test");
        assertThat(dns.questions()).hasSize(2 * asked);
        assertThat(registry.get("sluice.dns.lookups").counter().count()).isEqualTo(3);
        assertThat(registry.get("sluice.dns.cache.hits").counter().count()).isEqualTo(1);
    }

    @Test
    void negativeAnswersAreCachedForTheSoaMinimumAndFailuresNotAtAll() throws Exception {
        dns.servfail("broken.test");
        MxResolver resolver = resolver(100);

        resolve(resolver, "nowhere.test");
        resolve(resolver, "nowhere.test");
        assertThat(dns.questions()).containsExactly("nowhere.test./MX");
        clock.addAndGet(Duration.ofSeconds(TestDnsServer.negativeTtl() + 1).toNanos());
        assertThat(failure(resolve(resolver, "nowhere.test"))).isEqualTo(DnsFailure.NXDOMAIN);
        assertThat(dns.questions()).containsExactly("nowhere.test./MX", "nowhere.test./MX");

        resolve(resolver, "broken.test");
        resolve(resolver, "broken.test");
        assertThat(dns.questions()).filteredOn(q -> q.startsWith("broken")).hasSize(2);
    }

    @Test
    void theCacheKeepsOnlyTheMostRecentDomainsWhenFull() throws Exception {
        for (String domain : List.of("a.test", "b.test", "c.test")) {
            dns.address(domain, 300, "127.0.0.2");
        }
        MxResolver resolver = resolver(2);

        for (String domain : List.of("a.test", "b.test", "c.test")) {
            resolve(resolver, domain);
        }

        assertThat(resolver.cached()).isEqualTo(2);
        int asked = dns.questions().size();
        resolve(resolver, "c.test");
        assertThat(dns.questions()).hasSize(asked);
        resolve(resolver, "a.test");
        assertThat(dns.questions()).hasSize(asked + 3);
    }

    private static DnsFailure failure(MxAnswer answer) {
        assertThat(answer).isInstanceOf(MxAnswer.Failed.class);
        return ((MxAnswer.Failed) answer).failure();
    }
}
