package io.sluice.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * The admin HTTP listener: health probes, metrics, and the REST API that changes the policy at runtime.
 *
 * @param bind the local address and port; loopback by default, so that nothing outside the machine reaches it
 *     unless the operator says so; port 0 (an ephemeral port) is accepted here for tests, never from YAML
 * @param tokenFile a file of bearer tokens, one {@code name:secret} or {@code name:secret:scopes} per line
 * @param tokenEnv the name of an environment variable holding tokens, {@code name:secret[:scopes]} separated by
 *     lines or commas
 * @param openHealth whether {@code /healthz/*} answers without a token (probes carry none)
 * @param openMetrics whether {@code /metrics} answers without a token (scrapers usually carry none)
 * @param maxBodySize the largest request body accepted; a larger one gets 413
 * @param maxConnections the admin connections open at once; one more is closed as soon as it is accepted
 */
public record AdminConfig(HostPort bind, Optional<Path> tokenFile, Optional<String> tokenEnv, boolean openHealth,
                          boolean openMetrics, long maxBodySize, int maxConnections) {

    /** A request body may hold a policy; far more than any policy needs, little enough to buffer whole. */
    public static final long DEFAULT_MAX_BODY_SIZE = 1L << 20;
    /** The largest {@link #maxBodySize()}: bodies are buffered whole. */
    public static final long MAX_BODY_SIZE = 64L << 20;
    /** The smallest {@link #maxBodySize()}: room for a small policy. */
    public static final long MIN_BODY_SIZE = 1L << 10;
    /**
     * Probes, a scraper and a few operators need a handful; each connection may hold one response and one read of
     * requests, so this bounds what the admin plane can hold at once.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 32;
    /** The largest {@link #maxConnections()}. */
    public static final int MAX_CONNECTIONS = 1024;

    /** Loopback port 8025, no tokens (so only the open endpoints answer), health and metrics open. */
    public static final AdminConfig DEFAULT = new AdminConfig(new HostPort("127.0.0.1", 8025), Optional.empty(),
            Optional.empty(), true, true, DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_CONNECTIONS);

    static final String ENV_NAME_EXPECTED = "an environment variable name such as SLUICE_ADMIN_TOKENS";
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    public AdminConfig {
        Objects.requireNonNull(bind, "bind");
        Objects.requireNonNull(tokenFile, "tokenFile");
        Objects.requireNonNull(tokenEnv, "tokenEnv");
        tokenEnv.ifPresent(name -> {
            if (!isEnvName(name)) {
                throw new IllegalArgumentException("tokenEnv: " + Conversion.quote(name) + " (expected: "
                        + ENV_NAME_EXPECTED + ")");
            }
        });
        if (maxBodySize < MIN_BODY_SIZE || maxBodySize > MAX_BODY_SIZE) {
            throw new IllegalArgumentException("maxBodySize: " + maxBodySize + " (expected: " + MIN_BODY_SIZE + "-"
                    + MAX_BODY_SIZE + ")");
        }
        if (maxConnections < 1 || maxConnections > MAX_CONNECTIONS) {
            throw new IllegalArgumentException("maxConnections: " + maxConnections + " (expected: 1-" + MAX_CONNECTIONS
                    + ")");
        }
    }

    /** The settings with the default {@link #maxConnections()}. */
    public AdminConfig(HostPort bind, Optional<Path> tokenFile, Optional<String> tokenEnv, boolean openHealth,
                       boolean openMetrics, long maxBodySize) {
        this(bind, tokenFile, tokenEnv, openHealth, openMetrics, maxBodySize, DEFAULT_MAX_CONNECTIONS);
    }

    /** The same settings on another address (tests bind port 0). */
    public AdminConfig withBind(HostPort address) {
        return new AdminConfig(address, tokenFile, tokenEnv, openHealth, openMetrics, maxBodySize, maxConnections);
    }

    /** The same settings with tokens read from a file. */
    public AdminConfig withTokenFile(Path file) {
        return new AdminConfig(bind, Optional.of(file), tokenEnv, openHealth, openMetrics, maxBodySize,
                maxConnections);
    }

    /**
     * Reads the tokens from the file and the environment variable, as they are now; none when neither is given.
     *
     * @param environment looks up an environment variable, such as {@code System::getenv}
     * @throws IllegalArgumentException naming every problem, such as a line without ':', and never a secret
     */
    public List<AdminToken> tokens(Function<String, String> environment) {
        AdminTokens tokens = new AdminTokens();
        List<String> problems = new ArrayList<>();
        tokenFile.ifPresent(file -> {
            try {
                tokens.readFile(Files.readString(file)).forEach(problem -> problems.add(file + ": " + problem));
            } catch (IOException e) {
                problems.add(file + ": cannot read the token file: " + e);
            }
        });
        tokenEnv.ifPresent(name -> {
            String value = environment.apply(name);
            if (value == null || value.isBlank()) {
                problems.add(name + ": not set (expected: the admin tokens, name:secret[:scopes])");
            } else {
                tokens.readVariable(value).forEach(problem -> problems.add(name + ": " + problem));
            }
        });
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException(String.join("; ", problems));
        }
        return tokens.tokens();
    }

    static boolean isEnvName(String name) {
        return ENV_NAME.matcher(name).matches();
    }
}
