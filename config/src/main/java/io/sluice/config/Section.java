package io.sluice.config;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * A YAML mapping being read into a config record: hands out its values by key and reports the keys nobody asked for,
 * which are most often typos of a key that then silently took its default.
 */
final class Section {

    private final Map<String, YamlNode.Entry> entries;
    private final String path;
    private final int line;
    private final boolean reportMissing;
    private final Problems problems;
    private final Set<String> known = new LinkedHashSet<>();

    /** @param mapping the mapping, or null to read an absent (or wrong-typed, already reported) one as empty */
    Section(YamlNode.Mapping mapping, String path, int line, boolean reportMissing, Problems problems) {
        this.entries = mapping == null ? Map.of() : mapping.entries();
        this.path = path;
        this.line = line;
        this.reportMissing = reportMissing;
        this.problems = problems;
    }

    /** Returns the value under a key of a fixed schema; the order of calls is the order listed for unknown keys. */
    Value get(String key) {
        known.add(key);
        YamlNode.Entry entry = entries.get(key);
        return entry == null
                ? new Value(null, KeyPath.of(path, key), line, reportMissing, problems)
                : new Value(entry.value(), KeyPath.of(path, key), entry.value().line(), true, problems);
    }

    /** Returns every entry, for a mapping whose keys are names chosen by the operator, such as backend pools. */
    Map<String, Value> all() {
        Map<String, Value> values = new LinkedHashMap<>();
        entries.keySet().forEach(key -> values.put(key, get(key)));
        return values;
    }

    /**
     * Binds each entry of a mapping whose keys are names the operator chooses (pools), in file order: a key that
     * is not a valid name is reported at this mapping, and its value is bound all the same to find its mistakes.
     */
    <T> Map<String, T> named(BiFunction<String, Section, T> bind) {
        Map<String, T> bound = new LinkedHashMap<>();
        all().forEach((name, value) -> {
            try {
                Conversion.NAME_TEXT.parse().apply(name);
            } catch (IllegalArgumentException e) {
                problems.add(path, e.getMessage(), keyLine(name));
            }
            bound.put(name, bind.apply(name, value.section()));
        });
        return bound;
    }

    /** Returns the line of a key, for errors about the key itself. */
    int keyLine(String key) {
        YamlNode.Entry entry = entries.get(key);
        return entry == null ? line : entry.keyLine();
    }

    /** Reports each key not read through {@link #get(String)}, listing the keys that are. */
    void rejectUnknownKeys() {
        entries.forEach((key, entry) -> {
            if (!known.contains(key)) {
                problems.add(KeyPath.of(path, key), "unknown key (expected one of: " + String.join(", ", known) + ")",
                        entry.keyLine());
            }
        });
    }
}
