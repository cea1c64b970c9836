package io.sluice.proxy.inbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.config.BackendPoolConfig;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The adaptive admission of every backend pool on this node: made before the pools, read by the admin API. */
public final class Admissions {

    private final Map<String, Admission> pools;

    private Admissions(Map<String, Admission> pools) {
        this.pools = pools;
    }

    /** One per pool, in configuration order; a pool whose admission is off registers no meter. */
    public static Admissions of(Map<String, BackendPoolConfig> backends, MeterRegistry registry) {
        Map<String, Admission> pools = new LinkedHashMap<>();
        backends.values().forEach(pool -> pools.put(pool.name(), Admission.of(pool.name(), pool.admission(), registry)));
        return new Admissions(pools);
    }

    Admission pool(String name) {
        return pools.get(name);
    }

    /**
     * What each pool's admission stands at, by pool: its mode, and where it is not off, its limit and bounds, the
     * transactions in flight, what it refused (or would have, in shadow), the drops it saw, and the backends'
     * latency it works from.
     */
    public Map<String, Object> report() {
        Map<String, Object> report = new LinkedHashMap<>();
        pools.forEach((name, admission) -> {
            Map<String, Object> pool = new LinkedHashMap<>();
            pool.put("mode", admission.mode().name().toLowerCase(Locale.ROOT));
            if (admission.enabled()) {
                pool.put("limit", admission.limit());
                pool.put("inflight", admission.inflight());
                pool.put("refused", admission.refused());
                pool.put("drops", admission.drops());
                pool.put("last-transaction-ms", admission.lastSampleNanos() / 1e6);
                Map<String, Object> latency = new LinkedHashMap<>();
                for (Admission.Stage stage : Admission.Stage.values()) {
                    Timer timer = admission.latency(stage);
                    Map<String, Object> summary = new LinkedHashMap<>();
                    summary.put("count", timer.count());
                    summary.put("mean-ms", timer.mean(TimeUnit.MILLISECONDS));
                    summary.put("max-ms", timer.max(TimeUnit.MILLISECONDS));
                    latency.put(stage.tag, summary);
                }
                pool.put("backend-reply", latency);
            }
            report.put(name, pool);
        });
        return report;
    }
}
