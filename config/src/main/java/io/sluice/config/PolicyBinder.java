package io.sluice.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Maps a policy (the {@code policy} section of a config file, or a policy document of its own) onto
 * {@link PolicyConfig}: the rules' defaults, and the checks between a rule's keys, each reported at the key that has
 * to change rather than left to the records' constructors.
 */
final class PolicyBinder {

    private static final Conversion<Integer> POSITIVE = Conversion.integerAtLeast(1, "");
    private static final Conversion<Long> POSITIVE_LONG = Conversion.longAtLeast(1);
    private static final Conversion<Integer> IPV4_PREFIX = Conversion.integerBetween(0, 32);
    private static final Conversion<Integer> IPV6_PREFIX = Conversion.integerBetween(0, 128);
    private static final Conversion<String> LISTENER = Conversion.text("the name of a listener");
    private static final Conversion<RuleKey> KEY =
            Conversion.oneOf(Arrays.stream(RuleKey.values()).filter(RuleKey::countsRates).toList());
    private static final Conversion<RuleKey> CONCURRENCY_KEY = Conversion.oneOf(Arrays.stream(RuleKey.values())
            .filter(key -> key.knownFrom() == RuleKey.Stage.CONNECT || key.countsConnections()).toList());
    private static final Conversion<RuleKey> FAIR_SHARE = Conversion.oneOf(List.of(RuleKey.CLIENT_NET));
    private static final Conversion<Counted> COUNTED = Conversion.oneOf(Counted.class);
    private static final Conversion<LimitRule.Exceeded> EXCEEDED = Conversion.oneOf(LimitRule.Exceeded.class);
    private static final Conversion<BucketSync.Mode> SYNC_MODE = Conversion.oneOf(BucketSync.Mode.class);
    private static final Conversion<BucketSync.Mode> SYNC = new Conversion<>(SYNC_MODE.expected()
            + ", or a mapping of mode, max-unsynced-tokens and max-unsynced-time", SYNC_MODE.parse());

    // Each condition is on the fact a key of the same name stands for, and is known from the same stage.
    private static final List<RuleKey> CONDITIONS = List.of(RuleKey.CLIENT_NET, RuleKey.HELO, RuleKey.SENDER_DOMAIN,
            RuleKey.RECIPIENT_DOMAIN, RuleKey.DESTINATION_DOMAIN);
    private static final String CIDRS_EXPECTED = "a list of at least one CIDR such as 10.0.0.0/8";
    private static final String DOMAINS_EXPECTED =
            "a list of at least one domain such as example.com, or .example.com for any subdomain of it";

    private static final Conversion<Double> SHARE = decimal(0, true, RetryPriority.MAX_SHARE, true,
            "a decimal from 0 to " + RetryPriority.MAX_SHARE + ", such as 0.3");
    private static final Conversion<Double> FALSE_POSITIVE_RATE = decimal(0, false, 0.5, false,
            "a decimal above 0 and below 0.5, such as 0.01");
    private static final Conversion<Integer> GENERATIONS = Conversion.integerBetween(2, RetryPriority.MAX_GENERATIONS);
    private static final Conversion<Integer> TIERS = Conversion.integerBetween(1, RetryPriority.MAX_GENERATIONS);
    private static final Conversion<Long> CAPACITY =
            Conversion.longBetween(RetryPriority.MIN_CAPACITY, RetryPriority.MAX_CAPACITY);

    private static final long DEFAULT_MAX_UNSYNCED_TOKENS = 10;
    private static final Duration DEFAULT_MAX_UNSYNCED_TIME = Duration.ofMillis(100);

    private final Problems problems;
    private final Set<String> listenerNames;
    private final Map<String, Value> ruleNames = new LinkedHashMap<>();

    /** @param listenerNames the listeners rules may name, in the order to list them in errors */
    PolicyBinder(Problems problems, Collection<String> listenerNames) {
        this.problems = problems;
        this.listenerNames = new LinkedHashSet<>(listenerNames);
    }

    /** Returns the policy, or null when a problem was found; an absent section is the empty policy. */
    PolicyConfig bind(Value value) {
        Section section = value.section();
        Value limitsValue = section.get("limits");
        Value concurrencyValue = section.get("concurrency");
        Value retryValue = section.get("retry-priority");
        section.rejectUnknownKeys();

        List<LimitRule> limits = new ArrayList<>();
        for (Value item : limitsValue.optionalList("a list of limit rules")) {
            limits.add(limit(item));
        }
        List<ConcurrencyRule> concurrency = new ArrayList<>();
        for (Value item : concurrencyValue.optionalList("a list of concurrency rules")) {
            concurrency.add(concurrency(item));
        }
        RetryPriority retry = retryValue.isPresent() ? retryPriority(retryValue) : RetryPriority.DEFAULT;
        return problems.construct(value.path(), value.line(), () -> new PolicyConfig(limits, concurrency, retry));
    }

    private RetryPriority retryPriority(Value value) {
        Section section = value.section();
        RetryPriority defaults = RetryPriority.DEFAULT;
        Boolean enabled = section.get("enabled").optional(Conversion.BOOLEAN, defaults.enabled());
        Double share = section.get("reserved-share").optional(SHARE, defaults.reservedShare());
        Value ttlValue = section.get("mark-ttl");
        Duration ttl = ttlValue.optional(Conversion.DURATION, defaults.markTtl());
        Integer generations = section.get("generations").optional(GENERATIONS, defaults.generations());
        Long capacity = section.get("capacity").optional(CAPACITY, defaults.capacity());
        Double rate = section.get("false-positive-rate").optional(FALSE_POSITIVE_RATE, defaults.falsePositiveRate());
        Integer tiers = section.get("tiers").optional(TIERS, defaults.tiers());
        section.rejectUnknownKeys();
        if (ttl != null && generations != null
                && ttl.dividedBy(generations).compareTo(RetryPriority.MIN_GENERATION) < 0) {
            ttlValue.invalid("a duration of at least one second per generation (" + generations + "s)");
            return null;
        }
        return problems.construct(value.path(), value.line(),
                () -> new RetryPriority(enabled, share, ttl, generations, capacity, rate, tiers));
    }

    /** A decimal from {@code min} to {@code max}; {@code inclusiveMin} says whether {@code min} itself is. */
    private static Conversion<Double> decimal(double min, boolean inclusiveMin, double max, boolean inclusiveMax,
                                              String expected) {
        return new Conversion<>(expected, text -> {
            BigDecimal number;
            try {
                number = new BigDecimal(text);
            } catch (NumberFormatException e) {
                throw Conversion.invalid(text, expected);
            }
            double value = number.doubleValue();
            boolean aboveMin = inclusiveMin ? value >= min : value > min;
            boolean belowMax = inclusiveMax ? value <= max : value < max;
            if (!aboveMin || !belowMax) {
                throw Conversion.invalid(text, expected);
            }
            return value;
        });
    }

    private LimitRule limit(Value value) {
        Section section = value.section();
        Value nameValue = section.get("name");
        Value listenersValue = section.get("listeners");
        Value keyValue = section.get("key");
        Value prefixesValue = section.get("prefixes");
        Value countsValue = section.get("counts");
        Value rateValue = section.get("rate");
        Value burstValue = section.get("burst");
        Value replyValue = section.get("reply");
        Value exceededValue = section.get("exceeded");
        Value tarpitValue = section.get("tarpit");
        Value shadowValue = section.get("shadow");
        Value matchValue = section.get("match");
        Value exceptValue = section.get("except");
        Value syncValue = section.get("sync");
        Value fairShareValue = section.get("fair-share");
        section.rejectUnknownKeys();

        String name = name(nameValue);
        Set<String> listeners = listeners(listenersValue);
        RuleKey key = keyValue.required(KEY);
        RuleKey fairShare = fairShareValue.optional(FAIR_SHARE, null);
        if (fairShare != null && key != null && key != RuleKey.GLOBAL) {
            // A rule keyed otherwise has a bucket per key already: there is no one budget to share.
            fairShareValue.invalid("no fair-share unless key is global, whose one bucket it shares across client"
                    + " networks");
        }
        // Fair shares are per client network, of the sizes prefixes give.
        NetPrefixes prefixes = prefixes(prefixesValue, fairShare != null ? fairShare : key);
        Counted counts = countsValue.required(COUNTED);
        Rate rate = rateValue.required(Conversion.RATE);
        // A full bucket lets one period's worth through at once, and no more.
        Long burst = burstValue.isPresent() ? burstValue.required(POSITIVE_LONG) : rate == null ? null : rate.tokens();
        RuleReply reply = replyValue.optional(Conversion.REPLY, null);
        LimitRule.Exceeded exceeded = exceededValue.optional(EXCEEDED, LimitRule.Exceeded.REFUSE);
        Duration tarpit = tarpitValue.optional(Conversion.DURATION_OR_ZERO, Duration.ZERO);
        Boolean shadow = shadowValue.optional(Conversion.BOOLEAN, false);
        Conditions match = conditions(matchValue);
        Conditions except = conditions(exceptValue);
        BucketSync sync = sync(syncValue);

        if (exceeded == LimitRule.Exceeded.DELAY && tarpit != null && tarpit.isZero()) {
            tarpitValue.invalid("a duration above 0s, such as 2s, when exceeded is delay");
        }
        if (counts == Counted.CONNECTIONS) {
            String rule = "a rule counting connections";
            requireKnownBy(RuleKey.Stage.CONNECT, rule, key, keyValue, match, except);
            checkConnectReply(reply, replyValue, rule);
        } else if (counts == Counted.BYTES) {
            // Bytes are charged at MAIL, by the size the client declares.
            requireKnownBy(RuleKey.Stage.MAIL, "a rule counting bytes", key, keyValue, match, except);
        }
        return problems.construct(value.path(), value.line(), () -> new LimitRule(name, listeners, key, prefixes,
                counts, rate, burst, Optional.ofNullable(reply), exceeded, tarpit, shadow, match.match(),
                except.match(), sync, Optional.ofNullable(fairShare)));
    }

    private ConcurrencyRule concurrency(Value value) {
        Section section = value.section();
        Value nameValue = section.get("name");
        Value listenersValue = section.get("listeners");
        Value keyValue = section.get("key");
        Value prefixesValue = section.get("prefixes");
        Value maxValue = section.get("max");
        Value replyValue = section.get("reply");
        Value shadowValue = section.get("shadow");
        Value matchValue = section.get("match");
        Value exceptValue = section.get("except");
        section.rejectUnknownKeys();

        String name = name(nameValue);
        Set<String> listeners = listeners(listenersValue);
        RuleKey key = keyValue.required(CONCURRENCY_KEY);
        NetPrefixes prefixes = prefixes(prefixesValue, key);
        Integer max = maxValue.required(POSITIVE);
        RuleReply reply = replyValue.optional(Conversion.REPLY, null);
        Boolean shadow = shadowValue.optional(Conversion.BOOLEAN, false);
        Conditions match = conditions(matchValue);
        Conditions except = conditions(exceptValue);

        // A session is admitted or not before its greeting, so only what is known at connect can decide.
        String rule = "a concurrency rule";
        requireKnownBy(RuleKey.Stage.CONNECT, rule, null, keyValue, match, except);
        if (key != null && key.countsConnections()) {
            // It counts Sluice's connections to a server, whoever the client is.
            for (Value conditions : List.of(matchValue, exceptValue)) {
                if (conditions.isPresent()) {
                    conditions.invalid("no conditions for a " + key.yamlName() + " rule, which counts connections"
                            + " whoever the client");
                }
            }
        }
        if (key == RuleKey.DESTINATION_SITE || key == RuleKey.SOURCE_SITE) {
            // Refused at the recipient, so that the MTA keeps the message and its connection.
            if (reply != null && (reply.code() < 450 || reply.code() > 452)) {
                replyValue.invalid("a 450, 451 or 452 reply for a " + key.yamlName() + " rule, which answers a"
                        + " recipient");
            }
        } else {
            checkConnectReply(reply, replyValue, rule);
        }
        return problems.construct(value.path(), value.line(), () -> new ConcurrencyRule(name, listeners, key,
                prefixes, max, Optional.ofNullable(reply), shadow, match.match(), except.match()));
    }

    private String name(Value value) {
        String name = value.required(Conversion.NAME_TEXT);
        if (name != null) {
            // Names key buckets, metrics and log lines, so one name is one rule of either kind.
            Value first = ruleNames.putIfAbsent(name, value);
            if (first != null) {
                value.invalid("a name no other rule has; " + first.path() + " is also " + Conversion.quote(name));
            }
        }
        return name;
    }

    private Set<String> listeners(Value value) {
        Set<String> names = new LinkedHashSet<>();
        for (Value item : value.optionalList("a list of listener names; left out, the rule applies to all")) {
            String name = item.required(LISTENER);
            if (name == null) {
                continue;
            }
            if (!listenerNames.contains(name)) {
                item.invalid(listenerNames.isEmpty()
                        ? "the name of a listener, of which there are none"
                        : "the name of a listener: " + String.join(", ", listenerNames));
            } else if (!names.add(name)) {
                item.invalid("a listener not already listed");
            }
        }
        return names;
    }

    private NetPrefixes prefixes(Value value, RuleKey key) {
        if (value.isPresent() && key != null && key != RuleKey.CLIENT_NET) {
            value.invalid("no prefixes unless key or fair-share is client-net");
        }
        Section section = value.section();
        Integer ipv4 = section.get("ipv4").optional(IPV4_PREFIX, NetPrefixes.DEFAULT.ipv4());
        Integer ipv6 = section.get("ipv6").optional(IPV6_PREFIX, NetPrefixes.DEFAULT.ipv6());
        section.rejectUnknownKeys();
        return problems.construct(value.path(), value.line(), () -> new NetPrefixes(ipv4, ipv6));
    }

    /** The conditions of a {@code match} or {@code except}, and where each one given was written. */
    record Conditions(RuleMatch match, Map<RuleKey, Value> given) {
        static final Conditions NONE = new Conditions(RuleMatch.NONE, Map.of());
    }

    Conditions conditions(Value value) {
        Section section = value.section();
        Map<RuleKey, Value> given = new LinkedHashMap<>();
        for (RuleKey condition : CONDITIONS) {
            Value conditionValue = section.get(condition.yamlName());
            if (conditionValue.isPresent()) {
                given.put(condition, conditionValue);
            }
        }
        section.rejectUnknownKeys();

        List<Cidr> clientNets = list(given.get(RuleKey.CLIENT_NET), Conversion.CIDR, CIDRS_EXPECTED);
        List<String> helos = list(given.get(RuleKey.HELO), Conversion.DOMAIN_PATTERN, DOMAINS_EXPECTED);
        List<String> senderDomains = list(given.get(RuleKey.SENDER_DOMAIN), Conversion.DOMAIN_PATTERN,
                DOMAINS_EXPECTED);
        List<String> recipientDomains = list(given.get(RuleKey.RECIPIENT_DOMAIN), Conversion.DOMAIN_PATTERN,
                DOMAINS_EXPECTED);
        List<String> destinationDomains = list(given.get(RuleKey.DESTINATION_DOMAIN), Conversion.DOMAIN_PATTERN,
                DOMAINS_EXPECTED);
        RuleMatch match = problems.construct(value.path(), value.line(),
                () -> new RuleMatch(clientNets, helos, senderDomains, recipientDomains, destinationDomains));
        return new Conditions(match, given);
    }

    // A condition given is one that must hold, so an empty list would read as a condition but be none.
    private static <T> List<T> list(Value value, Conversion<T> conversion, String expected) {
        List<T> items = new ArrayList<>();
        if (value != null) {
            for (Value item : value.nonEmptyList(expected)) {
                items.add(item.required(conversion));
            }
        }
        return items;
    }

    private BucketSync sync(Value value) {
        if (!value.isMapping()) {
            BucketSync.Mode mode = value.optional(SYNC, BucketSync.Mode.AUTO);
            return mode == null ? null : sync(value, mode, DEFAULT_MAX_UNSYNCED_TOKENS, DEFAULT_MAX_UNSYNCED_TIME);
        }
        Section section = value.section();
        Value modeValue = section.get("mode");
        Value tokensValue = section.get("max-unsynced-tokens");
        Value timeValue = section.get("max-unsynced-time");
        section.rejectUnknownKeys();
        BucketSync.Mode mode = modeValue.required(SYNC_MODE);
        Long tokens = tokensValue.optional(POSITIVE_LONG, DEFAULT_MAX_UNSYNCED_TOKENS);
        Duration time = timeValue.optional(Conversion.DURATION, DEFAULT_MAX_UNSYNCED_TIME);
        if (mode != null && !takesSettings(mode)) {
            String expected = " unless mode is delaying or predicting, which spend tokens before synchronizing";
            if (tokensValue.isPresent()) {
                tokensValue.invalid("no max-unsynced-tokens" + expected);
            }
            if (timeValue.isPresent()) {
                timeValue.invalid("no max-unsynced-time" + expected);
            }
        }
        return mode == null ? null : sync(value, mode, tokens, time);
    }

    private BucketSync sync(Value value, BucketSync.Mode mode, Long tokens, Duration time) {
        if (!takesSettings(mode)) {
            // Exact and batching spend no tokens unsynchronized, auto takes its own from the capacity; the same
            // values as EXACT keep equal settings equal.
            return new BucketSync(mode, BucketSync.EXACT.maxUnsyncedTokens(), BucketSync.EXACT.maxUnsyncedTime());
        }
        return problems.construct(value.path(), value.line(), () -> new BucketSync(mode, tokens, time));
    }

    private static boolean takesSettings(BucketSync.Mode mode) {
        return mode == BucketSync.Mode.DELAYING || mode == BucketSync.Mode.PREDICTING;
    }

    /**
     * Reports a key ({@code keyValue}, unless {@code key} is null because the conversion already restricts it) or
     * condition not known by {@code stage}, which a rule of this kind is decided at.
     */
    static void requireKnownBy(RuleKey.Stage stage, String rule, RuleKey key, Value keyValue,
                                       Conditions match, Conditions except) {
        if (key != null && key.knownFrom().compareTo(stage) > 0) {
            keyValue.invalid(orList(keysKnownBy(stage).stream().filter(RuleKey::countsRates).toList()) + " for " + rule);
        }
        List<RuleKey> allowed = CONDITIONS.stream().filter(known(stage)).toList();
        String expected = "only " + orList(allowed) + " conditions for " + rule;
        for (Conditions conditions : List.of(match, except)) {
            conditions.given().forEach((condition, value) -> {
                if (!known(stage).test(condition)) {
                    value.invalid(expected);
                }
            });
        }
    }

    // RFC 5321 §4.3.2: a server refusing a connection answers 554 instead of its greeting, or 421 (§3.8) anywhere.
    private static void checkConnectReply(RuleReply reply, Value value, String rule) {
        if (reply != null && reply.code() != 421 && reply.code() != 554) {
            value.invalid("a 421 or 554 reply for " + rule + ", which answers instead of the greeting"
                    + " (RFC 5321 §4.3.2)");
        }
    }

    private static List<RuleKey> keysKnownBy(RuleKey.Stage stage) {
        return Arrays.stream(RuleKey.values()).filter(known(stage)).toList();
    }

    private static Predicate<RuleKey> known(RuleKey.Stage stage) {
        return key -> key.knownFrom().compareTo(stage) <= 0;
    }

    /** Lists keys as prose: {@code a}, {@code a or b}, {@code a, b or c}. */
    private static String orList(List<RuleKey> keys) {
        List<String> names = keys.stream().map(RuleKey::yamlName).toList();
        if (names.size() == 1) {
            return names.get(0);
        }
        return String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }
}
