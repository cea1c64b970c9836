package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@code backends.<pool>.admission}: its defaults, what it takes, and every mistake with its path and line. */
class AdmissionBindingTest {

    private static final String LISTENER = """
            listeners:
              - {name: mx, role: inbound, bind: "127.0.0.1:2525", backend-pool: mta}
            backends:
              mta:
                servers: ["127.0.0.1:2526"]
            """;

    @Test
    void leftOutItIsOff() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(LISTENER, "off.yaml");

        AdmissionConfig admission = config.backends().get("mta").admission();
        assertThat(admission).isEqualTo(AdmissionConfig.OFF);
        assertThat(admission.enabled()).isFalse();
        assertThat(admission.reply()).hasToString("451 4.3.2 Busy, try again later");
    }

    @Test
    void everyKeyIsTaken() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(LISTENER + """
                    admission:
                      mode: adaptive
                      min-inflight: 5
                      max-inflight: 300
                      initial-inflight: 50
                      reply: "421 4.3.2 Backends busy, closing"
                      probe-interval: 30m
                """, "adaptive.yaml");

        assertThat(config.backends().get("mta").admission()).isEqualTo(new AdmissionConfig(AdmissionMode.ADAPTIVE,
                5, 300, 50, new RuleReply(421, "4.3.2", "Backends busy, closing"), Duration.ofMinutes(30)));
    }

    @Test
    void theInitialLimitDefaultsWithinTheBoundsGiven() throws ConfigException {
        SluiceConfig config = ConfigLoader.parse(LISTENER + """
                    admission: {mode: shadow, max-inflight: 8}
                """, "shadow.yaml");

        AdmissionConfig admission = config.backends().get("mta").admission();
        assertThat(admission.mode()).isEqualTo(AdmissionMode.SHADOW);
        assertThat(admission.initialInflight()).isEqualTo(8);
    }

    @Test
    void mistakesAreReportedWithPathAndLine() {
        ConfigException e = errors(LISTENER + """
                    admission:
                      mode: on
                      min-inflight: 0
                      max-inflight: lots
                      reply: "550 5.7.1 Go away"
                      probe-interval: 500ms
                      queue: 10
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(7, "backends.mta.admission.mode", "\"on\" (expected: one of: off, shadow, adaptive)"),
                tuple(8, "backends.mta.admission.min-inflight", "\"0\" (expected: an integer >= 1)"),
                tuple(9, "backends.mta.admission.max-inflight", "\"lots\" (expected: an integer >= 1)"),
                tuple(10, "backends.mta.admission.reply", "\"550 5.7.1 Go away\" (expected: a 4xx reply, so that"
                        + " the client retries, such as 451 4.3.2 Busy, try again later)"),
                tuple(11, "backends.mta.admission.probe-interval", "\"500ms\" (expected: a duration of at least 1s)"),
                tuple(12, "backends.mta.admission.queue", "unknown key (expected one of: mode, min-inflight,"
                        + " max-inflight, initial-inflight, reply, probe-interval)"));
    }

    @Test
    void boundsOutOfOrderAreReported() {
        ConfigException e = errors(LISTENER + """
                    admission: {mode: adaptive, min-inflight: 10, max-inflight: 5}
                """);
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(6, "backends.mta.admission.max-inflight", "\"5\" (expected: an integer >= min-inflight, 10)"));

        e = errors(LISTENER + """
                    admission:
                      min-inflight: 10
                      initial-inflight: 500
                """);
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(8, "backends.mta.admission.initial-inflight",
                        "\"500\" (expected: an integer between min-inflight and max-inflight, 10-200)"));
    }

    private static ConfigException errors(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "bad.yaml"));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
