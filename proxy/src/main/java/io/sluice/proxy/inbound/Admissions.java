package io.sluice.proxy.inbound;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.sluice.config.AdmissionMode;
import io.sluice.config.RetryPriority;
import io.sluice.config.BackendPoolConfig;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** The adaptive admission of every backend pool on this node: made before the pools, read by the admin API. */
public final class Admissions {

    private static final Admissions NONE = new Admissions(Map.of(), Map.of());

    private final Map<String, Admission> pools;
    // The pool each inbound listener relays to.
    private final Map<String, String> poolOfListener;

    private Admissions(Map<String, Admission> pools, Map<String, String> poolOfListener) {
        this.pools = pools;
        this.poolOfListener = poolOfListener;
    }

    /** One per pool, in configuration order; a pool whose admission is off registers no meter. */
    public static Admissions of(Map<String, BackendPoolConfig> backends, List<ListenerConfig> listeners,
                                MeterRegistry registry) {
        Map<String, Admission> pools = new LinkedHashMap<>();
        backends.values().forEach(pool -> pools.put(pool.name(), Admission.of(pool.name(), pool.admission(), registry)));
        Map<String, String> poolOfListener = new LinkedHashMap<>();
        listeners.stream().filter(listener -> listener.role() == ListenerRole.INBOUND)
                .forEach(listener -> poolOfListener.put(listener.name(), listener.backendPool()));
        return new Admissions(pools, poolOfListener);
    }

    /** No backend pools: a node that only relays outbound. */
    public static Admissions none() {
        return NONE;
    }

    Admission pool(String name) {
        return pools.get(name);
    }

    /**
     * What each pool's admission stands at, by pool: its mode, and where it is not off, its limit and bounds, the
     * transactions in flight (in shadow also those it would have admitted, which its limit is held against), what it
     * refused (or would have, in shadow), the drops it saw, the backends' latency it works from and their unloaded
     * time it learnt, and whether it is probing for that time now.
     */
    public Map<String, Object> report() {
        Map<String, Object> report = new LinkedHashMap<>();
        pools.forEach((name, admission) -> {
            Map<String, Object> pool = new LinkedHashMap<>();
            pool.put("mode", admission.mode().name().toLowerCase(Locale.ROOT));
            if (admission.enabled()) {
                pool.put("limit", admission.limit());
                pool.put("inflight", admission.inflight());
                if (admission.mode() == AdmissionMode.SHADOW) {
                    pool.put("would-be-inflight", admission.admittedInflight());
                }
                pool.put("refused", admission.refused());
                pool.put("drops", admission.drops());
                pool.put("last-transaction-ms", admission.lastSampleNanos() / 1e6);
                pool.put("baseline-ms", admission.baselineNanos() / 1e6);
                pool.put("probing", admission.probing());
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

    /**
     * Whether the admission of the pool an inbound listener relays to would admit a sender's MAIL now, and why: the
     * pool, its mode, and where it is not off its limit, the transactions in flight (in shadow also those it would
     * have admitted), whether those the limit is held against are at the limit (over which shadow only counts), the
     * places of the limit a first-time sender may not take and whether that refuses one now, and the reply a refused
     * MAIL gets. Empty for a listener that is not inbound. Only a look: by the time a MAIL comes, transactions may have
     * ended or begun.
     *
     * @param reservedShare the share of the limit a first-time sender may not take (0 with retry priority off)
     * @param keptShare the share of the limit this sender may not take, as its MAIL would be kept out of it
     */
    public Optional<Map<String, Object>> explain(String listener, double reservedShare, double keptShare) {
        String name = poolOfListener.get(listener);
        Admission admission = name == null ? null : pools.get(name);
        if (admission == null) {
            return Optional.empty();
        }
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("pool", name);
        view.put("mode", admission.mode().name().toLowerCase(Locale.ROOT));
        boolean admits = true;
        if (admission.enabled()) {
            int limit = admission.limit();
            int held = admission.admittedInflight();
            boolean atLimit = held >= limit;
            // The same check as a MAIL's (Admission.acquire), with this sender's share.
            boolean over = Admission.over(held, limit, keptShare);
            admits = !over || admission.mode() != AdmissionMode.ADAPTIVE;
            view.put("limit", limit);
            view.put("inflight", admission.inflight());
            if (admission.mode() == AdmissionMode.SHADOW) {
                view.put("would-be-inflight", held);
            }
            view.put("at-limit", atLimit);
            view.put("reserved", RetryPriority.wholeShare(limit, reservedShare));
            view.put("reserve-refuses-first-time", !atLimit && Admission.over(held, limit, reservedShare));
        }
        view.put("admits", admits);
        if (!admits) {
            view.put("reply", admission.refusal().toString());
        }
        return Optional.of(view);
    }
}
