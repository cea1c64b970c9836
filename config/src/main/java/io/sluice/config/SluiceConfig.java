package io.sluice.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The whole configuration of one Sluice process, as loaded by {@link ConfigLoader}.
 *
 * @param smtp protocol limits and timeouts shared by every listener
 * @param listeners the sockets Sluice accepts SMTP connections on, in file order
 * @param backends the backend pools by name, in file order
 * @param cluster where cluster-wide limit state lives
 * @param policy the flow-control policy a fresh cluster starts from
 * @param admin the admin HTTP listener; empty for none. A YAML file always has one (on loopback unless it says
 *     otherwise); a configuration built in code has none unless it asks
 * @param drain how the node says goodbye on SIGTERM
 * @param egress outbound delivery: DNS and the egress pools outbound listeners name
 */
public record SluiceConfig(SmtpConfig smtp, List<ListenerConfig> listeners, Map<String, BackendPoolConfig> backends,
                           ClusterConfig cluster, PolicyConfig policy, Optional<AdminConfig> admin,
                           DrainConfig drain, EgressConfig egress) {

    public SluiceConfig {
        Objects.requireNonNull(smtp, "smtp");
        listeners = List.copyOf(listeners);
        // Map.copyOf would lose the file's order, which operators expect to see again in logs and the admin API.
        backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
        backends.forEach((name, pool) -> Objects.requireNonNull(pool, name));
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(drain, "drain");
        Objects.requireNonNull(egress, "egress");
        for (ListenerConfig listener : listeners) {
            if (listener.role() == ListenerRole.OUTBOUND && !egress.pools().containsKey(listener.egressPool())) {
                throw new IllegalArgumentException("listener " + listener.name() + ": egress pool "
                        + listener.egressPool() + " (expected: a pool under egress.pools)");
            }
        }
        // Static, with the listeners passed in: the fields are not assigned until the compact constructor ends.
        for (LimitRule rule : policy.limits()) {
            requireListeners(listeners, rule.name(), rule.listeners());
        }
        for (ConcurrencyRule rule : policy.concurrency()) {
            requireListeners(listeners, rule.name(), rule.listeners());
        }
    }

    /** A configuration without outbound delivery. */
    public SluiceConfig(SmtpConfig smtp, List<ListenerConfig> listeners, Map<String, BackendPoolConfig> backends,
                        ClusterConfig cluster, PolicyConfig policy, Optional<AdminConfig> admin, DrainConfig drain) {
        this(smtp, listeners, backends, cluster, policy, admin, drain, EgressConfig.NONE);
    }

    /** A configuration without an admin listener. */
    public SluiceConfig(SmtpConfig smtp, List<ListenerConfig> listeners, Map<String, BackendPoolConfig> backends,
                        ClusterConfig cluster, PolicyConfig policy) {
        this(smtp, listeners, backends, cluster, policy, Optional.empty(), DrainConfig.DEFAULT, EgressConfig.NONE);
    }

    /** A configuration without flow control and without an admin listener: no cluster, no limits. */
    public SluiceConfig(SmtpConfig smtp, List<ListenerConfig> listeners, Map<String, BackendPoolConfig> backends) {
        this(smtp, listeners, backends, ClusterConfig.STANDALONE, PolicyConfig.EMPTY, Optional.empty(),
                DrainConfig.DEFAULT, EgressConfig.NONE);
    }

    public SluiceConfig withPolicy(ClusterConfig cluster, PolicyConfig policy) {
        return new SluiceConfig(smtp, listeners, backends, cluster, policy, admin, drain, egress);
    }

    public SluiceConfig withAdmin(AdminConfig value) {
        return new SluiceConfig(smtp, listeners, backends, cluster, policy, Optional.of(value), drain, egress);
    }

    public SluiceConfig withDrain(DrainConfig value) {
        return new SluiceConfig(smtp, listeners, backends, cluster, policy, admin, value, egress);
    }

    public SluiceConfig withEgress(EgressConfig value) {
        return new SluiceConfig(smtp, listeners, backends, cluster, policy, admin, drain, value);
    }

    /** The listeners' names in file order: what policy rules may name. */
    public Set<String> listenerNames() {
        Set<String> names = new LinkedHashSet<>();
        listeners.forEach(listener -> names.add(listener.name()));
        return Collections.unmodifiableSet(names);
    }

    private static void requireListeners(List<ListenerConfig> listeners, String rule, Set<String> names) {
        for (String name : names) {
            if (listeners.stream().noneMatch(listener -> listener.name().equals(name))) {
                throw new IllegalArgumentException("rule " + rule + ": listener " + name + " (expected: a listener)");
            }
        }
    }
}
