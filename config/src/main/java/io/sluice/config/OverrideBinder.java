package io.sluice.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;

/**
 * Reads an override request: {@code rule}, {@code match}, {@code factor}, {@code until} (a time with its offset) or
 * {@code for} (a duration from now), and {@code reason}. The rule must be one of the policy's, and the match may
 * only use facts the rule is charged after (a condition never known at its stage would never hold).
 */
final class OverrideBinder {

    /** Longer than this is no longer an override but a change of the policy. */
    static final Duration MAX_LIFETIME = Duration.ofDays(30);

    private static final String FACTOR_EXPECTED = "a decimal above 0 and at most 1000, such as 3 or 0.5";
    private static final Conversion<Double> FACTOR =
            Conversion.factor(BigDecimal.valueOf(OverrideSpec.MAX_FACTOR), true, FACTOR_EXPECTED);
    private static final String UNTIL_EXPECTED = "a time with its offset, such as 2026-11-22T20:00:00+01:00";
    private static final Conversion<Instant> UNTIL = new Conversion<>(UNTIL_EXPECTED, text -> {
        try {
            return OffsetDateTime.parse(text).toInstant();
        } catch (DateTimeParseException e) {
            throw Conversion.invalid(text, UNTIL_EXPECTED);
        }
    });
    private static final Conversion<String> RULE = Conversion.text("the name of a rule of the policy");
    private static final Conversion<String> REASON = Conversion.text("a line of text");
    private static final int MAX_REASON = 200;

    private final Problems problems;
    private final PolicyConfig policy;
    private final Instant now;

    OverrideBinder(Problems problems, PolicyConfig policy, Instant now) {
        this.problems = problems;
        this.policy = policy;
        this.now = now;
    }

    /** Returns the override, or null when a problem was found. */
    OverrideSpec bind(Value value) {
        Section section = value.section();
        Value ruleValue = section.get("rule");
        Value matchValue = section.get("match");
        Value factorValue = section.get("factor");
        Value untilValue = section.get("until");
        Value forValue = section.get("for");
        Value reasonValue = section.get("reason");
        section.rejectUnknownKeys();

        String rule = ruleValue.required(RULE);
        Optional<RuleKey.Stage> stage = rule == null ? Optional.empty() : stageOf(rule);
        if (rule != null && stage.isEmpty()) {
            ruleValue.invalid("the name of a rule of the policy in force: " + String.join(", ", policy.ruleNames()));
        }
        PolicyBinder.Conditions match = new PolicyBinder(problems, List.of()).conditions(matchValue);
        stage.ifPresent(latest -> PolicyBinder.requireKnownBy(latest, "rule " + rule, null, null, match,
                PolicyBinder.Conditions.NONE));
        Double factor = factorValue.required(FACTOR);
        Instant expires = expires(untilValue, forValue);
        String reason = reasonValue.optional(REASON, "");
        if (reason != null && reason.length() > MAX_REASON) {
            reasonValue.invalid("at most " + MAX_REASON + " characters");
        }
        return problems.construct(value.path(), value.line(),
                () -> new OverrideSpec(rule, match.match(), factor, expires, reason));
    }

    private Instant expires(Value untilValue, Value forValue) {
        if (untilValue.isPresent() == forValue.isPresent()) {
            (untilValue.isPresent() ? forValue : untilValue)
                    .invalid("exactly one of until (a time) and for (a duration)");
            return null;
        }
        Value given = untilValue.isPresent() ? untilValue : forValue;
        Instant expires = untilValue.isPresent() ? untilValue.required(UNTIL)
                : Optional.ofNullable(forValue.required(Conversion.DURATION)).map(now::plus).orElse(null);
        if (expires != null && !expires.isAfter(now)) {
            given.invalid("a time in the future (now is " + now + ")");
        } else if (expires != null && expires.isAfter(now.plus(MAX_LIFETIME))) {
            given.invalid("at most " + MAX_LIFETIME.toDays() + " days from now; change the policy for longer");
        }
        return expires;
    }

    private Optional<RuleKey.Stage> stageOf(String rule) {
        for (LimitRule limit : policy.limits()) {
            if (limit.name().equals(rule)) {
                return Optional.of(limit.stage());
            }
        }
        for (ConcurrencyRule concurrency : policy.concurrency()) {
            if (concurrency.name().equals(rule)) {
                return Optional.of(RuleKey.Stage.CONNECT);
            }
        }
        return Optional.empty();
    }
}
