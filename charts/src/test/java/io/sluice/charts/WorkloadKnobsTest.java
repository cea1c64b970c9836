package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HPAScalingPolicy;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.MetricSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pod template's knobs an operator turns: image, rollout and autoscaling pace, placement, extensions. */
class WorkloadKnobsTest {

    private static final String DIGEST = "sha256:" + "ab".repeat(32);

    @TempDir
    Path dir;

    private static Deployment inbound(Chart chart) {
        return chart.get(Deployment.class, "mx-sluice-inbound");
    }

    private Chart render(String values) throws IOException {
        return Chart.render(Files.writeString(dir.resolve("values.yaml"), values), Map.of());
    }

    @Test
    void theImageIsRegistryRepositoryTagAndDigest() {
        assertThat(Pods.sluice(inbound(Chart.defaults())).getImage())
                .isEqualTo("registry.example.net/mail/sluice:0.1.0");
        assertThat(Pods.sluice(inbound(Chart.render(null, Map.of("image.tag", "1.2.3", "image.digest", DIGEST))))
                .getImage()).isEqualTo("registry.example.net/mail/sluice:1.2.3@" + DIGEST);
        assertThat(Chart.production().all(Deployment.class)).allSatisfy(d -> assertThat(Pods.sluice(d).getImage())
                .isEqualTo("registry.example.net/mail/sluice:0.1.0@sha256:" + "0123456789abcdef".repeat(4)));
    }

    @Test
    void anInstallWithoutAnImageStopsAtTheSchema() {
        assertThatThrownBy(() -> Chart.template(Chart.DIR, Chart.KUBE_VERSION, null, null, Map.of()))
                .hasMessageContaining("values don't meet the specifications of the schema")
                .hasMessageContaining("/image/registry").hasMessageContaining("/image/repository");
        assertThatThrownBy(() -> Chart.template(Chart.DIR, Chart.KUBE_VERSION, null, null,
                Map.of("image.registry", "registry.example.net")))
                .hasMessageContaining("/image/repository").hasMessageNotContaining("/image/registry");
        assertThatThrownBy(() -> Chart.template(null, Map.of("image.digest", "latest")))
                .hasMessageContaining("/image/digest");
    }

    @Test
    void theAutoscalerAddsOnePodAtATimeAfterSustainedLoad() {
        HorizontalPodAutoscaler hpa = Chart.render(null, Map.of("inbound.autoscaling.enabled", true))
                .get(HorizontalPodAutoscaler.class, "mx-sluice-inbound");
        var scaleUp = hpa.getSpec().getBehavior().getScaleUp();

        // Kubernetes' default would double the pods every 15 s, at once: a burst is met by 4xx, not by new pods.
        assertThat(scaleUp.getStabilizationWindowSeconds()).isGreaterThanOrEqualTo(300);
        assertThat(scaleUp.getPolicies()).singleElement().extracting(HPAScalingPolicy::getType,
                HPAScalingPolicy::getValue).containsExactly("Pods", 1);
        // A new pod every period at most, and a period longer than the BIG-IP's time to take one in.
        assertThat(scaleUp.getPolicies().get(0).getPeriodSeconds()).isGreaterThan(60);
        assertThat(hpa.getSpec().getBehavior().getScaleDown().getStabilizationWindowSeconds()).isEqualTo(600);
        assertThat(hpa.getSpec().getMetrics()).extracting(MetricSpec::getType).containsExactly("Resource");
    }

    @Test
    void theAutoscalerCanScaleOnSessionsPerPod() throws IOException {
        HorizontalPodAutoscaler hpa = Chart.production().get(HorizontalPodAutoscaler.class, "mx-sluice-inbound");
        MetricSpec sessions = hpa.getSpec().getMetrics().stream().filter(m -> m.getType().equals("Pods"))
                .findFirst().orElseThrow();

        assertThat(sessions.getPods().getMetric().getName()).isEqualTo("sluice_sessions_active");
        assertThat(sessions.getPods().getTarget().getType()).isEqualTo("AverageValue");
        assertThat(sessions.getPods().getTarget().getAverageValue().getAmount()).isEqualTo("400");
        // The gauge the adapter serves is one Sluice exports.
        assertThat(Files.readString(Path.of("..", "docs", "metrics.md"))).contains("| `sluice_sessions_active` |");
    }

    @Test
    void aRolloutWaitsForTheBigIpBeforeStoppingAnOldPod() {
        assertThat(inbound(Chart.defaults()).getSpec().getMinReadySeconds()).isEqualTo(60);
        assertThat(inbound(Chart.render(null, Map.of("bigip.memberReadyDelaySeconds", 90))).getSpec()
                .getMinReadySeconds()).isEqualTo(90);
        assertThat(inbound(Chart.render(null, Map.of("inbound.minReadySeconds", 0))).getSpec()
                .getMinReadySeconds()).isZero();
        // The relay Services are ClusterIP: no load balancer to wait for.
        assertThat(Chart.production().get(Deployment.class, "mx-sluice-egress-normal").getSpec()
                .getMinReadySeconds()).isEqualTo(5);
    }

    @Test
    void eachTierAndPoolIsPlacedWhereItsValuesSay() {
        Chart chart = Chart.production();
        PodSpec in = Pods.spec(inbound(chart));
        PodSpec normal = Pods.spec(chart.get(Deployment.class, "mx-sluice-egress-normal"));
        PodSpec fallback = Pods.spec(chart.get(Deployment.class, "mx-sluice-egress-fallback"));

        assertThat(in.getNodeSelector()).containsExactlyEntriesOf(Map.of("example.net/pool", "mail-edge"));
        assertThat(in.getTolerations()).extracting(Toleration::getKey).containsExactly("example.net/mail-edge");
        assertThat(normal.getNodeSelector()).containsExactlyEntriesOf(Map.of("example.net/egress", "normal"));
        assertThat(fallback.getNodeSelector()).containsExactlyEntriesOf(Map.of("example.net/egress", "fallback"));
        assertThat(normal.getTolerations()).isNullOrEmpty();
        for (PodSpec pod : new PodSpec[] {in, normal, fallback}) {
            assertThat(pod.getPriorityClassName()).isEqualTo("mail-critical");
        }
        Deployment deployment = chart.get(Deployment.class, "mx-sluice-egress-normal");
        assertThat(deployment.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("fluentbit.io/parser", "json")
                .containsEntry("cni.projectcalico.org/ipv4pools", "[\"egress-normal\"]");
        // A constraint without a selector gets the workload's own pods, not every pod of the release.
        assertThat(normal.getTopologySpreadConstraints()).singleElement().satisfies(c -> {
            assertThat(c.getTopologyKey()).isEqualTo("topology.kubernetes.io/zone");
            assertThat(c.getLabelSelector().getMatchLabels())
                    .isEqualTo(deployment.getSpec().getSelector().getMatchLabels());
        });
        assertThat(normal.getAffinity().getPodAntiAffinity().getPreferredDuringSchedulingIgnoredDuringExecution())
                .anySatisfy(term -> {
                    assertThat(term.getWeight()).isEqualTo(40);
                    assertThat(term.getPodAffinityTerm().getTopologyKey()).isEqualTo("example.net/rack");
                });
    }

    @Test
    void aTiersMapsMergeOverTheDefaultsAndItsListsReplaceThem() throws IOException {
        Chart chart = render("""
                podAnnotations: {team: mail, shared: chart}
                tolerations: [{key: everywhere, operator: Exists}]
                inbound:
                  podAnnotations: {shared: inbound}
                  tolerations: [{key: edge, operator: Exists}]
                """);
        PodSpec pod = Pods.spec(inbound(chart));

        assertThat(inbound(chart).getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry("team", "mail").containsEntry("shared", "inbound");
        assertThat(pod.getTolerations()).extracting(Toleration::getKey).containsExactly("edge");
    }

    @Test
    void antiAffinityTakesAnyTopologyKeySoftOrHard() throws IOException {
        PodSpec pod = Pods.spec(inbound(render("""
                antiAffinity:
                  - {topologyKey: example.net/rack, mode: hard}
                """)));
        var antiAffinity = pod.getAffinity().getPodAntiAffinity();

        assertThat(antiAffinity.getRequiredDuringSchedulingIgnoredDuringExecution()).singleElement()
                .satisfies(term -> assertThat(term.getTopologyKey()).isEqualTo("example.net/rack"));
        assertThat(antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution()).isNullOrEmpty();
        assertThat(Pods.spec(inbound(render("antiAffinity: []\n"))).getAffinity()).isNull();
    }

    @Test
    void extraEnvVolumesSidecarsAndInitContainersReachThePod() throws IOException {
        Deployment deployment = inbound(render("""
                extraEnv: [{name: TZ, value: UTC}]
                extraVolumes: [{name: ca, configMap: {name: corporate-ca}}]
                extraVolumeMounts: [{name: ca, mountPath: /etc/sluice/ca, readOnly: true}]
                sidecars:
                  - name: shipper
                    image: registry.example.net/shipper:1
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                initContainers:
                  - name: wait
                    image: registry.example.net/wait:1
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
                """));
        PodSpec pod = Pods.spec(deployment);
        Container sluice = pod.getContainers().get(0);

        assertThat(pod.getContainers()).extracting(Container::getName).containsExactly("sluice", "shipper");
        assertThat(pod.getInitContainers()).extracting(Container::getName).containsExactly("wait");
        assertThat(sluice.getEnv()).extracting(EnvVar::getName).contains("SLUICE_JAVA_OPTS", "POD_IP", "TZ");
        assertThat(sluice.getVolumeMounts()).extracting(VolumeMount::getMountPath).contains("/etc/sluice/ca");
        assertThat(pod.getVolumes()).extracting(Volume::getName).contains("config", "tmp", "ca");
    }

    @Test
    void probesAndTheSecurityContextComeFromTheValues() {
        Container sluice = Pods.sluice(inbound(Chart.render(null, Map.of("probes.readiness.periodSeconds", 2,
                "securityContext.runAsUser", 20001))));

        assertThat(sluice.getReadinessProbe().getPeriodSeconds()).isEqualTo(2);
        assertThat(sluice.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/healthz/ready");
        assertThat(sluice.getSecurityContext().getRunAsUser()).isEqualTo(20001);
        assertThat(sluice.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    }

    @Test
    void theSecurityContextCannotLeaveTheRestrictedStandard() {
        assertThatThrownBy(() -> Chart.template(null, Map.of("securityContext.allowPrivilegeEscalation", true)))
                .hasMessageContaining("/securityContext/allowPrivilegeEscalation");
        assertThatThrownBy(() -> Chart.template(null, Map.of("securityContext.capabilities.drop[0]", "NET_RAW")))
                .hasMessageContaining("/securityContext/capabilities/drop");
        assertThatThrownBy(() -> Chart.template(null, Map.of("securityContext.privileged", true)))
                .hasMessageContaining("/securityContext/privileged");
    }

    @Test
    void theServiceAccountMountsNoToken() {
        Chart chart = Chart.render(null, Map.of("serviceAccount.annotations.owner", "mail"));
        ServiceAccount account = chart.get(ServiceAccount.class, "mx-sluice");
        PodSpec pod = Pods.spec(inbound(chart));

        assertThat(account.getAutomountServiceAccountToken()).isFalse();
        assertThat(account.getMetadata().getAnnotations()).containsEntry("owner", "mail");
        assertThat(pod.getServiceAccountName()).isEqualTo("mx-sluice");
        assertThat(pod.getAutomountServiceAccountToken()).isFalse();

        Chart existing = Chart.render(null, Map.of("serviceAccount.create", false, "serviceAccount.name", "mail"));
        assertThat(existing.all(ServiceAccount.class)).isEmpty();
        assertThat(Pods.spec(inbound(existing)).getServiceAccountName()).isEqualTo("mail");
        assertThat(Pods.spec(inbound(existing)).getAutomountServiceAccountToken()).isFalse();
    }

    @Test
    void topologySpreadConstraintsKeepTheirOwnSelector() throws IOException {
        PodSpec pod = Pods.spec(inbound(render("""
                topologySpreadConstraints:
                  - maxSkew: 2
                    topologyKey: example.net/rack
                    whenUnsatisfiable: DoNotSchedule
                    labelSelector: {matchLabels: {app.kubernetes.io/instance: mx}}
                """)));

        assertThat(pod.getTopologySpreadConstraints()).singleElement()
                .extracting(TopologySpreadConstraint::getMaxSkew, c -> c.getLabelSelector().getMatchLabels())
                .containsExactly(2, Map.of("app.kubernetes.io/instance", "mx"));
    }
}
