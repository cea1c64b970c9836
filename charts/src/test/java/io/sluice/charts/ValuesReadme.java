package io.sluice.charts;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chart README's table of values, made from values.yaml: each key's path, its default, and the comment lines
 * right above it at its own indentation. Keys inside list items are the list's default, not rows of their own.
 */
final class ValuesReadme {

    static final String START = "<!-- values: generated from values.yaml by ValuesReadme; do not edit -->";
    static final String END = "<!-- end of values -->";

    private static final Pattern KEY = Pattern.compile("([A-Za-z0-9_.-]+):(?:\\s+(.*))?");
    private static final ObjectMapper JSON = new ObjectMapper();

    private ValuesReadme() {
    }

    private record Parent(int indent, String path) {
    }

    private record Comment(int indent, String text) {
    }

    /** The table, between its start and end markers. */
    static String table(String valuesYaml) {
        JsonNode tree;
        try {
            tree = new YAMLMapper().readTree(valuesYaml);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("values.yaml is not YAML", e);
        }
        StringBuilder out = new StringBuilder(START).append("\n\n| key | default | description |\n|---|---|---|\n");
        Deque<Parent> parents = new ArrayDeque<>();
        List<Comment> comments = new ArrayList<>();
        int listItemIndent = -1;
        for (String line : valuesYaml.split("\n", -1)) {
            String text = line.strip();
            int indent = line.length() - line.stripLeading().length();
            if (text.isEmpty()) {
                comments.clear();
                continue;
            }
            if (listItemIndent >= 0 && (indent > listItemIndent || text.startsWith("- ") && indent == listItemIndent)) {
                continue;
            }
            listItemIndent = -1;
            if (text.startsWith("#")) {
                comments.add(new Comment(indent, text.replaceFirst("^#\\s?", "")));
                continue;
            }
            if (text.startsWith("- ")) {
                listItemIndent = indent;
                comments.clear();
                continue;
            }
            Matcher key = KEY.matcher(text);
            if (!key.matches()) {
                throw new IllegalArgumentException("a line values.yaml's README cannot read: " + line);
            }
            while (!parents.isEmpty() && parents.peek().indent() >= indent) {
                parents.pop();
            }
            String path = parents.isEmpty() ? key.group(1) : parents.peek().path() + "." + key.group(1);
            String description = description(comments, indent);
            comments.clear();
            JsonNode value = tree.at("/" + path.replace(".", "/"));
            if (key.group(2) == null || key.group(2).isEmpty()) {
                parents.push(new Parent(indent, path));
            }
            if (!value.isObject() || value.isEmpty() || !description.isEmpty()) {
                out.append("| `").append(path).append("` | ")
                        .append(value.isObject() && !value.isEmpty() ? "" : "`" + cell(compact(value)) + "`")
                        .append(" | ").append(cell(description)).append(" |\n");
            }
        }
        return out.append('\n').append(END).toString();
    }

    /** The comment lines right above a key at its own indentation, as one paragraph. */
    private static String description(List<Comment> comments, int indent) {
        int first = comments.size();
        while (first > 0 && comments.get(first - 1).indent() == indent) {
            first--;
        }
        return String.join(" ", comments.subList(first, comments.size()).stream().map(Comment::text).toList());
    }

    private static String compact(JsonNode value) {
        try {
            return value.isTextual() ? JSON.writeValueAsString(value.asText()) : JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String cell(String text) {
        return text.replace("|", "\\|");
    }

    /** The README with its table made anew from the values. */
    static String update(String readme, String valuesYaml) {
        int start = readme.indexOf(START);
        int end = readme.indexOf(END);
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("the README has no table markers: " + START + " ... " + END);
        }
        return readme.substring(0, start) + table(valuesYaml) + readme.substring(end + END.length());
    }
}
