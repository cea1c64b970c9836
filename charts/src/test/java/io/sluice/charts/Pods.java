package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

/** What the tests read out of a rendered Deployment and the configuration its pods get. */
final class Pods {

    private static final YAMLMapper YAML = new YAMLMapper();

    private Pods() {
    }

    static PodSpec spec(Deployment deployment) {
        return deployment.getSpec().getTemplate().getSpec();
    }

    static Container sluice(Deployment deployment) {
        List<Container> containers = spec(deployment).getContainers();
        assertThat(containers).extracting(Container::getName).containsExactly("sluice");
        return containers.get(0);
    }

    static long preStopSeconds(Deployment deployment) {
        List<String> command = sluice(deployment).getLifecycle().getPreStop().getExec().getCommand();
        assertThat(command).hasSize(2).first().isEqualTo("sleep");
        return Long.parseLong(command.get(1));
    }

    static JsonNode yaml(String text) {
        try {
            return YAML.readTree(text);
        } catch (JsonProcessingException e) {
            throw new AssertionError("not YAML: " + text, e);
        }
    }

    /** A Sluice duration such as 5s or 2m. */
    static Duration duration(JsonNode node) {
        String text = node.asText();
        assertThat(text).matches("[0-9]+(s|m)");
        long amount = Long.parseLong(text.substring(0, text.length() - 1));
        return text.endsWith("m") ? Duration.ofMinutes(amount) : Duration.ofSeconds(amount);
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }
}
