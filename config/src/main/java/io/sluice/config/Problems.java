package io.sluice.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/** Collects the errors of one load, so that an operator sees every mistake in a file after one attempt. */
final class Problems {

    private final String source;
    private final List<ConfigError> errors = new ArrayList<>();

    Problems(String source) {
        this.source = source;
    }

    void add(String path, String message, int line) {
        errors.add(new ConfigError(source, path, message, line));
    }

    /**
     * Builds a record only while no error has been found. After one, the load fails anyway and the values the record
     * needs may be missing; reading goes on without it to find the remaining errors.
     */
    <T> T construct(Supplier<T> record) {
        return errors.isEmpty() ? record.get() : null;
    }

    /**
     * Like {@link #construct(Supplier)}, and reports a check of the record's own that fails under the key path and
     * line given. The binder checks what it can first, with a more precise path; this is what is left.
     */
    <T> T construct(String path, int line, Supplier<T> record) {
        if (!errors.isEmpty()) {
            return null;
        }
        try {
            return record.get();
        } catch (IllegalArgumentException e) {
            add(path, e.getMessage(), line);
            return null;
        }
    }

    /** Throws every error found, ordered by line so that they read like the file. */
    void throwIfAny() throws ConfigException {
        if (!errors.isEmpty()) {
            List<ConfigError> sorted = new ArrayList<>(errors);
            sorted.sort(Comparator.comparingInt(ConfigError::line));
            throw new ConfigException(sorted);
        }
    }
}
