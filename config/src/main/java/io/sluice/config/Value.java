package io.sluice.config;

import java.util.ArrayList;
import java.util.List;

/**
 * One value of the YAML tree at a key path, converted to config types; each mistake is recorded in {@link Problems}
 * and the conversion returns null, so that reading goes on and finds the next mistake.
 */
final class Value {

    private final YamlNode node;
    private final String path;
    private final int line;
    private final boolean reportMissing;
    private final Problems problems;

    /**
     * @param node the node, or null when the key is absent; a YAML null counts as absent
     * @param line the node's line; when absent, the line of the enclosing mapping (of the key, for a YAML null)
     * @param reportMissing false inside a mapping that was itself of the wrong type, already reported
     */
    Value(YamlNode node, String path, int line, boolean reportMissing, Problems problems) {
        this.node = node instanceof YamlNode.Null ? null : node;
        this.path = path;
        this.line = line;
        this.reportMissing = reportMissing;
        this.problems = problems;
    }

    /** The whole document, whose keys have paths without a prefix. */
    static Value root(YamlNode root, Problems problems) {
        return new Value(root, "", root.line(), true, problems);
    }

    String path() {
        return path;
    }

    /** The value's line; for an absent value, that of the enclosing mapping. */
    int line() {
        return line;
    }

    boolean isPresent() {
        return node != null;
    }

    /** Whether the value is a mapping, for keys that take either a scalar or a mapping. */
    boolean isMapping() {
        return node instanceof YamlNode.Mapping;
    }

    /** Converts a value that must be there; a missing one is an error. */
    <T> T required(Conversion<T> conversion) {
        if (node == null) {
            missing(conversion.expected());
            return null;
        }
        return convert(conversion);
    }

    /** Converts a value that may be left out, in which case the default applies. */
    <T> T optional(Conversion<T> conversion, T defaultValue) {
        return node == null ? defaultValue : convert(conversion);
    }

    /** Returns the items of a list that must be there and hold at least one item. */
    List<Value> nonEmptyList(String expected) {
        if (node == null) {
            missing(expected);
            return List.of();
        }
        if (!(node instanceof YamlNode.Sequence sequence) || sequence.items().isEmpty()) {
            invalid(expected);
            return List.of();
        }
        return items();
    }

    /** Returns the items of a list that may be left out or empty; absent reads as empty. */
    List<Value> optionalList(String expected) {
        if (node == null) {
            return List.of();
        }
        if (!(node instanceof YamlNode.Sequence)) {
            invalid(expected);
            return List.of();
        }
        return items();
    }

    private List<Value> items() {
        List<Value> items = new ArrayList<>();
        for (YamlNode item : ((YamlNode.Sequence) node).items()) {
            items.add(new Value(item, KeyPath.of(path, items.size()), item.line(), true, problems));
        }
        return items;
    }

    /** Reads the value as a mapping; an absent one reads as empty, so that every key in it takes its default. */
    Section section() {
        if (node == null) {
            return new Section(null, path, line, reportMissing, problems);
        }
        if (!(node instanceof YamlNode.Mapping mapping)) {
            invalid("a mapping");
            return new Section(null, path, line, false, problems);
        }
        return new Section(mapping, path, line, true, problems);
    }

    /** Records that the value, though well-formed, is not what was expected; or, when absent, that it is missing. */
    void invalid(String expected) {
        if (node == null) {
            missing(expected);
        } else {
            problems.add(path, found() + " (expected: " + expected + ")", line);
        }
    }

    /** Records a mistake described by more than the value's text, such as what a whole list adds up to. */
    void refuse(String found, String expected) {
        problems.add(path, found + " (expected: " + expected + ")", line);
    }

    private void missing(String expected) {
        if (reportMissing) {
            problems.add(path, "missing (expected: " + expected + ")", line);
        }
    }

    private <T> T convert(Conversion<T> conversion) {
        if (!(node instanceof YamlNode.Scalar scalar)) {
            invalid(conversion.expected());
            return null;
        }
        try {
            return conversion.parse().apply(scalar.text());
        } catch (IllegalArgumentException e) {
            problems.add(path, e.getMessage(), line);
            return null;
        }
    }

    private String found() {
        if (node instanceof YamlNode.Scalar scalar) {
            return Conversion.quote(scalar.text());
        }
        if (node instanceof YamlNode.Sequence sequence) {
            return sequence.items().isEmpty() ? "an empty list" : "a list";
        }
        return "a mapping";
    }
}
