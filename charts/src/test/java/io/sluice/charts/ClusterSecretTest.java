package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Every pod of a release signs its cluster's control data with one secret: generated once at install, or the
 * operator's own, and named in each configuration.
 */
class ClusterSecretTest {

    @Test
    void aGeneratedSecretIsAnInstallHookMountedInEveryPod() {
        Chart chart = Chart.production();

        // A hook is not part of the release's manifest, which is what is rendered here: upgrades leave it alone.
        assertThat(chart.all(Secret.class)).noneMatch(s -> s.getMetadata().getName().equals("mx-sluice-cluster"));
        for (Deployment deployment : chart.all(Deployment.class)) {
            String name = deployment.getMetadata().getName();
            assertThat(deployment.getSpec().getTemplate().getSpec().getVolumes()).as(name)
                    .anySatisfy(volume -> assertThat(volume.getSecret() == null ? null
                            : volume.getSecret().getSecretName()).isEqualTo("mx-sluice-cluster"));
            assertThat(chart.config(name)).as(name).contains("secret-file: /etc/sluice/cluster/cluster-secret");
        }
    }

    @Test
    void anOperatorsSecretIsUsedAsItIs() {
        Chart given = Chart.render(Chart.PRODUCTION, Map.of("cluster.secret", "x".repeat(40)));
        Chart existing = Chart.render(Chart.PRODUCTION, Map.of("cluster.existingSecret", "mail-cluster"));

        Secret secret = given.get(Secret.class, "mx-sluice-cluster");
        assertThat(secret.getMetadata().getAnnotations()).as("no hook: it follows the values").isNullOrEmpty();
        assertThat(secret.getData().get("cluster-secret"))
                .isEqualTo(Base64.getEncoder().encodeToString("x".repeat(40).getBytes(StandardCharsets.UTF_8)));
        assertThat(existing.all(Secret.class)).noneMatch(s -> s.getMetadata().getName().equals("mx-sluice-cluster"));
        assertThat(existing.all(Deployment.class)).allSatisfy(deployment -> assertThat(
                deployment.getSpec().getTemplate().getSpec().getVolumes()).anySatisfy(volume -> assertThat(
                        volume.getSecret() == null ? null : volume.getSecret().getSecretName())
                .isEqualTo("mail-cluster")));
    }
}
