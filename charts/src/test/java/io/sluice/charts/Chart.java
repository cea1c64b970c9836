package io.sluice.charts;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The chart as Helm renders it, parsed into the Kubernetes object model strictly: a field the model does not know
 * fails the test, as the API server would refuse it.
 */
final class Chart {

    static final Path DIR = Path.of("sluice").toAbsolutePath();
    static final Path PRODUCTION = DIR.resolve("examples/production.yaml");
    /** The image every install must name, since the chart has none to default to. */
    static final Path IMAGE = Path.of("src/test/resources/image.yaml").toAbsolutePath();
    static final String RELEASE = "mx";
    static final String NAMESPACE = "mail";
    /** The oldest Kubernetes the chart supports (Chart.yaml's kubeVersion). */
    static final String KUBE_VERSION = "v1.25.0";
    static final String OPERATOR_API = "monitoring.coreos.com/v1";

    private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.ofEntries(
            Map.entry("Pod", Pod.class),
            Map.entry("ServiceAccount", ServiceAccount.class),
            Map.entry("Deployment", Deployment.class),
            Map.entry("Service", Service.class),
            Map.entry("ConfigMap", ConfigMap.class),
            Map.entry("Secret", Secret.class),
            Map.entry("PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("NetworkPolicy", NetworkPolicy.class),
            Map.entry("ServiceMonitor", ServiceMonitor.class),
            Map.entry("PrometheusRule", PrometheusRule.class));
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    private final List<HasMetadata> objects;

    private Chart(List<HasMetadata> objects) {
        this.objects = objects;
    }

    /** Renders with the chart's own values, then the values file if any, then each key=value set. */
    static Chart render(Path valuesFile, Map<String, Object> sets) {
        return new Chart(parse(template(valuesFile, sets)));
    }

    static Chart defaults() {
        return render(null, Map.of());
    }

    /** The production example where the Prometheus Operator serves its API, as where it is meant to run. */
    static Chart production() {
        return render(PRODUCTION, Map.of("extraApiVersions[0]", OPERATOR_API));
    }

    /**
     * Helm's output as text, for an install that names its image; throws with Helm's message when the values or
     * templates are wrong.
     */
    static String template(Path valuesFile, Map<String, Object> sets) {
        return template(DIR, KUBE_VERSION, IMAGE, valuesFile, sets);
    }

    /**
     * Helm's output for the chart in {@code chart} on that Kubernetes version, with each values file given (null:
     * none) and then the sets.
     */
    static String template(Path chart, String kubeVersion, Path imageFile, Path valuesFile, Map<String, Object> sets) {
        TemplateCommand command = new Helm(chart).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withKubeVersion(kubeVersion);
        if (imageFile != null) {
            command = command.withValuesFile(imageFile);
        }
        if (valuesFile != null) {
            command = command.withValuesFile(valuesFile);
        }
        for (Map.Entry<String, Object> set : sets.entrySet()) {
            command = command.set(set.getKey(), set.getValue());
        }
        return command.call();
    }

    static List<HasMetadata> parse(String manifests) {
        List<HasMetadata> parsed = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(manifests)) {
            for (JsonNode document : YAML.readValues(parser, JsonNode.class).readAll()) {
                if (document == null || document.isNull() || document.isEmpty()) {
                    continue;
                }
                String kind = document.path("kind").asText();
                Class<? extends HasMetadata> type = KINDS.get(kind);
                if (type == null) {
                    throw new AssertionError("a kind the tests do not know: " + kind);
                }
                HasMetadata object = STRICT.treeToValue(document, type);
                assertNoUnknownFields(object, kind + " " + object.getMetadata().getName());
                parsed.add(object);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return parsed;
    }

    /**
     * The model keeps fields it does not know in {@code additionalProperties} instead of failing on them: any there,
     * at any depth, is a field the API server would refuse or drop.
     */
    private static void assertNoUnknownFields(Object root, String where) {
        walk(root, where, java.util.Collections.newSetFromMap(new IdentityHashMap<>()));
    }

    private static void walk(Object value, String path, Set<Object> seen) {
        if (value == null || !seen.add(value)) {
            return;
        }
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                walk(item, path + "[" + i++ + "]", seen);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> walk(item, path + "." + key, seen));
            return;
        }
        if (!value.getClass().getName().startsWith("io.fabric8.")) {
            return;
        }
        for (Method getter : value.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || !getter.getName().startsWith("get")
                    || getter.getDeclaringClass() == Object.class) {
                continue;
            }
            Object child;
            try {
                child = getter.invoke(value);
            } catch (IllegalAccessException | InvocationTargetException e) {
                throw new AssertionError(path + ": " + e, e);
            }
            if (getter.getName().equals("getAdditionalProperties")) {
                if (child instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    throw new AssertionError(path + ": fields unknown to the Kubernetes model: " + extra.keySet());
                }
                continue;
            }
            walk(child, path + "." + getter.getName().substring(3), seen);
        }
    }

    /** A copy of the chart in {@code dir}, to change a file of it before rendering or linting. */
    static Path copy(Path dir) {
        Path chart = dir.resolve("sluice");
        try (Stream<Path> files = Files.walk(DIR)) {
            Files.createDirectories(dir);
            files.forEach(file -> {
                try {
                    Files.copy(file, chart.resolve(DIR.relativize(file).toString()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return chart;
    }

    List<HasMetadata> objects() {
        return objects;
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
        return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name + " in "
                        + objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList()));
    }

    /** The configuration file a workload's pods read. */
    String config(String workload) {
        return get(ConfigMap.class, workload).getData().get("sluice.yaml");
    }
}
