package io.sluice.proxy.admin;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.EgressConfig;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.eval.PolicyInspector;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.policy.override.OverrideStore;
import io.sluice.proxy.egress.EgressActions;
import io.sluice.proxy.egress.EgressPools;
import io.sluice.proxy.egress.SourceSuspensions;
import io.sluice.proxy.egress.tls.TlsPolicies;
import io.sluice.proxy.inbound.Admissions;
import io.sluice.proxy.lifecycle.NodeState;
import java.time.Clock;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What the admin API works on.
 *
 * @param state this node's phase and sessions
 * @param policies the policy in force and its version
 * @param overrides the overrides of the policy's rules
 * @param inspector buckets and explanations of the live policy
 * @param listenerNames the listeners a policy's rules may name
 * @param metrics the Prometheus text exposition of every meter
 * @param cluster what this node knows of its cluster, asked afresh for each request
 * @param clock the time overrides start and expire by
 * @param pools the egress pools and their sources
 * @param suspensions suspends and resumes egress sources, on every node
 * @param admissions where each backend pool's adaptive admission stands on this node
 * @param actions the actions receivers' replies took, in force on every node
 * @param tls the outbound TLS policies of destinations (MTA-STS), where there is an outbound relay
 */
public record AdminServices(NodeState state, PolicyStore policies, OverrideStore overrides, PolicyInspector inspector,
                     Set<String> listenerNames, Supplier<String> metrics, Supplier<ClusterStatus> cluster,
                     Clock clock, EgressPools pools, SourceSuspensions suspensions,
                     Admissions admissions, EgressActions actions, Optional<TlsPolicies> tls) {

    public AdminServices {
        // In the configuration's order, which is the order errors list them in.
        listenerNames = Collections.unmodifiableSet(new LinkedHashSet<>(listenerNames));
    }

    /** Without the TLS policies of destinations. */
    public AdminServices(NodeState state, PolicyStore policies, OverrideStore overrides, PolicyInspector inspector,
                         Set<String> listenerNames, Supplier<String> metrics, Supplier<ClusterStatus> cluster,
                         Clock clock, EgressPools pools, SourceSuspensions suspensions, Admissions admissions,
                         EgressActions actions) {
        this(state, policies, overrides, inspector, listenerNames, metrics, cluster, clock, pools, suspensions,
                admissions, actions, Optional.empty());
    }

    /** Without backend pools to report the admission of. */
    public AdminServices(NodeState state, PolicyStore policies, OverrideStore overrides, PolicyInspector inspector,
                         Set<String> listenerNames, Supplier<String> metrics, Supplier<ClusterStatus> cluster,
                         Clock clock, EgressPools pools, SourceSuspensions suspensions) {
        this(state, policies, overrides, inspector, listenerNames, metrics, cluster, clock, pools, suspensions,
                Admissions.none());
    }

    /** Without feedback actions of their own: those the suspensions and overrides keep are listed. */
    public AdminServices(NodeState state, PolicyStore policies, OverrideStore overrides, PolicyInspector inspector,
                         Set<String> listenerNames, Supplier<String> metrics, Supplier<ClusterStatus> cluster,
                         Clock clock, EgressPools pools, SourceSuspensions suspensions, Admissions admissions) {
        this(state, policies, overrides, inspector, listenerNames, metrics, cluster, clock, pools, suspensions,
                admissions, new EgressActions(EgressConfig.NONE, suspensions, overrides, () -> PolicyConfig.EMPTY,
                        clock, new SimpleMeterRegistry()));
    }
}
