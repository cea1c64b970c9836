package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.DnsConfig;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressDestinations;
import io.sluice.config.EgressPoolConfig;
import io.sluice.config.EgressSelection;
import io.sluice.config.EgressSource;
import io.sluice.config.EgressTls;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EgressPoolsTest {

    private static EgressPoolConfig pool(String name, String address) throws Exception {
        return new EgressPoolConfig(name, List.of(new EgressSource(InetAddress.getByName(address), name + ".test")),
                EgressSelection.ROUND_ROBIN, EgressTls.NONE);
    }

    @Test
    void aSourceOfAnotherPoolIsNeverBoundAndEachAttemptIsCounted() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        EgressPools pools = new EgressPools(new EgressConfig(DnsConfig.DEFAULT, Map.of(
                "normal", pool("normal", "127.0.0.10"), "fallback", pool("fallback", "127.0.0.20")),
                Duration.ofSeconds(1), 25, EgressDestinations.DEFAULT), registry);
        SourceAddress normal = pools.pool("normal").orElseThrow().sources().get(0);
        SourceAddress fallback = pools.pool("fallback").orElseThrow().sources().get(0);

        assertThat(pools.mayBind("normal", normal)).isTrue();
        assertThat(pools.mayBind("fallback", fallback)).isTrue();
        assertThat(registry.get("sluice.egress.pool.violations").counter().count()).isZero();

        assertThat(pools.mayBind("normal", fallback)).isFalse();
        assertThat(pools.mayBind("fallback", normal)).isFalse();
        assertThat(pools.mayBind("nowhere", normal)).isFalse();
        assertThat(registry.get("sluice.egress.pool.violations").counter().count()).isEqualTo(3);
    }

    @Test
    void aSuspendedSourceIsSkippedUntilResumed() throws Exception {
        EgressPool pool = EgressPoolPropertiesTest.pool(EgressSelection.ROUND_ROBIN, 2);
        InetAddress first = pool.sources().get(0).address();

        assertThat(pool.suspend(first)).isTrue();
        for (int i = 0; i < 4; i++) {
            assertThat(pool.select("d.test", source -> true).orElseThrow().address()).isNotEqualTo(first);
        }
        assertThat(pool.resume(first)).isTrue();
        assertThat(List.of(pool.select("d.test", s -> true).orElseThrow(), pool.select("d.test", s -> true)
                .orElseThrow())).extracting(SourceAddress::address).contains(first);
        assertThat(pool.suspend(InetAddress.getByName("192.0.2.1"))).isFalse();
    }
}
