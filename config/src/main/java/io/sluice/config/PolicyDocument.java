package io.sluice.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Writes a policy out as the document {@link ConfigLoader#parsePolicy} reads: the keys of the YAML, values in their
 * YAML form ({@code 500/1s}, {@code 451 4.7.1 ...}), so that what is written can be edited and read back as the
 * same policy. The output is stable: keys in the order of the schema, listener names sorted, and optional parts
 * written only when they differ from what leaving them out means.
 */
public final class PolicyDocument {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyDocument() {
    }

    /** The policy as one line of JSON, which {@link ConfigLoader#parsePolicy} reads back as the same policy. */
    public static String json(PolicyConfig policy) {
        try {
            return JSON.writeValueAsString(tree(policy));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of maps, lists and scalars always writes as JSON", e);
        }
    }

    /**
     * The SHA-256 of a policy document, in hex: what audit lines name a policy by, so that two nodes' lines can be
     * compared without logging the rules.
     */
    public static String sha256(String document) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(document.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    /**
     * Returns the policy as a tree of maps (in key order), lists, strings, numbers and booleans, ready for a JSON or
     * YAML writer.
     */
    public static Map<String, Object> tree(PolicyConfig policy) {
        Map<String, Object> document = new LinkedHashMap<>();
        document.put("limits", policy.limits().stream().map(PolicyDocument::limit).toList());
        document.put("concurrency", policy.concurrency().stream().map(PolicyDocument::concurrency).toList());
        if (!policy.retryPriority().equals(RetryPriority.DEFAULT)) {
            document.put("retry-priority", retryPriority(policy.retryPriority()));
        }
        return document;
    }

    private static Map<String, Object> limit(LimitRule rule) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", rule.name());
        putListeners(map, rule.listeners());
        map.put("key", rule.key().yamlName());
        putPrefixes(map, rule.fairShare().orElse(rule.key()), rule.prefixes());
        map.put("counts", rule.counts().yamlName());
        map.put("rate", rule.rate().toString());
        map.put("burst", rule.burst());
        rule.reply().ifPresent(reply -> map.put("reply", reply.toString()));
        map.put("exceeded", Conversion.kebabCase(rule.exceeded()));
        map.put("tarpit", durationOrZero(rule.tarpit()));
        map.put("shadow", rule.shadow());
        putConditions(map, "match", rule.match());
        putConditions(map, "except", rule.except());
        map.put("sync", sync(rule.sync()));
        rule.fairShare().ifPresent(key -> map.put("fair-share", key.yamlName()));
        return map;
    }

    // Written whole, so that reading it back needs no default.
    private static Map<String, Object> retryPriority(RetryPriority retry) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("enabled", retry.enabled());
        map.put("reserved-share", retry.reservedShare());
        map.put("mark-ttl", duration(retry.markTtl()));
        map.put("generations", retry.generations());
        map.put("capacity", retry.capacity());
        map.put("false-positive-rate", retry.falsePositiveRate());
        map.put("tiers", retry.tiers());
        return map;
    }

    private static Map<String, Object> concurrency(ConcurrencyRule rule) {
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("name", rule.name());
        putListeners(map, rule.listeners());
        map.put("key", rule.key().yamlName());
        putPrefixes(map, rule.key(), rule.prefixes());
        map.put("max", rule.max());
        rule.reply().ifPresent(reply -> map.put("reply", reply.toString()));
        map.put("shadow", rule.shadow());
        putConditions(map, "match", rule.match());
        putConditions(map, "except", rule.except());
        return map;
    }

    // Left out means every listener; an empty list would read as none.
    private static void putListeners(Map<String, Object> map, Set<String> listeners) {
        if (!listeners.isEmpty()) {
            map.put("listeners", listeners.stream().sorted().toList());
        }
    }

    // The binder refuses prefixes unless the key (or a limit's fair-share) is client-net.
    private static void putPrefixes(Map<String, Object> map, RuleKey key, NetPrefixes prefixes) {
        if (key == RuleKey.CLIENT_NET) {
            Map<String, Object> sizes = new LinkedHashMap<>();
            sizes.put("ipv4", prefixes.ipv4());
            sizes.put("ipv6", prefixes.ipv6());
            map.put("prefixes", sizes);
        }
    }

    // A condition written is one that must hold, so only the lists with items are written.
    private static void putConditions(Map<String, Object> map, String key, RuleMatch match) {
        if (!match.isEmpty()) {
            map.put(key, conditions(match));
        }
    }

    /** The conditions as the {@code match} of a rule or an override is written: only the lists with items. */
    public static Map<String, Object> conditions(RuleMatch match) {
        Map<String, Object> conditions = new LinkedHashMap<>();
        putList(conditions, RuleKey.CLIENT_NET, match.clientNets(), Cidr::toString);
        putList(conditions, RuleKey.HELO, match.helos(), Function.identity());
        putList(conditions, RuleKey.SENDER_DOMAIN, match.senderDomains(), Function.identity());
        putList(conditions, RuleKey.RECIPIENT_DOMAIN, match.recipientDomains(), Function.identity());
        putList(conditions, RuleKey.DESTINATION_DOMAIN, match.destinationDomains(), Function.identity());
        putList(conditions, RuleKey.SOURCE_SITE, match.sourceSites(), Function.identity());
        return conditions;
    }

    private static <T> void putList(Map<String, Object> map, RuleKey key, List<T> items, Function<T, String> text) {
        if (!items.isEmpty()) {
            List<String> texts = new ArrayList<>(items.size());
            items.forEach(item -> texts.add(text.apply(item)));
            map.put(key.yamlName(), texts);
        }
    }

    // Exact, batching and auto have no settings; the others are written whole, so that reading them back needs no
    // default.
    private static Object sync(BucketSync sync) {
        if (sync.mode() != BucketSync.Mode.DELAYING && sync.mode() != BucketSync.Mode.PREDICTING) {
            return sync.mode().yamlName();
        }
        Map<String, Object> map = new LinkedHashMap<>();
        map.put("mode", sync.mode().yamlName());
        map.put("max-unsynced-tokens", sync.maxUnsyncedTokens());
        map.put("max-unsynced-time", duration(sync.maxUnsyncedTime()));
        return map;
    }

    private static String durationOrZero(Duration duration) {
        return duration.isZero() ? "0s" : duration(duration);
    }

    // Durations read from YAML are whole milliseconds; one built in code may be finer, and writing must not fail.
    private static String duration(Duration duration) {
        return duration.getNano() % 1_000_000 == 0 ? Units.formatDuration(duration) : duration.toString();
    }
}
