package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dashboard narrows every panel by its namespace, tier, pool and pod variables. */
class DashboardVariablesTest {

    @Test
    void everyQueryFollowsTheVariables() throws IOException {
        JsonNode dashboard = new ObjectMapper().readTree(Chart.DIR.resolve("ops/dashboard.json").toFile());
        List<String> variables = new ArrayList<>();
        dashboard.at("/templating/list").forEach(variable -> variables.add(variable.path("name").asText()));
        List<String> queries = new ArrayList<>();
        dashboard.findValues("expr").forEach(expr -> queries.add(expr.asText()));

        assertThat(variables).containsExactly("datasource", "namespace", "component", "pool", "pod");
        assertThat(queries).isNotEmpty().allSatisfy(query -> assertThat(query)
                .contains("namespace=~\"$namespace\"", "component=~\"$component\"", "pool=~\"$pool\"",
                        "pod=~\"$pod\""));
    }
}
