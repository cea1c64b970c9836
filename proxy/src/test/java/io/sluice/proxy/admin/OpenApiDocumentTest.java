package io.sluice.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.PolicyConfig;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.LocalPolicyStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.lifecycle.NodeState;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The OpenAPI document shipped in the jar describes the routes the API has, no more and no fewer. */
class OpenApiDocumentTest {

    private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "options", "head",
            "patch", "trace");

    @Test
    void everyRouteIsDocumentedWithItsMethodsAndNothingElseIs() throws Exception {
        JsonNode document = document();
        Map<String, Set<String>> documented = new LinkedHashMap<>();
        document.get("paths").fields().forEachRemaining(path -> {
            Set<String> methods = new LinkedHashSet<>();
            // A path item's other fields (parameters shared by its methods, summary) are not methods.
            path.getValue().fieldNames().forEachRemaining(field -> {
                if (HTTP_METHODS.contains(field)) {
                    methods.add(field.toUpperCase(Locale.ROOT));
                }
            });
            documented.put(path.getKey(), methods);
        });

        Map<String, Set<String>> routes = new LinkedHashMap<>();
        api().routes().forEach((path, methods) -> routes.put(path, methods.keySet()));
        assertThat(documented).isEqualTo(routes);
        assertThat(document.get("openapi").asText()).startsWith("3.");
    }

    @Test
    void everyOperationNamesTheScopeItNeedsAndMayAnswer403() throws Exception {
        JsonNode paths = document().get("paths");
        Map<String, Map<String, String>> documented = new LinkedHashMap<>();
        Map<String, Map<String, String>> routed = new LinkedHashMap<>();
        api().routes().forEach((path, methods) -> methods.forEach((method, scope) -> {
            JsonNode operation = paths.get(path).get(method.toLowerCase(Locale.ROOT));
            documented.computeIfAbsent(path, ignored -> new LinkedHashMap<>())
                    .put(method, operation.path("x-required-scope").asText("(none)"));
            routed.computeIfAbsent(path, ignored -> new LinkedHashMap<>()).put(method, scope.yamlName());
            assertThat(operation.get("responses").has("403")).as("%s %s answers 403", method, path).isTrue();
        }));

        assertThat(documented).isEqualTo(routed);
        assertThat(routed.get("/api/v1/cluster/drain")).containsEntry("POST", "drain");
    }

    @Test
    void everyReferenceResolves() throws Exception {
        JsonNode document = document();
        List<String> references = new ArrayList<>();
        collect(document, references);

        assertThat(references).isNotEmpty().allSatisfy(reference -> {
            assertThat(reference).startsWith("#/");
            assertThat(document.at(reference.substring(1)).isMissingNode()).as(reference).isFalse();
        });
    }

    private static void collect(JsonNode node, List<String> references) {
        if (node.has("$ref")) {
            references.add(node.get("$ref").asText());
        }
        node.forEach(child -> collect(child, references));
    }

    private static JsonNode document() throws Exception {
        try (InputStream in = AdminApi.class.getResourceAsStream("/openapi.yaml")) {
            assertThat(in).as("openapi.yaml on the class path").isNotNull();
            return new ObjectMapper(new YAMLFactory()).readTree(in);
        }
    }

    private static AdminApi api() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
        PolicyEngine engine = new PolicyEngine(PolicyConfig.EMPTY, limits.limiter(), limits.leases(), registry);
        return new AdminApi(new Authenticator(List.of()), true, true, AdminHttpTest.services(new NodeState(), engine,
                new LocalPolicyStore(engine, registry), Set.of(), () -> "",
                () -> new ClusterStatus("local", List.of(), false, 0, List.of())));
    }
}
