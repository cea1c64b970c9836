package io.sluice.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads YAML text into a {@link YamlNode} tree with lines, reporting syntax errors, duplicate keys and the YAML
 * features a config file has no use for (aliases, tags, several documents).
 *
 * <p>Only Jackson's streaming parser is used: it never instantiates types named in the document, so tags such as
 * {@code !!java.net.URL} cannot run code; they are refused anyway so that they do not pass silently.
 */
final class YamlReader {

    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .loaderOptions(loaderOptions())
            // `key:` with nothing after it is YAML's null; Jackson would otherwise read it as an empty string.
            .enable(YAMLParser.Feature.EMPTY_STRING_AS_NULL)
            // YAML 1.1 reads yes/no/on/off as booleans (the "Norway problem"); only true and false are booleans here.
            .enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS)
            .build();

    private final YAMLParser parser;
    private final Problems problems;
    private final String emptyMessage;

    private YamlReader(YAMLParser parser, Problems problems, String emptyMessage) {
        this.parser = parser;
        this.problems = problems;
        this.emptyMessage = emptyMessage;
    }

    /**
     * Returns the document's root, or empty when the text is not YAML or holds no document (reported to problems).
     *
     * @param emptyMessage the error for text without a document, saying what kind of document was expected
     */
    static Optional<YamlNode> read(String yaml, Problems problems, String emptyMessage) {
        try (YAMLParser parser = FACTORY.createParser(yaml)) {
            return new YamlReader(parser, problems, emptyMessage).document();
        } catch (JsonProcessingException e) {
            reportSyntaxError(e, problems);
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("reading YAML from a string", e);
        }
    }

    private static LoaderOptions loaderOptions() {
        LoaderOptions options = new LoaderOptions();
        // A config file is a few kilobytes; SnakeYAML's 3 MB default only gives a runaway file more room.
        options.setCodePointLimit(1 << 20);
        return options;
    }

    private Optional<YamlNode> document() throws IOException {
        if (parser.nextToken() == null) {
            problems.add("", emptyMessage, 0);
            return Optional.empty();
        }
        YamlNode root = node("", line());
        if (parser.nextToken() != null) {
            problems.add("", "a second YAML document (expected: one document per file)", line());
        }
        return Optional.of(root);
    }

    /** Reads the node at the current token; {@code line} is the line of its key, or its own line without one. */
    private YamlNode node(String path, int line) throws IOException {
        if (parser.isCurrentAlias()) {
            problems.add(path, "alias *" + parser.getText()
                    + " (expected: a value written out; aliases are not supported)", line());
        } else if (parser.getTypeId() != null) {
            problems.add(path, "tag " + tag(parser.getTypeId()) + " (expected: a value without a tag)", line());
        }
        return switch (parser.currentToken()) {
            case START_OBJECT -> mapping(path, line);
            case START_ARRAY -> sequence(path, line);
            case VALUE_NULL -> new YamlNode.Null(line());
            default -> new YamlNode.Scalar(parser.getText(), line());
        };
    }

    private YamlNode mapping(String path, int line) throws IOException {
        Map<String, YamlNode.Entry> entries = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            String keyPath = KeyPath.of(path, key);
            int keyLine = line();
            parser.nextToken();
            YamlNode.Entry entry = new YamlNode.Entry(keyLine, node(keyPath, keyLine));
            YamlNode.Entry first = entries.putIfAbsent(key, entry);
            if (first != null) {
                problems.add(keyPath, "duplicate key (expected: each key once; first at line " + first.keyLine() + ")",
                        keyLine);
            }
        }
        return new YamlNode.Mapping(entries, line);
    }

    private YamlNode sequence(String path, int line) throws IOException {
        List<YamlNode> items = new ArrayList<>();
        while (parser.nextToken() != JsonToken.END_ARRAY) {
            items.add(node(KeyPath.of(path, items.size()), line()));
        }
        return new YamlNode.Sequence(items, line);
    }

    // SnakeYAML expands the !! handle to tag:yaml.org,2002: and Jackson drops the "!" of a local tag; undo both.
    private static String tag(String typeId) {
        String standard = "tag:yaml.org,2002:";
        return typeId.startsWith(standard) ? "!!" + typeId.substring(standard.length()) : "!" + typeId;
    }

    private int line() {
        return parser.currentTokenLocation().getLineNr();
    }

    private static void reportSyntaxError(JsonProcessingException e, Problems problems) {
        if (e.getCause() instanceof MarkedYAMLException yaml && yaml.getProblemMark() != null) {
            // SnakeYAML's own message spans several lines with a snippet; keep its two parts and the problem's line.
            int line = yaml.getProblemMark().getLine() + 1;
            String context = yaml.getContext() == null ? ""
                    : yaml.getContext() + (yaml.getContextMark() == null || yaml.getContextMark().getLine() + 1 == line
                            ? "" : " from line " + (yaml.getContextMark().getLine() + 1)) + ": ";
            problems.add("", "invalid YAML: " + oneLine(context + yaml.getProblem()), line);
        } else {
            JsonLocation location = e.getLocation();
            problems.add("", "invalid YAML: " + oneLine(e.getOriginalMessage().lines().findFirst().orElse("")),
                    location == null ? 0 : Math.max(0, location.getLineNr()));
        }
    }

    private static String oneLine(String text) {
        return text.replace("\t", "\\t").replace('\n', ' ').strip();
    }
}
