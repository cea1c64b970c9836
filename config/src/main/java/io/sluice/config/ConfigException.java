package io.sluice.config;

import java.util.List;
import java.util.stream.Collectors;

/** Thrown when a configuration cannot be loaded; carries every error found, not just the first. */
public final class ConfigException extends Exception {

    private final List<ConfigError> errors;

    ConfigException(List<ConfigError> errors) {
        super(errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("errors: [] (expected: at least one error)");
        }
        this.errors = List.copyOf(errors);
    }

    /** Returns the errors in the order of their lines in the file. */
    public List<ConfigError> errors() {
        return errors;
    }
}
