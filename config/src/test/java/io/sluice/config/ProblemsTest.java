package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import org.junit.jupiter.api.Test;

class ProblemsTest {

    @Test
    void aRecordsOwnCheckBecomesAProblemAtTheGivenPath() {
        Problems problems = new Problems("p.yaml");

        NetPrefixes prefixes = problems.construct("policy.limits[0].prefixes", 7, () -> new NetPrefixes(33, 64));
        NetPrefixes later = problems.construct("policy.limits[1].prefixes", 9, () -> new NetPrefixes(24, 64));

        assertThat(prefixes).isNull();
        // After one problem nothing more is built: what it needs may be missing.
        assertThat(later).isNull();
        ConfigException e = catchThrowableOfType(ConfigException.class, problems::throwIfAny);
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(7, "policy.limits[0].prefixes", "ipv4: 33 (expected: 0-32)"));
    }

    @Test
    void buildsTheRecordWhileThereIsNoProblem() throws ConfigException {
        Problems problems = new Problems("p.yaml");

        assertThat(problems.construct("x", 1, () -> NetPrefixes.DEFAULT)).isSameAs(NetPrefixes.DEFAULT);
        problems.throwIfAny();
    }
}
