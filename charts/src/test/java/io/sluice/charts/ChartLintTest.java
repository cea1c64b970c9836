package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code helm lint --strict} on the chart with its own values, and with the production example's. */
class ChartLintTest {

    private static final ObjectMapper YAML = new YAMLMapper();

    @Test
    void lintsWithoutWarnings() {
        assertClean(new Helm(Chart.DIR).lint().strict().call());
    }

    /**
     * Helm's lint takes no values file here, so a copy of the chart gets the production values merged into its
     * own, as {@code helm install -f} merges them.
     */
    @Test
    void lintsWithTheProductionValuesWithoutWarnings(@TempDir Path dir) throws IOException {
        Path chart = dir.resolve("sluice");
        copy(Chart.DIR, chart);
        ObjectNode values = (ObjectNode) YAML.readTree(Chart.DIR.resolve("values.yaml").toFile());
        merge(values, (ObjectNode) YAML.readTree(Chart.PRODUCTION.toFile()));
        YAML.writeValue(chart.resolve("values.yaml").toFile(), values);

        assertClean(new Helm(chart).lint().strict().call());
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

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            files.forEach(file -> {
                try {
                    Files.copy(file, to.resolve(from.relativize(file).toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
