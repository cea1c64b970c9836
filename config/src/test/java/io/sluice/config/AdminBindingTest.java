package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminBindingTest {

    // Appended after the admin section, so that its lines are those of the text block.
    private static final String LISTENERS = """
            listeners:
              - {name: mx, role: inbound, bind: "127.0.0.1:2525", backend-pool: mta}
            backends:
              mta: {servers: ["127.0.0.1:2526"]}
            """;
    private static final String ALICE = "alice-secret-0123456789";
    private static final String BOB = "bob-secret-0123456789abc";
    private static final Function<String, String> NO_ENVIRONMENT = name -> null;
    private static final String ENTRY = "(expected: name:secret or name:secret:scopes, with a name of letters,"
            + " digits, '.', '_', '@' and '-', at most 64 characters, a secret of at least 16 printable ASCII"
            + " characters without spaces, commas or ':' and scopes separated by commas, each one of read,"
            + " overrides, policy, drain, egress)";

    @TempDir
    Path dir;

    @Test
    void everyKeyIsRead() throws Exception {
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), "alice:" + ALICE + "\n");
        String yaml = """
                admin:
                  bind: "0.0.0.0:9025"
                  token-file: %s
                  token-env: SLUICE_ADMIN_TOKENS
                  open-health: false
                  open-metrics: false
                  max-body-size: 64KiB
                  max-connections: 4
                """.formatted(tokens) + LISTENERS;

        AdminConfig admin = ConfigLoader.parse(yaml, "sluice.yaml",
                environment(Map.of("SLUICE_ADMIN_TOKENS", "bob:" + BOB))).admin().orElseThrow();

        assertThat(admin).isEqualTo(new AdminConfig(new HostPort("0.0.0.0", 9025), Optional.of(tokens),
                Optional.of("SLUICE_ADMIN_TOKENS"), false, false, 64 * 1024, 4));
    }

    @Test
    void aRelativeTokenFileIsFoundBesideTheConfigFile() throws Exception {
        Files.writeString(dir.resolve("admin-tokens"), "alice:" + ALICE + "\n");
        Path file = Files.writeString(dir.resolve("sluice.yaml"), "admin: {token-file: admin-tokens}\n" + LISTENERS);

        AdminConfig admin = ConfigLoader.load(file).admin().orElseThrow();

        assertThat(admin.tokenFile()).contains(dir.resolve("admin-tokens"));
        assertThat(admin.tokens(NO_ENVIRONMENT)).containsExactly(new AdminToken("alice", ALICE));
    }

    @Test
    void aFileWithoutAdminGetsTheDefaultListenerAndCodeGetsNone() throws ConfigException {
        SluiceConfig leftOut = ConfigLoader.parse(LISTENERS, "sluice.yaml");
        SluiceConfig empty = ConfigLoader.parse("admin:\n" + LISTENERS, "sluice.yaml");

        assertThat(leftOut.admin()).contains(AdminConfig.DEFAULT);
        assertThat(empty.admin()).contains(AdminConfig.DEFAULT);
        assertThat(AdminConfig.DEFAULT.bind()).isEqualTo(new HostPort("127.0.0.1", 8025));
        assertThat(AdminConfig.DEFAULT.maxBodySize()).isEqualTo(1 << 20);
        assertThat(AdminConfig.DEFAULT.tokens(NO_ENVIRONMENT)).isEmpty();
        assertThat(new SluiceConfig(leftOut.smtp(), leftOut.listeners(), leftOut.backends()).admin()).isEmpty();
        assertThat(new SluiceConfig(leftOut.smtp(), leftOut.listeners(), leftOut.backends(), leftOut.cluster(),
                leftOut.policy()).admin()).isEmpty();
        assertThat(leftOut.withPolicy(ClusterConfig.STANDALONE, PolicyConfig.EMPTY).admin())
                .contains(AdminConfig.DEFAULT);
    }

    @Test
    void everyMistakeIsReportedWithPathAndLine() {
        ConfigException e = errors("""
                admin:
                  bind: "127.0.0.1"
                  token-file: no-such-file
                  token-env: 1-TOKENS
                  open-health: yes
                  open-metrics: 1
                  max-body-size: 100B
                  tokens: [alice]
                  max-connections: 0
                """, NO_ENVIRONMENT);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(2, "admin.bind",
                        "\"127.0.0.1\" (expected: host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25)"),
                tuple(3, "admin.token-file", "\"no-such-file\" (expected: the path of a readable file; "
                        + Path.of("no-such-file").toAbsolutePath() + " is not one)"),
                tuple(4, "admin.token-env",
                        "\"1-TOKENS\" (expected: an environment variable name such as SLUICE_ADMIN_TOKENS)"),
                tuple(5, "admin.open-health", "\"yes\" (expected: true or false)"),
                tuple(6, "admin.open-metrics", "\"1\" (expected: true or false)"),
                tuple(7, "admin.max-body-size", "\"100B\" (expected: a size from 1KiB to 64MiB, such as 1MiB)"),
                tuple(8, "admin.tokens", "unknown key (expected one of: bind, token-file, token-env, open-health,"
                        + " open-metrics, max-body-size, max-connections)"),
                tuple(9, "admin.max-connections", "\"0\" (expected: an integer 1-1024)"));
    }

    @Test
    void tokenFileProblemsNameTheLineAndNeverTheSecret() throws IOException {
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), """
                # operators of the mail platform

                alice:%s
                short:tooshort
                no-colon-%s
                bad name:%s
                alice:%s
                carol:%s
                dave:with space-0123456789
                """.formatted(ALICE, BOB, BOB, BOB, ALICE));

        ConfigException e = errors("admin: {token-file: " + tokens + "}\n", NO_ENVIRONMENT);

        String file = tokens + ": ";
        String secret = "(expected: a secret of at least 16 printable ASCII characters without spaces, commas or"
                + " ':')";
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(1, "admin.token-file", file + "line 4: the secret after ':' " + secret),
                tuple(1, "admin.token-file", file + "line 5: no ':' between name and secret " + ENTRY),
                tuple(1, "admin.token-file", file + "line 6: the name before ':' (expected: a name of letters,"
                        + " digits, '.', '_', '@' and '-', at most 64 characters)"),
                tuple(1, "admin.token-file", file + "line 7: the name \"alice\" again (expected: a name no other"
                        + " token has; line 3 of token-file has it)"),
                tuple(1, "admin.token-file", file + "line 8: the secret of line 3 of token-file again (expected: a"
                        + " secret of its own, so that the audit log names who made a change)"),
                tuple(1, "admin.token-file", file + "line 9: the secret after ':' " + secret));
        assertThat(e.getMessage()).doesNotContain(ALICE, BOB, "tooshort", "with space");
    }

    @Test
    void tokensFromTheEnvironmentAreSeparatedByLinesOrCommas() throws ConfigException {
        String value = "alice:" + ALICE + ",\n bob:" + BOB + " ,carol:carol-secret-0123456789\n";

        AdminConfig admin = ConfigLoader.parse("admin: {token-env: TOKENS}\n" + LISTENERS, "sluice.yaml",
                environment(Map.of("TOKENS", value))).admin().orElseThrow();

        assertThat(admin.tokens(environment(Map.of("TOKENS", value)))).containsExactly(new AdminToken("alice", ALICE),
                new AdminToken("bob", BOB), new AdminToken("carol", "carol-secret-0123456789"));
    }

    @Test
    void anUnsetOrMalformedVariableIsAnError() {
        ConfigException unset = errors("admin: {token-env: TOKENS}\n", NO_ENVIRONMENT);
        ConfigException malformed = errors("admin: {token-env: TOKENS}\n",
                environment(Map.of("TOKENS", "alice:" + ALICE + "," + BOB)));

        assertThat(unset.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(1, "admin.token-env",
                        "\"TOKENS\" (expected: an environment variable that is set, holding name:secret entries)"));
        assertThat(malformed.errors()).extracting(ConfigError::path, ConfigError::message).containsExactly(
                tuple("admin.token-env", "TOKENS: entry 2: no ':' between name and secret " + ENTRY));
        assertThat(malformed.getMessage()).doesNotContain(ALICE, BOB);
    }

    @Test
    void aNameInBothTheFileAndTheVariableIsAnError() throws IOException {
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), "alice:" + ALICE + "\n");

        ConfigException e = errors("admin:\n  token-file: " + tokens + "\n  token-env: TOKENS\n",
                environment(Map.of("TOKENS", "alice:" + BOB)));

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(3, "admin.token-env", "TOKENS: entry 1: the name \"alice\" again (expected: a name no other"
                        + " token has; line 1 of token-file has it)"));
    }

    @Test
    void scopesFollowTheSecretAndALineWithoutThemHasEveryScope() throws Exception {
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), """
                alice:%s
                ro:%s:read
                ops: %s : read, drain ,egress
                """.formatted(ALICE, BOB, "ops-secret-0123456789"));
        String variable = "bot:bot-secret-0123456789:overrides,policy,carol:carol-secret-0123456789,"
                + "dave:dave-secret-0123456789:read\n";

        AdminConfig admin = ConfigLoader.parse("admin: {token-file: " + tokens + ", token-env: TOKENS}\n" + LISTENERS,
                "sluice.yaml", environment(Map.of("TOKENS", variable))).admin().orElseThrow();

        assertThat(admin.tokens(environment(Map.of("TOKENS", variable)))).extracting(AdminToken::name,
                AdminToken::scopes).containsExactly(
                tuple("alice", AdminScope.ALL),
                tuple("ro", Set.of(AdminScope.READ)),
                tuple("ops", Set.of(AdminScope.READ, AdminScope.DRAIN, AdminScope.EGRESS)),
                tuple("bot", Set.of(AdminScope.OVERRIDES, AdminScope.POLICY)),
                tuple("carol", AdminScope.ALL),
                tuple("dave", Set.of(AdminScope.READ)));
    }

    @Test
    void anUnknownOrEmptyScopeIsAnErrorNamingFileAndLineButNotTheText() throws IOException {
        // Line 3: a secret with a ':' in it, as was allowed before scopes; what follows the ':' is not quoted.
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), """
                ro:%s:read,admin
                ops:%s:
                old:old-secret-0123456:789abcdef
                """.formatted(ALICE, BOB));

        ConfigException e = errors("admin:\n  token-file: " + tokens + "\n", NO_ENVIRONMENT);

        String scopes = "(expected: scopes separated by commas, each one of read, overrides, policy, drain, egress;"
                + " a line without a second ':' has every scope)";
        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(2, "admin.token-file", tokens + ": line 1: an unknown scope (2 of 2) after the second ':' "
                        + scopes),
                tuple(2, "admin.token-file", tokens + ": line 2: an empty scope (1 of 1) after the second ':' "
                        + scopes),
                tuple(2, "admin.token-file", tokens + ": line 3: an unknown scope (1 of 1) after the second ':' "
                        + scopes));
        assertThat(e.getMessage()).doesNotContain(ALICE, BOB, "789abcdef", "admin,");
    }

    @Test
    void theAdminListenerNeedsAnAddressOfItsOwn() {
        ConfigException same = errors("admin: {bind: \"127.0.0.1:2525\"}\n", NO_ENVIRONMENT);
        ConfigException byDefault = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(
                LISTENERS.replace("127.0.0.1:2525", "0.0.0.0:8025"), "sluice.yaml"));

        assertThat(same.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(1, "admin.bind", "\"127.0.0.1:2525\" (expected: an address no listener binds;"
                        + " listeners[0].bind is \"127.0.0.1:2525\")"));
        assertThat(byDefault.errors()).extracting(ConfigError::path, ConfigError::message).containsExactly(
                tuple("admin.bind", "\"127.0.0.1:8025\", the default, conflicts with listeners[0].bind is"
                        + " \"0.0.0.0:8025\" (expected: an admin.bind of its own)"));
    }

    @Test
    void tokensReadAtStartReportEveryProblemWithoutSecrets() throws IOException {
        Path tokens = Files.writeString(dir.resolve("admin-tokens"), "alice:" + ALICE + "\nbob\n");
        AdminConfig admin = AdminConfig.DEFAULT.withTokenFile(tokens);
        AdminConfig missing = new AdminConfig(AdminConfig.DEFAULT.bind(), Optional.empty(), Optional.of("TOKENS"),
                true, true, AdminConfig.DEFAULT_MAX_BODY_SIZE);

        assertThatThrownBy(() -> admin.tokens(NO_ENVIRONMENT)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(tokens + ": line 2: no ':' between name and secret")
                .hasMessageNotContaining(ALICE);
        assertThatThrownBy(() -> missing.tokens(NO_ENVIRONMENT)).hasMessage(
                "TOKENS: not set (expected: the admin tokens, name:secret[:scopes])");
        assertThat(new AdminToken("alice", ALICE).toString()).isEqualTo("alice:<secret>");
    }

    @Test
    void theRecordChecksItsValues() {
        HostPort bind = AdminConfig.DEFAULT.bind();
        assertThatThrownBy(() -> new AdminConfig(bind, Optional.empty(), Optional.of("A-B"), true, true, 1 << 20))
                .hasMessage("tokenEnv: \"A-B\" (expected: an environment variable name such as SLUICE_ADMIN_TOKENS)");
        assertThatThrownBy(() -> new AdminConfig(bind, Optional.empty(), Optional.empty(), true, true, 10))
                .hasMessage("maxBodySize: 10 (expected: 1024-67108864)");
        assertThatThrownBy(() -> new AdminToken("alice", "short")).hasMessage(
                "secret: (expected: a secret of at least 16 printable ASCII characters without spaces, commas or"
                        + " ':')");
        assertThatThrownBy(() -> new AdminToken("alice", ALICE, Set.of())).hasMessage(
                "scopes: [] (expected: one or more of read, overrides, policy, drain, egress)");
        assertThatThrownBy(() -> new AdminConfig(bind, Optional.empty(), Optional.empty(), true, true, 1 << 20, 0))
                .hasMessage("maxConnections: 0 (expected: 1-1024)");
        assertThat(AdminConfig.DEFAULT.withBind(new HostPort("127.0.0.1", 0)).bind().port()).isZero();
    }

    private static Function<String, String> environment(Map<String, String> variables) {
        return variables::get;
    }

    private static ConfigException errors(String yaml, Function<String, String> environment) {
        ConfigException e = catchThrowableOfType(ConfigException.class,
                () -> ConfigLoader.parse(yaml + LISTENERS, "admin.yaml", environment));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
