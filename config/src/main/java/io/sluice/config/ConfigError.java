package io.sluice.config;

import java.util.Objects;

/**
 * One mistake found in a configuration file.
 *
 * @param source the file name, or the name given to {@link ConfigLoader#parse(String, String)} or
 *     {@link ConfigLoader#parsePolicy(String, String, java.util.Set)}
 * @param path the key path, such as {@code listeners[1].bind}; empty for the file as a whole
 * @param message what was found and what was expected, such as {@code "0.0.0.0:99999" (expected: port 1-65535)}
 * @param line the line in the file, counting from 1; 0 when unknown
 */
public record ConfigError(String source, String path, String message, int line) {

    public ConfigError {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(message, "message");
        if (line < 0) {
            throw new IllegalArgumentException("line: " + line + " (expected: >= 0)");
        }
    }

    /**
     * Returns the error as one line:
     * {@code local.yaml: listeners[1].bind: "0.0.0.0:99999" (expected: port 1-65535) at line 14}.
     */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder(source).append(": ");
        if (!path.isEmpty()) {
            text.append(path).append(": ");
        }
        text.append(message);
        if (line > 0) {
            text.append(" at line ").append(line);
        }
        return text.toString();
    }
}
