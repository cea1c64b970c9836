package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every alert links to its own section of the runbooks, and every alert is exercised by a promtool unit test. */
class AlertRunbooksTest {

    private static final Path OPS = Chart.DIR.resolve("ops");
    private static final Path RUNBOOKS = Path.of("..", "docs", "runbooks.md");
    private static final String BASE = "https://sluice.invalid/docs/runbooks.md#";

    private static Map<String, JsonNode> alerts() throws IOException {
        Map<String, JsonNode> alerts = new TreeMap<>();
        for (JsonNode group : Pods.yaml(Files.readString(OPS.resolve("alerts.yaml"))).path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                if (rule.has("alert")) {
                    alerts.put(rule.path("alert").asText(), rule);
                }
            }
        }
        return alerts;
    }

    @Test
    void everyAlertLinksToItsRunbookSection() throws IOException {
        // GitHub's anchors: the heading in lower case.
        Set<String> anchors = new TreeSet<>();
        Matcher heading = Pattern.compile("(?m)^## (\\S+)$").matcher(Files.readString(RUNBOOKS));
        while (heading.find()) {
            anchors.add(heading.group(1).toLowerCase(Locale.ROOT));
        }
        Map<String, JsonNode> alerts = alerts();

        assertThat(alerts).containsKeys("SluiceClusterSplit", "SluiceTargetDown", "SluiceMetricsAbsent",
                "SluiceBackendsAllDown", "SluiceCertificateExpiring", "SluiceCertificateReloadFailed");
        alerts.forEach((name, rule) -> {
            assertThat(rule.path("annotations").path("runbook_url").asText()).as(name)
                    .isEqualTo(BASE + name.toLowerCase(Locale.ROOT));
            assertThat(anchors).as("a section for %s in docs/runbooks.md", name).contains(name.toLowerCase(Locale.ROOT));
        });
        // No section for an alert that is gone.
        Set<String> names = new TreeSet<>();
        alerts.keySet().forEach(name -> names.add(name.toLowerCase(Locale.ROOT)));
        assertThat(names).containsExactlyInAnyOrderElementsOf(anchors);
    }

    @Test
    void everyAlertFiresInAUnitTest() throws IOException {
        Set<String> firing = new TreeSet<>();
        for (String file : new String[] {"alerts_test.yaml", "alerts_weekly_test.yaml"}) {
            for (JsonNode test : Pods.yaml(Files.readString(OPS.resolve(file))).path("tests")) {
                for (JsonNode expectation : test.path("alert_rule_test")) {
                    if (!expectation.path("exp_alerts").isEmpty()) {
                        firing.add(expectation.path("alertname").asText());
                    }
                }
            }
        }

        assertThat(firing).containsAll(alerts().keySet());
    }
}
