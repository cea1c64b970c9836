package io.sluice.proxy.egress;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressPoolConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Every egress pool by name, and the guard of the rule that makes them worth having: mail accepted for one pool
 * never leaves from another pool's address. The guard runs right before a socket binds its source; a refusal
 * counts in {@code sluice.egress.pool.violations}, which must stay 0.
 */
public final class EgressPools {

    private final Map<String, EgressPool> pools;
    private final Counter violations;

    public EgressPools(EgressConfig config, MeterRegistry registry) {
        Map<String, EgressPool> byName = new LinkedHashMap<>();
        for (EgressPoolConfig pool : config.pools().values()) {
            byName.put(pool.name(), new EgressPool(pool));
        }
        this.pools = Collections.unmodifiableMap(byName);
        byName.values().forEach(pool -> Gauge.builder("sluice.egress.sources.suspended", pool,
                        counted -> counted.sources().stream().filter(SourceAddress::suspended).count())
                .description("sources of the pool suspended now")
                .tag("pool", pool.name())
                .register(registry));
        // Sources are configured, so their addresses are bounded tag values.
        byName.values().forEach(pool -> pool.sources().forEach(source -> Gauge.builder(
                        "sluice.egress.source.suspended.sites", source, SourceAddress::suspendedSiteCount)
                .description("destination sites the source is suspended for now by receivers' feedback")
                .tag("pool", pool.name())
                .tag("source", source.toString())
                .register(registry)));
        this.violations = Counter.builder("sluice.egress.pool.violations")
                .description("deliveries refused because their source is not of their listener's pool; must be 0")
                .register(registry);
    }

    public Optional<EgressPool> pool(String name) {
        return Optional.ofNullable(pools.get(name));
    }

    public Map<String, EgressPool> all() {
        return pools;
    }

    /**
     * Whether a delivery for {@code poolName} may bind {@code source}: only a source of that very pool may. A
     * refusal is a defect in Sluice, counted so that an alert can page someone.
     */
    public boolean mayBind(String poolName, SourceAddress source) {
        EgressPool pool = pools.get(poolName);
        if (pool != null && pool.sources().contains(source)) {
            return true;
        }
        violations.increment();
        return false;
    }

    public double violations() {
        return violations.count();
    }
}
