package io.sluice.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The whole configuration of one Sluice process, as loaded by {@link ConfigLoader}.
 *
 * @param smtp protocol limits and timeouts shared by every listener
 * @param listeners the sockets Sluice accepts SMTP connections on, in file order
 * @param backends the backend pools by name, in file order
 * @param cluster where cluster-wide limit state lives
 * @param policy the flow-control policy a fresh cluster starts from
 * @param drain how the node says goodbye on SIGTERM
 */
public record SluiceConfig(SmtpConfig smtp, List<ListenerConfig> listeners, Map<String, BackendPoolConfig> backends,
                           ClusterConfig cluster, PolicyConfig policy, DrainConfig drain) {

    public SluiceConfig {
        Objects.requireNonNull(smtp, "smtp");
        listeners = List.copyOf(listeners);
        // Map.copyOf would lose the file's order, which operators expect to see again in logs and the admin API.
        backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
        backends.forEach((name, pool) -> Objects.requireNonNull(pool, name));
        Objects.requireNonNull(cluster, "cluster");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(drain, "drain");
        // Static, with the listeners passed in: the fields are not assigned until the compact constructor ends.
        for (LimitRule rule : policy.limits()) {
            requireListeners(listeners, rule.name(), rule.listeners());
        }
        for (ConcurrencyRule rule : policy.concurrency()) {
            requireListeners(listeners, rule.name(), rule.listeners());
        }
    }

    /** A configuration without flow control: no cluster, no limits. */
    public SluiceConfig(SmtpConfig smtp, List<ListenerConfig> listeners, Map<String, BackendPoolConfig> backends) {
        this(smtp, listeners, backends, ClusterConfig.STANDALONE, PolicyConfig.EMPTY, DrainConfig.DEFAULT);
    }

    public SluiceConfig withPolicy(ClusterConfig cluster, PolicyConfig policy) {
        return new SluiceConfig(smtp, listeners, backends, cluster, policy, drain);
    }

    private static void requireListeners(List<ListenerConfig> listeners, String rule, Set<String> names) {
        for (String name : names) {
            if (listeners.stream().noneMatch(listener -> listener.name().equals(name))) {
                throw new IllegalArgumentException("rule " + rule + ": listener " + name + " (expected: a listener)");
            }
        }
    }
}
