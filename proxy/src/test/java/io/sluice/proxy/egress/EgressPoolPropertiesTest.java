package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.config.EgressPoolConfig;
import io.sluice.config.EgressSelection;
import io.sluice.config.EgressSource;
import io.sluice.config.EgressTls;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import net.jqwik.api.constraints.AlphaChars;

class EgressPoolPropertiesTest {

    static EgressPool pool(EgressSelection selection, int size) {
        List<EgressSource> sources = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            try {
                sources.add(new EgressSource(InetAddress.getByAddress(new byte[] {127, 0, 1, (byte) (10 + i)}),
                        "out" + i + ".example.net"));
            } catch (UnknownHostException e) {
                throw new AssertionError(e);
            }
        }
        return new EgressPool(new EgressPoolConfig("p", sources, selection, EgressTls.NONE));
    }

    @Property
    void roundRobinUsesEverySourceEquallyOften(@ForAll @IntRange(min = 1, max = 8) int size,
                                               @ForAll @IntRange(min = 1, max = 20) int rounds) {
        EgressPool pool = pool(EgressSelection.ROUND_ROBIN, size);
        Map<SourceAddress, Integer> uses = new HashMap<>();

        for (int i = 0; i < size * rounds; i++) {
            uses.merge(pool.select("d.test", source -> true).orElseThrow(), 1, Integer::sum);
        }

        assertThat(uses).hasSize(size).allSatisfy((source, count) -> assertThat(count).isEqualTo(rounds));
    }

    @Property
    void stickySelectionDependsOnlyOnTheDomainAndTheCandidates(
            @ForAll @AlphaChars @StringLength(min = 1, max = 30) String domain,
            @ForAll @IntRange(min = 1, max = 8) int size) {
        EgressPool pool = pool(EgressSelection.STICKY_DOMAIN, size);

        SourceAddress first = pool.select(domain, source -> true).orElseThrow();

        for (int i = 0; i < 3; i++) {
            assertThat(pool.select(domain, source -> true)).contains(first);
        }
        assertThat(pool(EgressSelection.STICKY_DOMAIN, size).select(domain, source -> true).orElseThrow().address())
                .isEqualTo(first.address());
    }

    @Property
    void suspendingAnotherSourceNeverMovesADomain(
            @ForAll @AlphaChars @StringLength(min = 1, max = 30) String domain,
            @ForAll @IntRange(min = 2, max = 8) int size, @ForAll @IntRange(min = 0, max = 7) int other) {
        EgressPool pool = pool(EgressSelection.STICKY_DOMAIN, size);
        SourceAddress chosen = pool.select(domain, source -> true).orElseThrow();
        SourceAddress suspended = pool.sources().get(other % size);

        pool.suspend(suspended.address());
        SourceAddress now = pool.select(domain, source -> true).orElseThrow();

        assertThat(now).isNotEqualTo(suspended);
        if (suspended != chosen) {
            assertThat(now).isEqualTo(chosen);
        }
        pool.resume(suspended.address());
        assertThat(pool.select(domain, source -> true)).contains(chosen);
    }

    @Property
    void aSuspendedOrUnusableSourceIsNeverChosen(@ForAll EgressSelection selection,
                                                 @ForAll @IntRange(min = 1, max = 8) int size,
                                                 @ForAll @IntRange(min = 0, max = 255) int suspendedMask,
                                                 @ForAll @IntRange(min = 0, max = 255) int unusableMask) {
        EgressPool pool = pool(selection, size);
        for (int i = 0; i < size; i++) {
            if ((suspendedMask & (1 << i)) != 0) {
                pool.suspend(pool.sources().get(i).address());
            }
        }
        List<SourceAddress> unusable = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if ((unusableMask & (1 << i)) != 0) {
                unusable.add(pool.sources().get(i));
            }
        }

        for (int i = 0; i < 2 * size; i++) {
            var chosen = pool.select("d" + i + ".test", source -> !unusable.contains(source));
            boolean anyLeft = pool.sources().stream().anyMatch(s -> !s.suspended() && !unusable.contains(s));
            assertThat(chosen.isPresent()).isEqualTo(anyLeft);
            chosen.ifPresent(source -> assertThat(source.suspended()).isFalse());
            chosen.ifPresent(source -> assertThat(unusable).doesNotContain(source));
        }
    }
}
