package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code helm lint --strict} on the chart with its own values plus the image an install must name, and with the
 * production example's.
 */
class ChartLintTest {

    private static final ObjectMapper YAML = new YAMLMapper();

    @Test
    void lintsWithoutWarnings(@TempDir Path dir) throws IOException {
        assertClean(new Helm(withValues(dir, Chart.IMAGE)).lint().strict().call());
    }

    @Test
    void lintsWithTheProductionValuesWithoutWarnings(@TempDir Path dir) throws IOException {
        assertClean(new Helm(withValues(dir, Chart.PRODUCTION)).lint().strict().call());
    }

    /** Without an image the chart's own values do not pass: the schema asks for one, as at install. */
    @Test
    void theChartsOwnValuesLackOnlyTheImage() {
        LintResult result = new Helm(Chart.DIR).lint().strict().call();

        assertThat(result.isFailed()).isTrue();
        assertThat(String.join("\n", result.getMessages())).contains("image").contains("registry")
                .contains("repository");
    }

    /**
     * Helm's lint takes no values file here, so a copy of the chart gets the values merged into its own, as
     * {@code helm install -f} merges them.
     */
    private static Path withValues(Path dir, Path valuesFile) throws IOException {
        Path chart = Chart.copy(dir);
        ObjectNode values = (ObjectNode) YAML.readTree(Chart.DIR.resolve("values.yaml").toFile());
        merge(values, (ObjectNode) YAML.readTree(Chart.IMAGE.toFile()));
        merge(values, (ObjectNode) YAML.readTree(valuesFile.toFile()));
        YAML.writeValue(chart.resolve("values.yaml").toFile(), values);
        return chart;
    }

    /** Helm's merge of values files: mappings key by key, anything else (lists included) replaced. */
    private static void merge(ObjectNode into, ObjectNode from) {
        from.fields().forEachRemaining(field -> {
            JsonNode existing = into.get(field.getKey());
            if (existing instanceof ObjectNode existingObject && field.getValue() instanceof ObjectNode update) {
                merge(existingObject, update);
            } else {
                into.set(field.getKey(), field.getValue());
            }
        });
    }

    private static void assertClean(LintResult result) {
        assertThat(result.isFailed()).as("%s", result.getMessages()).isFalse();
        assertThat(result.getMessages()).noneMatch(message -> message.contains("[WARNING]")
                || message.contains("[ERROR]"));
    }
}
