package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.Capabilities;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PodDNSConfigOption;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** What every Deployment of the chart must do, with the chart's own values and with the production example. */
class DeploymentTest {

    static Stream<Arguments> deployments() {
        Stream<Arguments> defaults = Chart.defaults().all(Deployment.class).stream()
                .map(d -> Arguments.of("defaults", d, Chart.defaults()));
        Chart production = Chart.production();
        return Stream.concat(defaults,
                production.all(Deployment.class).stream().map(d -> Arguments.of("production", d, production)));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void probesTheAdminListener(String values, Deployment deployment, Chart chart) {
        Container sluice = Pods.sluice(deployment);
        JsonNode config = Pods.yaml(chart.config(deployment.getMetadata().getName()));
        int adminPort = Integer.parseInt(config.at("/admin/bind").asText().replace("0.0.0.0:", ""));

        assertThat(sluice.getPorts()).anyMatch(p -> p.getName().equals("admin") && p.getContainerPort() == adminPort);
        assertThat(httpGet(sluice.getLivenessProbe().getHttpGet())).isEqualTo("admin/healthz/live");
        assertThat(httpGet(sluice.getReadinessProbe().getHttpGet())).isEqualTo("admin/healthz/ready");
        assertThat(httpGet(sluice.getStartupProbe().getHttpGet())).isEqualTo("admin/healthz/live");
        // Kubernetes probes carry no token.
        assertThat(config.at("/admin/open-health").asBoolean()).isTrue();
    }

    private static String httpGet(HTTPGetAction get) {
        return get.getPort().getStrVal() + get.getPath();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void graceOutlastsPreStopAndTheWholeDrain(String values, Deployment deployment, Chart chart) {
        JsonNode drain = Pods.yaml(chart.config(deployment.getMetadata().getName())).at("/drain");
        long drainSeconds = Pods.duration(drain.at("/announce")).plus(Pods.duration(drain.at("/timeout"))).toSeconds();
        long preStop = Pods.preStopSeconds(deployment);
        long grace = Pods.spec(deployment).getTerminationGracePeriodSeconds();

        assertThat(preStop).isPositive();
        // README, Graceful drain: above preStop + announce + timeout, with a few seconds to leave the cluster.
        assertThat(grace).isGreaterThanOrEqualTo(preStop + drainSeconds + 5);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void asksDnsWithNdotsOne(String values, Deployment deployment, Chart chart) {
        assertThat(Pods.spec(deployment).getDnsConfig().getOptions())
                .extracting(PodDNSConfigOption::getName, PodDNSConfigOption::getValue)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("ndots", "1"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void spreadsOverHostsAndZones(String values, Deployment deployment, Chart chart) {
        var antiAffinity = Pods.spec(deployment).getAffinity().getPodAntiAffinity();
        Map<String, String> ownPods = deployment.getSpec().getSelector().getMatchLabels();
        List<WeightedPodAffinityTerm> preferred = antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution();

        assertThat(preferred).anySatisfy(term -> {
            assertThat(term.getPodAffinityTerm().getTopologyKey()).isEqualTo("topology.kubernetes.io/zone");
            assertThat(term.getPodAffinityTerm().getLabelSelector().getMatchLabels()).isEqualTo(ownPods);
        });
        if (values.equals("production")) {
            // antiAffinity: hard
            assertThat(antiAffinity.getRequiredDuringSchedulingIgnoredDuringExecution()).singleElement()
                    .satisfies(term -> {
                        assertThat(term.getTopologyKey()).isEqualTo("kubernetes.io/hostname");
                        assertThat(term.getLabelSelector().getMatchLabels()).isEqualTo(ownPods);
                    });
        } else {
            assertThat(preferred).anySatisfy(term -> {
                assertThat(term.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname");
                assertThat(term.getPodAffinityTerm().getLabelSelector().getMatchLabels()).isEqualTo(ownPods);
            });
        }
        assertThat(deployment.getSpec().getTemplate().getMetadata().getLabels()).containsAllEntriesOf(ownPods);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void runsLockedDown(String values, Deployment deployment, Chart chart) {
        PodSpec pod = Pods.spec(deployment);
        Container sluice = Pods.sluice(deployment);

        assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
        assertThat(sluice.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(sluice.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(sluice.getSecurityContext().getCapabilities()).extracting(Capabilities::getDrop)
                .isEqualTo(List.of("ALL"));
        assertThat(sluice.getSecurityContext().getCapabilities().getAdd()).isNullOrEmpty();
        // A writable /tmp, and nothing else writable.
        assertThat(sluice.getVolumeMounts()).filteredOn(m -> !Boolean.TRUE.equals(m.getReadOnly()))
                .singleElement().satisfies(m -> assertThat(m.getMountPath()).isEqualTo("/tmp"));
        Volume tmp = pod.getVolumes().stream().filter(v -> v.getName().equals("tmp")).findFirst().orElseThrow();
        assertThat(tmp.getEmptyDir()).isNotNull();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void sizesTheJvmFromTheContainerLimits(String values, Deployment deployment, Chart chart) {
        Container sluice = Pods.sluice(deployment);

        assertThat(sluice.getResources().getLimits()).containsKeys("cpu", "memory");
        assertThat(sluice.getResources().getRequests()).containsKeys("cpu", "memory");
        assertThat(sluice.getEnv()).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("SLUICE_MEMORY_LIMIT_BYTES");
            assertThat(env.getValueFrom().getResourceFieldRef().getResource()).isEqualTo("limits.memory");
        }).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("SLUICE_CPU_REQUEST_MILLIS");
            assertThat(env.getValueFrom().getResourceFieldRef().getResource()).isEqualTo("requests.cpu");
            assertThat(env.getValueFrom().getResourceFieldRef().getDivisor().toString()).isEqualTo("1m");
        }).anySatisfy(env -> {
            assertThat(env.getName()).isEqualTo("SLUICE_JAVA_OPTS");
            // The launcher's shares fit heap, direct memory and the rest into the limit; a second share would not.
            assertThat(env.getValue()).doesNotContain("MaxRAMPercentage").doesNotContain("-Xmx");
            // The launcher sets it; said twice, an operator could not turn it off in jvm.extraOpts.
            assertThat(env.getValue()).doesNotContain("ExitOnOutOfMemoryError").contains("-Djava.io.tmpdir=/tmp");
        });
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void rollsWhenItsConfigurationChanges(String values, Deployment deployment, Chart chart) {
        String name = deployment.getMetadata().getName();
        String mounted = Pods.spec(deployment).getVolumes().stream().filter(v -> v.getName().equals("config"))
                .findFirst().orElseThrow().getConfigMap().getName();
        String config = chart.get(ConfigMap.class, mounted).getData().get("sluice.yaml");

        assertThat(mounted).isEqualTo(name);
        // The checksum is of the very text the pods mount (Helm's block scalar adds the final newline).
        assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("checksum/config", Pods.sha256Hex(config.stripTrailing()))
                .containsKey("checksum/secret");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("deployments")
    void hasADisruptionBudget(String values, Deployment deployment, Chart chart) {
        PodDisruptionBudget budget = chart.get(PodDisruptionBudget.class, deployment.getMetadata().getName());

        assertThat(budget.getSpec().getSelector().getMatchLabels())
                .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
    }
}
