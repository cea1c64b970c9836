package io.sluice.config;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** Loads and validates a Sluice YAML configuration, reporting every error in the file at once. */
public final class ConfigLoader {

    private static final String EMPTY_CONFIG = "empty file (expected: a mapping with listeners and backends)";
    private static final String EMPTY_OVERRIDE = "empty document (expected: a mapping with rule, factor and until"
            + " or for)";
    private static final String EMPTY_POLICY = "empty document (expected: a mapping with limits and concurrency)";

    private ConfigLoader() {
    }

    /**
     * Reads and validates a configuration file; relative paths in it (TLS, admin tokens) are resolved against the
     * file's directory. The admin tokens are read too, from the file or the environment variable named.
     *
     * @throws ConfigException listing every error, or naming the file if it cannot be read
     */
    public static SluiceConfig load(Path file) throws ConfigException {
        String source = file.toString();
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(List.of(new ConfigError(source, "", "file not found", 0)));
        } catch (CharacterCodingException e) {
            throw new ConfigException(List.of(new ConfigError(source, "", "not UTF-8 text", 0)));
        } catch (IOException e) {
            throw new ConfigException(List.of(new ConfigError(source, "", "cannot read file: " + e, 0)));
        }
        return parse(yaml, source, file.toAbsolutePath().getParent(), System::getenv);
    }

    /**
     * Validates a configuration given as text; relative paths in it are resolved against the current directory.
     *
     * @param sourceName names the text in error messages, such as a file name
     * @throws ConfigException listing every error
     */
    public static SluiceConfig parse(String yaml, String sourceName) throws ConfigException {
        return parse(yaml, sourceName, System::getenv);
    }

    /** As {@link #parse(String, String)}, with environment variables looked up in {@code environment} (tests). */
    static SluiceConfig parse(String yaml, String sourceName, Function<String, String> environment)
            throws ConfigException {
        return parse(yaml, sourceName, Path.of("").toAbsolutePath(), environment);
    }

    /**
     * Validates a policy document on its own, such as one sent to the admin API: YAML (or JSON) whose root holds
     * {@code limits} and {@code concurrency}, as under {@code policy} in a configuration file. Errors are reported
     * under paths from the document's root, such as {@code limits[0].rate}.
     *
     * @param sourceName names the text in error messages
     * @param listenerNames the listeners that rules may name, in the order to list them in errors
     * @throws ConfigException listing every error
     */
    public static PolicyConfig parsePolicy(String yaml, String sourceName, Set<String> listenerNames)
            throws ConfigException {
        Problems problems = new Problems(sourceName);
        PolicyConfig policy = YamlReader.read(yaml, problems, EMPTY_POLICY)
                .map(root -> new PolicyBinder(problems, listenerNames).bind(Value.root(root, problems)))
                .orElse(null);
        problems.throwIfAny();
        return policy;
    }

    /**
     * Reads an override request (JSON is YAML) against the policy in force, at {@code now}.
     *
     * @throws ConfigException with every problem found, each with its key path and line
     */
    public static OverrideSpec parseOverride(String yaml, String sourceName, PolicyConfig policy, Instant now)
            throws ConfigException {
        Problems problems = new Problems(sourceName);
        OverrideSpec override = YamlReader.read(yaml, problems, EMPTY_OVERRIDE)
                .map(root -> new OverrideBinder(problems, policy, now).bind(Value.root(root, problems)))
                .orElse(null);
        problems.throwIfAny();
        return override;
    }

    private static SluiceConfig parse(String yaml, String source, Path baseDir, Function<String, String> environment)
            throws ConfigException {
        Problems problems = new Problems(source);
        SluiceConfig config = YamlReader.read(yaml, problems, EMPTY_CONFIG)
                .map(root -> new ConfigBinder(problems, baseDir, environment).bind(root))
                .orElse(null);
        problems.throwIfAny();
        return config;
    }
}
