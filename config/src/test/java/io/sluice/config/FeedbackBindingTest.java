package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import io.sluice.config.FeedbackRule.FeedbackAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FeedbackBindingTest {

    // An outbound listener and its pool, the first six lines: the feedback rules follow from line 7 on.
    private static final String ONE_POOL = EgressBindingTest.ONE_POOL;

    @Test
    void leftOutTheShippedExamplesHoldAndAnEmptyListTurnsThemOff() throws Exception {
        assertThat(ConfigLoader.parse(ONE_POOL, "absent.yaml").egress().feedback())
                .isSameAs(FeedbackRule.DEFAULTS).hasSize(7);
        assertThat(ConfigLoader.parse(ONE_POOL + "  feedback: []\n", "off.yaml").egress().feedback()).isEmpty();
    }

    @Test
    void theExampleFileDocumentsTheDefaultsAsTheyAre() throws Exception {
        // The commented block of the example, uncommented, binds to the very rules shipped.
        String example = Files.readString(Path.of("examples", "outbound.yaml"));
        String block = example.lines().dropWhile(line -> !line.equals("  # feedback:"))
                .takeWhile(line -> line.startsWith("  #"))
                .map(line -> "  " + line.substring(4))
                .collect(Collectors.joining("\n", "", "\n"));
        List<FeedbackRule> bound = ConfigLoader.parse(ONE_POOL + block, "example.yaml").egress().feedback();

        assertThat(bound).extracting(FeedbackBindingTest::described)
                .containsExactlyElementsOf(FeedbackRule.DEFAULTS.stream().map(FeedbackBindingTest::described).toList());
    }

    @Test
    void rulesBindAndMatch() throws Exception {
        List<FeedbackRule> rules = ConfigLoader.parse(ONE_POOL + """
                  feedback:
                    - {name: tss04, code: 421, text: '\\[TSS04\\]', action: suspend-source, duration: 15m}
                    - {name: rate, enhanced-code: 4.7.28, action: scale, factor: 0.25, duration: 1h}
                    - {name: pool, code: 554, action: suspend-pool, duration: 2m}
                """, "feedback.yaml").egress().feedback();

        assertThat(rules).extracting(FeedbackRule::name, FeedbackRule::code, FeedbackRule::enhancedCode,
                FeedbackRule::action, FeedbackRule::factor, FeedbackRule::duration).containsExactly(
                tuple("tss04", OptionalInt.of(421), null, FeedbackAction.SUSPEND_SOURCE, 1.0, Duration.ofMinutes(15)),
                tuple("rate", OptionalInt.empty(), "4.7.28", FeedbackAction.SCALE, 0.25, Duration.ofHours(1)),
                tuple("pool", OptionalInt.of(554), null, FeedbackAction.SUSPEND_POOL, 1.0, Duration.ofMinutes(2)));
        String tss04 = "[TSS04] Messages from 192.0.2.1 temporarily deferred";
        assertThat(rules.get(0).matches(421, "4.7.0", tss04)).isTrue();
        assertThat(rules.get(0).matches(451, "4.7.0", tss04)).isFalse();
        assertThat(rules.get(0).matches(421, "4.7.0", "TSS04 without brackets")).isFalse();
        assertThat(rules.get(1).matches(421, "4.7.28", "anything")).isTrue();
        assertThat(rules.get(1).matches(421, null, "4.7.28 in the text is not the enhanced code")).isFalse();
    }

    @Test
    void mistakesAreReportedWithPathAndLine() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(ONE_POOL + """
                  feedback:
                    - {name: none, action: suspend-source, duration: 1m}
                    - {name: bad, code: 250, enhanced-code: 4.7, text: '[TSS04', action: pause, duration: 0s}
                    - {name: scale, code: 421, enhanced-code: 5.7.1, action: scale, duration: 1m}
                    - {name: scale, code: 421, action: suspend-pool, factor: 0.5, duration: 1m, when: now}
                """, "feedback.yaml"));

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(8, "egress.feedback[0]", "a mapping (expected: a rule with at least one of code, enhanced-code"
                        + " and text)"),
                tuple(9, "egress.feedback[1].code", "\"250\" (expected: an integer 400-599)"),
                tuple(9, "egress.feedback[1].enhanced-code", "\"4.7\" (expected: an enhanced status code such as"
                        + " 4.7.28 (RFC 3463), of class 4 or 5)"),
                tuple(9, "egress.feedback[1].text", "\"[TSS04\" (expected: a regular expression (java.util.regex)"
                        + " such as \\[TSS04\\]; Unclosed character class at index 5)"),
                tuple(9, "egress.feedback[1].action", "\"pause\" (expected: one of: suspend-source, suspend-pool,"
                        + " scale)"),
                tuple(9, "egress.feedback[1].duration", "\"0s\" (expected: " + Units.DURATION_EXPECTED + ")"),
                tuple(10, "egress.feedback[2].factor", "missing (expected: a factor above 0 and below 1, such as 0.5,"
                        + " for action scale)"),
                tuple(10, "egress.feedback[2].enhanced-code", "\"5.7.1\" (expected: an enhanced code of the same"
                        + " class as code 421)"),
                tuple(11, "egress.feedback[3].when", "unknown key (expected one of: name, code, enhanced-code, text,"
                        + " action, factor, duration)"),
                tuple(11, "egress.feedback[3].factor", "\"0.5\" (expected: no factor: it belongs to action scale"
                        + " only)"),
                tuple(11, "egress.feedback[3].name", "\"scale\" (expected: a name no other feedback rule has;"
                        + " egress.feedback[2].name is also \"scale\")"));
    }

    @Test
    void aFactorIsADecimalNotAJavaLiteral() {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(ONE_POOL + """
                  feedback:
                    - {name: suffixed, code: 421, action: scale, factor: 0.5d, duration: 1m}
                    - {name: hexadecimal, code: 421, action: scale, factor: 0x1p-1, duration: 1m}
                    - {name: whole, code: 421, action: scale, factor: 1, duration: 1m}
                """, "feedback.yaml"));

        String expected = " (expected: a number above 0 and below 1, such as 0.5)";
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).contains(
                tuple(8, "egress.feedback[0].factor", "\"0.5d\"" + expected),
                tuple(9, "egress.feedback[1].factor", "\"0x1p-1\"" + expected),
                tuple(10, "egress.feedback[2].factor", "\"1\"" + expected));
    }

    private static String described(FeedbackRule rule) {
        return rule.name() + " " + rule.code() + " " + rule.enhancedCode() + " " + rule.text() + " " + rule.action()
                + " " + rule.factor() + " " + rule.duration();
    }
}
