package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ConfigValidationTest {

    private static final String DURATION = "(expected: a positive duration such as 500ms, 10s, 5m, 1h or 2d)";
    private static final String HOST_PORT = "(expected: host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25)";

    @Test
    void everyMistakeIsReportedWithPathAndLine() {
        ConfigException e = errors("""
                smtp:
                  hostname: "bad host"
                  max-message-size: 10KiB
                  max-recipients: 50
                  max-errors: lots
                  bare-line-endings: strip
                  timeouts:
                    command: 0s
                    backend-greeting: 5 minutes
                    backend-data-block: 3m
                listeners:
                  - name: mx
                    role: inbound
                    bind: "127.0.0.1:2525"
                    backend-pool: mta
                  - name: mx
                    role: outbund
                    bind: "0.0.0.0:99999"
                    backend-pool: nowhere
                  - name: Bad_Name
                    bnd: "127.0.0.1:2527"
                    backend-pool: mta
                    proxy-protocol:
                      trusted: ["10.0.0.1/8", "not-a-cidr"]
                      timeout: 10
                backends:
                  mta:
                    servers: ["127.0.0.1:2526", "[::1]"]
                    xclient: yes
                    tls: ssl
                    connect-timeout: -1s
                    health-check: { interval: 10s, timout: 5s }
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(2, "smtp.hostname", "\"bad host\" (expected: a host name such as mx.example.net)"),
                tuple(3, "smtp.max-message-size",
                        "\"10KiB\" (expected: a size of at least 64KiB; RFC 5321 §4.5.3.1.7 requires 64K octets)"),
                tuple(4, "smtp.max-recipients",
                        "\"50\" (expected: an integer >= 100; RFC 5321 §4.5.3.1.8 requires 100 recipients)"),
                tuple(5, "smtp.max-errors", "\"lots\" (expected: an integer >= 1)"),
                tuple(6, "smtp.bare-line-endings", "\"strip\" (expected: one of: reject, normalize)"),
                tuple(8, "smtp.timeouts.command", "\"0s\" " + DURATION),
                tuple(9, "smtp.timeouts.backend-greeting", "\"5 minutes\" " + DURATION),
                tuple(16, "listeners[1].name",
                        "\"mx\" (expected: a name no other listener has; listeners[0].name is also \"mx\")"),
                tuple(17, "listeners[1].role", "\"outbund\" (expected: one of: inbound, outbound)"),
                tuple(18, "listeners[1].bind", "\"0.0.0.0:99999\" (expected: port 1-65535)"),
                tuple(19, "listeners[1].backend-pool",
                        "\"nowhere\" (expected: the name of a pool under backends: mta)"),
                tuple(20, "listeners[2].name",
                        "\"Bad_Name\" (expected: a name of a-z, 0-9 and '-', not starting with '-')"),
                tuple(20, "listeners[2].role", "missing (expected: one of: inbound, outbound)"),
                tuple(20, "listeners[2].bind", "missing " + HOST_PORT),
                tuple(21, "listeners[2].bnd",
                        "unknown key (expected one of: name, role, bind, backend-pool, proxy-protocol, tls)"),
                tuple(24, "listeners[2].proxy-protocol.trusted[0]",
                        "\"10.0.0.1/8\" (expected: no host bits set, as in 10.0.0.0/8)"),
                tuple(24, "listeners[2].proxy-protocol.trusted[1]",
                        "\"not-a-cidr\" (expected: a CIDR such as 10.0.0.0/8 or fd00::/8, or a single address)"),
                tuple(25, "listeners[2].proxy-protocol.timeout", "\"10\" " + DURATION),
                tuple(28, "backends.mta.servers[1]", "\"[::1]\" " + HOST_PORT),
                tuple(29, "backends.mta.xclient", "\"yes\" (expected: true or false)"),
                tuple(30, "backends.mta.tls", "\"ssl\" (expected: one of: none, starttls)"),
                tuple(31, "backends.mta.connect-timeout", "\"-1s\" " + DURATION),
                tuple(32, "backends.mta.health-check.timout", "unknown key (expected one of: interval, timeout)"));
        assertThat(e.errors()).extracting(ConfigError::source).containsOnly("many.yaml");
    }

    @Test
    void messageHasOneLinePerError() {
        ConfigException e = errors("""
                listeners:
                  - name: mx
                    role: inbound
                    bind: "127.0.0.1:2525"
                    backend-pool: mta
                  - name: other
                    role: inbound
                    bind: "0.0.0.0:99999"
                    backend-pool: mta
                    tls: {cert: x}
                backends:
                  mta:
                    servers: ["127.0.0.1:2526"]
                """);

        assertThat(e.getMessage()).isEqualTo("""
                many.yaml: listeners[1].bind: "0.0.0.0:99999" (expected: port 1-65535) at line 8
                many.yaml: listeners[1].tls.cert: "x" (expected: the path of a readable file; %s is not one) at line 10
                many.yaml: listeners[1].tls.key: missing (expected: the path of a readable file) at line 10"""
                .formatted(Path.of("x").toAbsolutePath()));
    }

    @Test
    void unknownKeysAreReportedAtEveryLevel() {
        ConfigException e = errors("""
                smpt: {}
                smtp:
                  host-name: mx
                  timeouts: {cmd: 5m}
                listeners:
                  - name: mx
                    role: inbound
                    bind: "127.0.0.1:2525"
                    backend-pool: mta
                    proxy-protocol: {trusted: ["10.0.0.0/8"], timout: 5s}
                backends:
                  mta:
                    servers: ["127.0.0.1:2526"]
                    health-check: {}
                    retries: 3
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(1, "smpt", "unknown key (expected one of: smtp, listeners, backends, cluster, policy,"
                        + " admin, drain, egress)"),
                tuple(3, "smtp.host-name", "unknown key (expected one of: hostname, max-message-size, max-recipients,"
                        + " max-errors, max-transactions, bare-line-endings, timeouts)"),
                tuple(4, "smtp.timeouts.cmd", "unknown key (expected one of: command, backend-greeting,"
                        + " backend-command, backend-data-init, backend-data-block, backend-data-termination)"),
                tuple(10, "listeners[0].proxy-protocol.timout", "unknown key (expected one of: trusted, timeout)"),
                tuple(15, "backends.mta.retries",
                        "unknown key (expected one of: servers, xclient, tls, connect-timeout, health-check, reuse,"
                                + " admission)"));
    }

    @Test
    void wrongTypesAreReported() {
        ConfigException e = errors("""
                smtp: [1, 2]
                listeners:
                  name: mx
                backends:
                  mta:
                    servers: "127.0.0.1:2526"
                    xclient: [true]
                    connect-timeout: { s: 5 }
                  other: [1]
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(1, "smtp", "a list (expected: a mapping)"),
                tuple(2, "listeners", "a mapping (expected: a list of at least one listener)"),
                tuple(6, "backends.mta.servers", "\"127.0.0.1:2526\" (expected: a list of at least one host:port)"),
                tuple(7, "backends.mta.xclient", "a list (expected: true or false)"),
                tuple(8, "backends.mta.connect-timeout", "a mapping " + DURATION),
                tuple(9, "backends.other", "a list (expected: a mapping)"));
    }

    @Test
    void listItemsOfTheWrongTypeAndEmptyListsAreReported() {
        ConfigException e = errors("""
                listeners: ["mx"]
                backends:
                  mta:
                    servers: []
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(1, "listeners[0]", "\"mx\" (expected: a mapping)"),
                tuple(4, "backends.mta.servers", "an empty list (expected: a list of at least one host:port)"));
    }

    @Test
    void missingKeysAreReportedAtTheirMapping() {
        ConfigException e = errors("""
                # comment lines count
                backends:
                  mta: {}
                  spare:
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(2, "listeners", "missing (expected: a list of at least one listener)"),
                tuple(3, "backends.mta.servers", "missing (expected: a list of at least one host:port)"),
                tuple(4, "backends.spare.servers", "missing (expected: a list of at least one host:port)"));
    }

    @Test
    void listenersMustNotCollide() {
        ConfigException e = errors("""
                listeners:
                  - {name: a, role: inbound, bind: "0.0.0.0:25", backend-pool: mta}
                  - {name: b, role: inbound, bind: "[::]:25", backend-pool: mta}
                  - {name: c, role: inbound, bind: "127.0.0.1:26", backend-pool: mta}
                  - {name: d, role: inbound, bind: "127.0.0.2:26", backend-pool: mta}
                  - {name: e, role: inbound, bind: "LocalHost:27", backend-pool: mta}
                  - {name: f, role: inbound, bind: "localhost:27", backend-pool: mta}
                  - {name: g, role: inbound, bind: "[::1]:28", backend-pool: mta}
                  - {name: h, role: inbound, bind: "[0:0:0:0:0:0:0:1]:28", backend-pool: mta}
                backends:
                  mta: {servers: ["127.0.0.1:2526"]}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(3, "listeners[1].bind", "\"[::]:25\" (expected: an address no other listener binds;"
                        + " listeners[0].bind is \"0.0.0.0:25\")"),
                tuple(7, "listeners[5].bind", "\"localhost:27\" (expected: an address no other listener binds;"
                        + " listeners[4].bind is \"LocalHost:27\")"),
                tuple(9, "listeners[7].bind", "\"[0:0:0:0:0:0:0:1]:28\" (expected: an address no other listener binds;"
                        + " listeners[6].bind is \"[::1]:28\")"));
    }

    @Test
    void poolNamesAreCheckedAndReferencesMustResolve() {
        ConfigException e = errors("""
                listeners:
                  - {name: a, role: inbound, bind: "127.0.0.1:25", backend-pool: My_Pool}
                backends:
                  My_Pool: {servers: ["127.0.0.1:2526"]}
                """);
        ConfigException noPools = errors("""
                listeners:
                  - {name: a, role: inbound, bind: "127.0.0.1:25", backend-pool: mta}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(4, "backends", "\"My_Pool\" (expected: a name of a-z, 0-9 and '-', not starting with '-')"));
        assertThat(noPools.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(2, "listeners[0].backend-pool",
                        "\"mta\" (expected: the name of a pool under backends, which has none)"));
    }

    @Test
    void syntaxErrorsReportTheParsersLine() {
        ConfigException badIndent = errors("""
                smtp:
                  hostname: mx.example.net
                    max-errors: 5
                """);
        ConfigException unclosed = errors("""
                listeners: [
                  {name: mx
                """);
        ConfigException tab = errors("smtp:\n\thostname: mx\n");

        assertThat(badIndent.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .containsExactly(tuple(3, "", "invalid YAML: mapping values are not allowed here"));
        assertThat(badIndent.getMessage())
                .isEqualTo("many.yaml: invalid YAML: mapping values are not allowed here at line 3");
        assertThat(unclosed.errors()).extracting(ConfigError::line, ConfigError::message).containsExactly(tuple(3,
                "invalid YAML: while parsing a flow mapping from line 2: expected ',' or '}', but got <stream end>"));
        assertThat(tab.errors()).singleElement().satisfies(error -> {
            assertThat(error.line()).isEqualTo(2);
            assertThat(error.message()).startsWith("invalid YAML: ").contains("TAB").doesNotContain("\n", "\t");
        });
    }

    @Test
    void duplicateKeysAreErrorsAndReadingGoesOn() {
        ConfigException e = errors("""
                smtp:
                  max-errors: 5
                  max-errors: 6
                listeners: []
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(3, "smtp.max-errors", "duplicate key (expected: each key once; first at line 2)"),
                tuple(4, "listeners", "an empty list (expected: a list of at least one listener)"));
    }

    @Test
    void aliasesTagsAndSecondDocumentsAreRefused() {
        ConfigException alias = errors("""
                backends:
                  mta: &pool
                    servers: ["127.0.0.1:1"]
                  other: *pool
                """);
        ConfigException tags = errors("""
                smtp:
                  max-errors: !!int 5
                  hostname: !foo mx
                """);
        ConfigException documents = errors("smtp: {}\n---\nsmtp: {}\n");

        assertThat(alias.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).contains(
                tuple(4, "backends.other", "alias *pool (expected: a value written out; aliases are not supported)"));
        assertThat(tags.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).contains(
                tuple(2, "smtp.max-errors", "tag !!int (expected: a value without a tag)"),
                tuple(3, "smtp.hostname", "tag !foo (expected: a value without a tag)"));
        assertThat(documents.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message)
                .contains(tuple(3, "", "a second YAML document (expected: one document per file)"));
    }

    @Test
    void emptyFilesAndOtherRootsAreReported() {
        assertThat(errors("").getMessage())
                .isEqualTo("many.yaml: empty file (expected: a mapping with listeners and backends)");
        assertThat(errors("# only a comment\n").errors()).extracting(ConfigError::line).containsExactly(0);
        assertThat(errors("\n\n- a\n").getMessage()).isEqualTo("many.yaml: a list (expected: a mapping) at line 3");
    }

    @Test
    void quotedNumbersAreAcceptedButOtherNumberFormsAreNot() throws ConfigException {
        String listeners = """
                listeners:
                  - {name: mx, role: inbound, bind: "127.0.0.1:25", backend-pool: m}
                backends: {m: {servers: ["127.0.0.1:26"]}}
                """;
        SluiceConfig quoted = ConfigLoader.parse("smtp: {max-recipients: \"150\", max-message-size: 70000}\n"
                + listeners, "q.yaml");
        ConfigException other = errors("smtp: {max-recipients: 1.5e3, max-errors: 0x10, max-message-size: 1.5MiB}\n"
                + listeners);

        assertThat(quoted.smtp().maxRecipients()).isEqualTo(150);
        assertThat(quoted.smtp().maxMessageSize()).isEqualTo(70_000);
        // All on one line: errors of one line keep the order the keys are read in.
        assertThat(other.errors()).extracting(ConfigError::path).containsExactly(
                "smtp.max-message-size", "smtp.max-recipients", "smtp.max-errors");
    }

    private static ConfigException errors(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "many.yaml"));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
