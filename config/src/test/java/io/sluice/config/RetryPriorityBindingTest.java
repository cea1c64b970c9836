package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code policy.retry-priority}: its defaults, what it takes, every mistake with its path and line, round trips. */
class RetryPriorityBindingTest {

    // Two lines: the policy's keys start on line 3.
    private static final String LISTENER = "listeners: [{name: mx, role: inbound, bind: \"127.0.0.1:2525\","
            + " backend-pool: mta}]\nbackends: {mta: {servers: [\"127.0.0.1:2526\"]}}\n";

    @Test
    void leftOutItIsOnWithTheDefaults() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(LISTENER, "default.yaml");

        RetryPriority retry = config.policy().retryPriority();
        assertThat(retry).isEqualTo(RetryPriority.DEFAULT);
        assertThat(retry.enabled()).isTrue();
        assertThat(retry.reservedShare()).isEqualTo(0.3);
        assertThat(retry.markTtl()).isEqualTo(Duration.ofHours(4));
        assertThat(retry.generation()).isEqualTo(Duration.ofMinutes(15));
    }

    @Test
    void everyKeyIsTaken() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(LISTENER + """
                policy:
                  retry-priority:
                    enabled: false
                    reserved-share: 0.25
                    mark-ttl: 2h
                    generations: 8
                    capacity: 50000
                    false-positive-rate: 0.001
                    tiers: 2
                """, "retry.yaml");

        assertThat(config.policy().retryPriority()).isEqualTo(
                new RetryPriority(false, 0.25, Duration.ofHours(2), 8, 50_000, 0.001, 2));
    }

    @Test
    void mistakesAreReportedWithFilePathAndLine() {
        ConfigException e = errors(LISTENER + """
                policy:
                  retry-priority:
                    enabled: maybe
                    reserved-share: 1.5
                    generations: 1
                    capacity: 10
                    false-positive-rate: 0
                    tiers: 0
                    budget: 3
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(5, "policy.retry-priority.enabled", "\"maybe\" (expected: true or false)"),
                tuple(6, "policy.retry-priority.reserved-share", "\"1.5\" (expected: a decimal from 0 to 0.9, such as"
                        + " 0.3)"),
                tuple(7, "policy.retry-priority.generations", "\"1\" (expected: an integer 2-64)"),
                tuple(8, "policy.retry-priority.capacity", "\"10\" (expected: an integer 1000-100000000)"),
                tuple(9, "policy.retry-priority.false-positive-rate", "\"0\" (expected: a decimal above 0 and below"
                        + " 0.5, such as 0.01)"),
                tuple(10, "policy.retry-priority.tiers", "\"0\" (expected: an integer 1-64)"),
                tuple(11, "policy.retry-priority.budget", "unknown key (expected one of: enabled, reserved-share,"
                        + " mark-ttl, generations, capacity, false-positive-rate, tiers)"));
        assertThat(e.getMessage()).contains("bad.yaml");
    }

    @Test
    void aGenerationShorterThanASecondIsReportedAtTheTtl() {
        ConfigException e = errors(LISTENER + """
                policy:
                  retry-priority: {mark-ttl: 10s, generations: 16}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(4, "policy.retry-priority.mark-ttl",
                        "\"10s\" (expected: a duration of at least one second per generation (16s))"));
    }

    @Test
    void moreTiersThanGenerationsAreReported() {
        ConfigException e = errors(LISTENER + """
                policy:
                  retry-priority: {generations: 4, tiers: 5}
                """);

        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.path()).isEqualTo("policy.retry-priority");
            assertThat(error.message()).contains("tiers: 5 (expected: 1-4, the generations)");
        });
    }

    @Test
    void aPolicyDocumentReadsBackWithItsRetryPriority() throws ConfigException {
        PolicyConfig policy = new PolicyConfig(java.util.List.of(), java.util.List.of(),
                new RetryPriority(true, 0.4, Duration.ofMinutes(90), 6, 20_000, 0.02, 4));

        PolicyConfig back = ConfigLoader.parsePolicy(PolicyDocument.json(policy), "doc", java.util.Set.of("mx"));

        assertThat(back).isEqualTo(policy);
        assertThat(PolicyDocument.json(PolicyConfig.EMPTY)).doesNotContain("retry-priority");
    }

    private static ConfigException errors(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "bad.yaml"));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
