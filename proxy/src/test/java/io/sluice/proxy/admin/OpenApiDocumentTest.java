package io.sluice.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.github.bucket4j.TimeMeter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.sluice.config.AdminToken;
import io.sluice.config.AdmissionConfig;
import io.sluice.config.AdmissionMode;
import io.sluice.config.BackendPoolConfig;
import io.sluice.config.BackendTls;
import io.sluice.config.Cidr;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.Counted;
import io.sluice.config.HealthCheckConfig;
import io.sluice.config.HostPort;
import io.sluice.config.LimitRule;
import io.sluice.config.ListenerConfig;
import io.sluice.config.ListenerRole;
import io.sluice.config.PolicyConfig;
import io.sluice.config.Rate;
import io.sluice.config.RuleKey;
import io.sluice.policy.cluster.LimitStore;
import io.sluice.policy.eval.LocalPolicyStore;
import io.sluice.policy.eval.PolicyEngine;
import io.sluice.proxy.inbound.Admissions;
import io.sluice.proxy.lifecycle.NodeState;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The OpenAPI document shipped in the jar describes the routes the API has, no more and no fewer. */
class OpenApiDocumentTest {

    private static final String READER = "reader-secret-0123456789";
    private static final String AS_READER = "Authorization: Bearer " + READER + "\r\n";
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

    /**
     * What explain and the admission endpoint answer is what their schemas say: every field they send is a documented
     * property, and every required property is sent; for a pool in each mode, and an inbound and an outbound listener.
     */
    @Test
    void theAdmissionAnswersAreTheFieldsTheirSchemasDocument() throws Exception {
        JsonNode schemas = document().get("components").get("schemas");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Map<String, BackendPoolConfig> backends = new LinkedHashMap<>();
        List<ListenerConfig> listeners = new ArrayList<>();
        for (AdmissionMode mode : AdmissionMode.values()) {
            String name = mode.name().toLowerCase(Locale.ROOT);
            backends.put(name, new BackendPoolConfig(name, List.of(new HostPort("127.0.0.1", 2525)), true,
                    BackendTls.NONE, Duration.ofSeconds(1), new HealthCheckConfig(Duration.ofSeconds(1), Duration.ofSeconds(1)),
                    ConnectionReuseConfig.DISABLED,
                    new AdmissionConfig(mode, 1, 1, 1, AdmissionConfig.DEFAULT_REPLY)));
            listeners.add(new ListenerConfig("mx-" + name, ListenerRole.INBOUND, new HostPort("127.0.0.1", 0), name,
                    Optional.empty(), Optional.empty()));
        }
        listeners.add(ListenerConfig.outbound("relay", new HostPort("127.0.0.1", 0), "normal",
                List.of(Cidr.parse("10.0.0.0/8"))));
        Set<String> listenerNames = new LinkedHashSet<>();
        listeners.forEach(listener -> listenerNames.add(listener.name()));
        PolicyEngine engine = engine(registry);
        AdminChannel admin = new AdminChannel(api(AdminHttpTest.services(new NodeState(), engine,
                new LocalPolicyStore(engine, registry), listenerNames, () -> "", () -> new ClusterStatus("local", List.of(), false, 0, List.of()),
                Admissions.of(backends, listeners, registry))), 4096);
        try {
            JsonNode pools = admin.exchange(AdminChannel.request("GET", "/api/v1/admission", AS_READER, "")).json()
                    .get("pools");
            assertThat(pools.size()).isEqualTo(3);
            pools.forEach(pool -> assertDocumented(schemas.get("Admission"), pool));
            for (String listener : listenerNames) {
                AdminChannel.Response explained = admin.exchange(AdminChannel.request("POST", "/api/v1/explain",
                        AS_READER, "{\"listener\": \"" + listener + "\", \"client-ip\": \"198.51.100.7\","
                                + " \"recipients\": [\"x@to.example\"]}"));
                assertThat(explained.status()).as(explained.body()).isEqualTo(200);
                assertDocumented(schemas.get("Explanation"), explained.json());
                JsonNode admission = explained.json().get("admission");
                if (listener.equals("relay")) {
                    assertThat(admission).as("an outbound listener has no pool").isNull();
                } else {
                    assertDocumented(schemas.get("ExplainedAdmission"), admission);
                }
            }
        } finally {
            admin.close();
        }
    }

    /** A rule with fair-share shows the request's standing in its network's share, as the schema says. */
    @Test
    void explainsAFairShareCheckAsItsSchemaDocuments() throws Exception {
        JsonNode check = document().get("components").get("schemas").get("Explanation").get("properties")
                .get("steps").get("items").get("properties").get("rules").get("items");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        LimitRule plain = LimitRule.of("friday", RuleKey.GLOBAL, Counted.MESSAGES,
                new Rate(500, Duration.ofSeconds(1)), 500);
        LimitRule fair = new LimitRule(plain.name(), plain.listeners(), plain.key(), plain.prefixes(), plain.counts(),
                plain.rate(), plain.burst(), plain.reply(), plain.exceeded(), plain.tarpit(), plain.shadow(),
                plain.match(), plain.except(), plain.sync(), Optional.of(RuleKey.CLIENT_NET));
        LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
        PolicyEngine engine = new PolicyEngine(new PolicyConfig(List.of(fair), List.of()), limits.limiter(),
                limits.leases(), registry);
        AdminChannel admin = new AdminChannel(api(AdminHttpTest.services(new NodeState(), engine,
                new LocalPolicyStore(engine, registry), Set.of("mx"), () -> "",
                () -> new ClusterStatus("local", List.of(), false, 0, List.of()))), 4096);
        try {
            AdminChannel.Response explained = admin.exchange(AdminChannel.request("POST", "/api/v1/explain",
                    AS_READER, "{\"listener\": \"mx\", \"client-ip\": \"198.51.100.7\","
                            + " \"recipients\": [\"x@to.example\"]}"));
            assertThat(explained.status()).as(explained.body()).isEqualTo(200);
            JsonNode rule = explained.json().get("steps").get(0).get("rules").get(0);
            assertDocumented(check, rule);
            assertDocumented(check.get("properties").get("fair-share"), rule.get("fair-share"));
            assertThat(rule.get("fair-share").get("key").asText()).isEqualTo("198.51.100.0/24");
            assertThat(rule.get("fair-share").get("allowance").isNull()).as("a network not capped").isTrue();
            assertThat(rule.get("fair-share").get("over-share").asBoolean()).isFalse();
        } finally {
            admin.close();
        }
    }

    private static void assertDocumented(JsonNode schema, JsonNode answer) {
        Set<String> properties = new LinkedHashSet<>();
        schema.get("properties").fieldNames().forEachRemaining(properties::add);
        Set<String> sent = new LinkedHashSet<>();
        answer.fieldNames().forEachRemaining(sent::add);
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(name -> required.add(name.asText()));
        assertThat(properties).as("documented properties of %s", answer).containsAll(sent);
        assertThat(sent).as("fields sent").containsAll(required);
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
        PolicyEngine engine = engine(registry);
        return api(AdminHttpTest.services(new NodeState(), engine, new LocalPolicyStore(engine, registry), Set.of(),
                () -> "", () -> new ClusterStatus("local", List.of(), false, 0, List.of())));
    }

    private static AdminApi api(AdminServices services) {
        return new AdminApi(new Authenticator(List.of(new AdminToken("reader", READER))), true, true, services);
    }

    private static PolicyEngine engine(SimpleMeterRegistry registry) {
        LimitStore limits = LimitStore.local(TimeMeter.SYSTEM_NANOTIME);
        return new PolicyEngine(PolicyConfig.EMPTY, limits.limiter(), limits.leases(), registry);
    }
}
