package io.sluice.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A node of a parsed YAML document that remembers its line, which Jackson's own tree model forgets. */
sealed interface YamlNode {

    /** The line the node starts on; for a mapping or list under a key, the key's line. */
    int line();

    /** A mapping, in file order. */
    record Mapping(Map<String, Entry> entries, int line) implements YamlNode {
        public Mapping {
            entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
        }
    }

    /** One key of a mapping: the key's line, for errors about the key itself, and its value. */
    record Entry(int keyLine, YamlNode value) {
    }

    /** A list. */
    record Sequence(List<YamlNode> items, int line) implements YamlNode {
        public Sequence {
            items = List.copyOf(items);
        }
    }

    /** A string, number or boolean, as its text; conversions decide what the text means. */
    record Scalar(String text, int line) implements YamlNode {
    }

    /** An explicit null, including a key with nothing after it; read as if the key were absent. */
    record Null(int line) implements YamlNode {
    }
}
