package io.sluice.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Function;

/**
 * Maps the {@code admin} section onto {@link AdminConfig}: its defaults (loopback port 8025, health and metrics
 * open), and the tokens, read and checked now so that a mistake in them shows at load rather than as 401s later.
 */
final class AdminBinder {

    private static final String BODY_SIZE_EXPECTED = "a size from " + Units.formatSize(AdminConfig.MIN_BODY_SIZE)
            + " to " + Units.formatSize(AdminConfig.MAX_BODY_SIZE) + ", such as 1MiB";
    private static final Conversion<Long> BODY_SIZE = new Conversion<>(BODY_SIZE_EXPECTED, text -> {
        long size = Units.parseSize(text);
        if (size < AdminConfig.MIN_BODY_SIZE || size > AdminConfig.MAX_BODY_SIZE) {
            throw Conversion.invalid(text, BODY_SIZE_EXPECTED);
        }
        return size;
    });
    private static final Conversion<Integer> CONNECTIONS = Conversion.integerBetween(1, AdminConfig.MAX_CONNECTIONS);

    private final Problems problems;
    private final Conversion<Path> readableFile;
    private final Function<String, String> environment;
    private final Function<HostPort, Optional<String>> listenerBinding;

    /**
     * @param readableFile resolves the token file against the configuration file's directory
     * @param environment looks up environment variables
     * @param listenerBinding says which listener's bind, if any, an address would conflict with
     */
    AdminBinder(Problems problems, Conversion<Path> readableFile, Function<String, String> environment,
                Function<HostPort, Optional<String>> listenerBinding) {
        this.problems = problems;
        this.readableFile = readableFile;
        this.environment = environment;
        this.listenerBinding = listenerBinding;
    }

    /** Returns the admin settings, or null when a problem was found; an absent section gives the defaults. */
    AdminConfig bind(Value value) {
        Section section = value.section();
        Value bindValue = section.get("bind");
        Value tokenFileValue = section.get("token-file");
        Value tokenEnvValue = section.get("token-env");
        Value openHealthValue = section.get("open-health");
        Value openMetricsValue = section.get("open-metrics");
        Value maxBodySizeValue = section.get("max-body-size");
        Value maxConnectionsValue = section.get("max-connections");
        section.rejectUnknownKeys();

        HostPort bind = bindValue.optional(Conversion.HOST_PORT, AdminConfig.DEFAULT.bind());
        Path tokenFile = tokenFileValue.optional(readableFile, null);
        String tokenEnv = tokenEnvValue.optional(Conversion.ENV_NAME, null);
        Boolean openHealth = openHealthValue.optional(Conversion.BOOLEAN, AdminConfig.DEFAULT.openHealth());
        Boolean openMetrics = openMetricsValue.optional(Conversion.BOOLEAN, AdminConfig.DEFAULT.openMetrics());
        Long maxBodySize = maxBodySizeValue.optional(BODY_SIZE, AdminConfig.DEFAULT.maxBodySize());
        Integer maxConnections = maxConnectionsValue.optional(CONNECTIONS, AdminConfig.DEFAULT.maxConnections());

        if (bind != null) {
            checkBind(bind, bindValue);
        }
        AdminTokens tokens = new AdminTokens();
        if (tokenFile != null) {
            readFile(tokens, tokenFile, tokenFileValue);
        }
        if (tokenEnv != null) {
            readVariable(tokens, tokenEnv, tokenEnvValue);
        }
        return problems.construct(value.path(), value.line(), () -> new AdminConfig(bind, Optional.ofNullable(
                tokenFile), Optional.ofNullable(tokenEnv), openHealth, openMetrics, maxBodySize, maxConnections));
    }

    private void checkBind(HostPort bind, Value value) {
        listenerBinding.apply(bind).ifPresent(listener -> {
            if (value.isPresent()) {
                value.invalid("an address no listener binds; " + listener);
            } else {
                problems.add(value.path(), Conversion.quote(bind.toString()) + ", the default, conflicts with "
                        + listener + " (expected: an admin.bind of its own)", value.line());
            }
        });
    }

    private void readFile(AdminTokens tokens, Path file, Value value) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            problems.add(value.path(), "cannot read " + file + " (expected: a UTF-8 file of name:secret[:scopes] lines): " + e,
                    value.line());
            return;
        }
        tokens.readFile(text).forEach(problem -> problems.add(value.path(), file + ": " + problem, value.line()));
    }

    private void readVariable(AdminTokens tokens, String name, Value value) {
        String text = environment.apply(name);
        if (text == null || text.isBlank()) {
            value.invalid("an environment variable that is set, holding name:secret entries");
            return;
        }
        tokens.readVariable(text).forEach(problem -> problems.add(value.path(), name + ": " + problem, value.line()));
    }
}
