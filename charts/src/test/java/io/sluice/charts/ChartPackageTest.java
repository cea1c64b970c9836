package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.marcnuri.helm.Helm;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What ships with the chart: its metadata, the examples, the notes and the helm test pod. */
class ChartPackageTest {

    @TempDir
    Path dir;

    @Test
    void chartYamlNamesTheKubernetesItNeedsAndWhereItComesFrom() throws IOException {
        JsonNode chart = Pods.yaml(Files.readString(Chart.DIR.resolve("Chart.yaml")));

        assertThat(chart.at("/kubeVersion").asText()).isEqualTo(">=1.25.0-0");
        assertThat(chart.at("/icon").asText()).startsWith("https://");
        assertThat(chart.at("/sources").size()).isPositive();
        assertThatThrownBy(() -> Chart.template(Chart.DIR, "v1.24.9", Chart.IMAGE, null, Map.of()))
                .hasMessageContaining("kubeVersion");
    }

    @Test
    void thePackageKeepsTheExamplesAndLeavesTheUnitTestsOut() throws IOException {
        new Helm(Chart.DIR).packageIt().withDestination(dir).call();
        Path archive;
        try (var files = Files.list(dir)) {
            archive = files.filter(f -> f.toString().endsWith(".tgz")).findFirst().orElseThrow();
        }

        List<String> entries = tarEntries(archive);
        assertThat(entries).contains("sluice/examples/production.yaml", "sluice/values.schema.json",
                "sluice/README.md", "sluice/templates/tests/test-connection.yaml", "sluice/ops/alerts.yaml");
        assertThat(entries).noneMatch(entry -> entry.endsWith("_test.yaml"));
    }

    /** Entry names of a .tgz, read from the tar headers (512-byte blocks, name in the first 100 bytes). */
    private static List<String> tarEntries(Path archive) throws IOException {
        List<String> names = new ArrayList<>();
        try (InputStream in = new GZIPInputStream(Files.newInputStream(archive))) {
            byte[] header = new byte[512];
            while (in.readNBytes(header, 0, 512) == 512 && header[0] != 0) {
                String name = new String(header, 0, 100, java.nio.charset.StandardCharsets.US_ASCII).trim()
                        .replace("\0", "");
                long size = Long.parseLong(new String(header, 124, 11, java.nio.charset.StandardCharsets.US_ASCII)
                        .trim(), 8);
                names.add(name);
                in.skipNBytes((size + 511) / 512 * 512);
            }
        }
        return names;
    }

    @Test
    void theNotesNameEachPoolsOwnPort() throws IOException {
        String notes = notes(Map.of("egress.pools.normal.service.port", 2525));

        assertThat(notes).contains("mx-sluice-egress-normal.mail.svc:2525 ")
                .contains("mx-sluice-egress-fallback.mail.svc:25 ")
                .contains("image registry.example.net/mail/sluice:0.1.0@sha256:")
                .contains("60 s after it is ready")
                .contains("the ServiceMonitor and PrometheusRule were left out");
        assertThat(notes(Map.of("extraApiVersions[0]", Chart.OPERATOR_API))).doesNotContain("left out");
    }

    /** NOTES.txt as Helm renders it, through a copy of the chart that puts it in a ConfigMap. */
    private String notes(Map<String, Object> sets) throws IOException {
        Path chart = Chart.copy(dir.resolve(String.valueOf(sets.hashCode())));
        Files.move(chart.resolve("templates/NOTES.txt"), chart.resolve("notes.txt"));
        Files.writeString(chart.resolve("templates/notes.yaml"), """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: notes}
                data:
                  notes: {{ tpl (.Files.Get "notes.txt") . | quote }}
                """);
        return Chart.parse(Chart.template(chart, Chart.KUBE_VERSION, Chart.IMAGE, Chart.PRODUCTION, sets)).stream()
                .filter(o -> o.getMetadata().getName().equals("notes")).map(ConfigMap.class::cast).findFirst()
                .orElseThrow().getData().get("notes");
    }

    @Test
    void theTestHookGreetsOverSmtpAndAsksForReadiness() throws IOException {
        Path template = Chart.DIR.resolve("templates/tests/test-connection.yaml");
        assertThat(Files.readString(template)).contains("helm.sh/hook: test");
        // A hook is not part of the manifest Helm's template returns: render a copy without the annotation.
        Path chart = Chart.copy(dir);
        Path copy = chart.resolve("templates/tests/test-connection.yaml");
        Files.writeString(copy, Files.readString(copy).lines().filter(line -> !line.contains("helm.sh/hook"))
                .collect(Collectors.joining("\n")));
        Pod pod = Chart.parse(Chart.template(chart, Chart.KUBE_VERSION, Chart.IMAGE, null, Map.of())).stream()
                .filter(Pod.class::isInstance).map(Pod.class::cast).findFirst().orElseThrow();
        Container check = pod.getSpec().getContainers().get(0);

        assertThat(pod.getMetadata().getLabels()).containsEntry("app.kubernetes.io/component", "test");
        assertThat(check.getEnv()).extracting(EnvVar::getName, EnvVar::getValue).contains(
                org.assertj.core.groups.Tuple.tuple("SMTP", "mx-sluice-smtp 25"),
                org.assertj.core.groups.Tuple.tuple("READY_URL", "http://mx-sluice-admin:8025/healthz/ready"));
        String script = check.getCommand().get(2);
        assertThat(script).contains("'^220[ -]'", "wget", "$READY_URL", "QUIT");
        assertRestricted(pod);
    }

    /** The restricted Pod Security Standard, as the admission controller checks it. */
    private static void assertRestricted(Pod pod) {
        PodSecurityContext security = pod.getSpec().getSecurityContext();
        assertThat(security.getRunAsNonRoot()).isTrue();
        assertThat(security.getRunAsUser()).isPositive();
        assertThat(security.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
        assertThat(pod.getSpec().getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getSpec().getVolumes()).allSatisfy(v -> assertThat(v.getHostPath()).isNull());
        for (Container container : pod.getSpec().getContainers()) {
            assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
            assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
            assertThat(container.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
        }
    }
}
