package io.sluice.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.tuple;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Plays an operator (or an attacker who edits the file) who lets everyone in: relay lists that together cover more
 * than a /8 or a /32, or every address, and PROXY headers believed from anyone.
 */
class PeerNetworksBindingTest {

    private static final String RELAY = """
            listeners:
              - name: relay
                role: outbound
                bind: "127.0.0.1:10025"
                egress-pool: normal
                allowed-clients: [%s]%s
            egress:
              pools:
                normal: {sources: [{address: 127.0.0.10, helo: out1.example.net}]}
            """;
    private static final String OPEN_RELAY = "(expected: a network of the MTAs that relay through Sluice, not every"
            + " address (an open relay))";
    private static final String WIDE_RELAY = "(expected: at most 2^24 IPv4 addresses (a /8) and 2^96 IPv6 (a /32),"
            + " the MTAs' own networks; or allowed-clients-open: true on this listener to relay for every one of them)";
    private static final String TRUSTED = "(expected: the load balancers' own addresses, not every address: a PROXY"
            + " header from anyone lets any client choose the address Sluice sees)";

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            two halves of IPv4          | "0.0.0.0/1", "128.0.0.0/1"                       | every IPv4 address
            halves in IPv4-mapped form  | "::ffff:0.0.0.0/97", "::ffff:128.0.0.0/97"       | every IPv4 address
            one mapped, one plain half  | "::ffff:0:0/97", "128.0.0.0/1"                   | every IPv4 address
            quarters, one twice         | "0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1", "64.0.0.0/2" | every IPv4 address
            two halves of IPv6          | "::/1", "8000::/1"                               | every IPv6 address
            """)
    void aListOfEveryoneIsRefusedEvenWhenAcknowledged(String attack, String cidrs, String covered) {
        ConfigException e = errors(RELAY.formatted(cidrs, "\n    allowed-clients-open: true"));

        assertThat(e.errors()).singleElement().satisfies(error -> {
            assertThat(error.path()).isEqualTo("listeners[0].allowed-clients");
            assertThat(error.line()).isEqualTo(6);
            assertThat(error.message()).endsWith(" admit " + covered + " " + OPEN_RELAY);
        });
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            two /8s                   | "10.0.0.0/8", "11.0.0.0/8"           | "10.0.0.0/8", "11.0.0.0/8"          | 2^25 IPv4
            a /7                      | "10.0.0.0/7"                         | "10.0.0.0/7"                        | 2^25 IPv4
            a /8 and one more host    | "10.0.0.0/8", "192.0.2.1"            | "10.0.0.0/8", "192.0.2.1/32"        | 16777217 IPv4
            a /8 again as mapped IPv6 | "10.0.0.0/8", "::ffff:11.0.0.0/104"  | "10.0.0.0/8", "11.0.0.0/8"          | 2^25 IPv4
            two /32s of IPv6          | "2001:db8::/32", "2001:db9::/32"     | "2001:db8:0:0:0:0:0:0/32", "2001:db9:0:0:0:0:0:0/32" | 2^97 IPv6
            a /31 of IPv6 and a host  | "2001:db8::/31", "2001:db7::1"       | "2001:db8:0:0:0:0:0:0/31", "2001:db7:0:0:0:0:0:1/128" | more than 2^97 IPv6
            both families             | "10.0.0.0/7", "2001:db8::/31"        | "10.0.0.0/7", "2001:db8:0:0:0:0:0:0/31" | 2^25 IPv4 and 2^97 IPv6
            """)
    void aListWiderThanASlash8IsRefusedWithItsSizeAndTheLimit(String attack, String cidrs, String found, String size) {
        ConfigException e = errors(RELAY.formatted(cidrs, ""));

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(6, "listeners[0].allowed-clients", "[" + found + "] admit " + size + " addresses " + WIDE_RELAY));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            one /8                          | "10.0.0.0/8"
            a /8 in pieces, overlapping     | "10.0.0.0/9", "10.128.0.0/9", "10.0.0.0/8", "10.1.2.0/24", "10.0.0.0/9"
            a /8 as mapped IPv6 and as IPv4 | "::ffff:10.0.0.0/104", "10.0.0.0/8"
            a /8 and a /32 of IPv6          | "10.0.0.0/8", "2001:db8::/32"
            a /32 of IPv6 from halves       | "2001:db8::/33", "2001:db8:8000::/33", "2001:db8::/48"
            """)
    void aListOfAtMostASlash8CountsOverlapsOnce(String list, String cidrs) {
        assertThatCode(() -> ConfigLoader.parse(RELAY.formatted(cidrs, ""), "relay.yaml")).doesNotThrowAnyException();
    }

    @Test
    void theAcknowledgementLetsAWideListThrough() throws Exception {
        SluiceConfig config = ConfigLoader.parse(RELAY.formatted("\"10.0.0.0/7\"", "\n    allowed-clients-open: true"),
                "relay.yaml");

        assertThat(config.listeners().get(0).allowedClients()).containsExactly(Cidr.parse("10.0.0.0/7"));
    }

    @Test
    void theAcknowledgementIsABooleanOfOutboundListenersOnly() {
        ConfigException e = errors("""
                listeners:
                  - {name: relay, role: outbound, bind: "127.0.0.1:10025", egress-pool: normal,
                     allowed-clients: ["10.0.0.0/7"], allowed-clients-open: yes}
                  - {name: mx, role: inbound, bind: "127.0.0.1:2525", backend-pool: mta, allowed-clients-open: true}
                backends:
                  mta: {servers: ["127.0.0.1:2526"]}
                egress:
                  pools:
                    normal: {sources: [{address: 127.0.0.10, helo: out1.example.net}]}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(3, "listeners[0].allowed-clients-open", "\"yes\" (expected: true or false)"),
                tuple(3, "listeners[0].allowed-clients", "[\"10.0.0.0/7\"] admit 2^25 IPv4 addresses " + WIDE_RELAY),
                tuple(4, "listeners[1].allowed-clients-open",
                        "unknown key (expected one of: name, role, bind, backend-pool, proxy-protocol, tls)"));
    }

    @Test
    void proxyHeadersFromEveryoneAreRefusedItemByItemAndAsAUnion() {
        ConfigException e = errors("""
                listeners:
                  - name: mx
                    role: inbound
                    bind: "127.0.0.1:2525"
                    backend-pool: mta
                    proxy-protocol:
                      trusted:
                        - "10.10.0.0/24"
                        - "0.0.0.0/0"
                        - "::/0"
                  - name: mx2
                    role: inbound
                    bind: "127.0.0.1:2526"
                    backend-pool: mta
                    proxy-protocol: {trusted: ["0.0.0.0/1", "::ffff:128.0.0.0/97"]}
                  - name: mx3
                    role: inbound
                    bind: "127.0.0.1:2527"
                    backend-pool: mta
                    proxy-protocol: {trusted: ["::/1", "8000::/1", "10.0.0.0/8"]}
                backends:
                  mta: {servers: ["127.0.0.1:2528"]}
                """);

        assertThat(e.errors()).extracting(ConfigError::line, ConfigError::path, ConfigError::message).containsExactly(
                tuple(9, "listeners[0].proxy-protocol.trusted[1]", "\"0.0.0.0/0\" " + TRUSTED),
                tuple(10, "listeners[0].proxy-protocol.trusted[2]", "\"::/0\" " + TRUSTED),
                tuple(15, "listeners[1].proxy-protocol.trusted",
                        "[\"0.0.0.0/1\", \"128.0.0.0/1\"] admit every IPv4 address " + TRUSTED),
                tuple(20, "listeners[2].proxy-protocol.trusted",
                        "[\"0:0:0:0:0:0:0:0/1\", \"8000:0:0:0:0:0:0:0/1\", \"10.0.0.0/8\"] admit every IPv6 address "
                                + TRUSTED));
    }

    @Test
    void theErrorNamesTheFileTheKeyPathAndTheLine() throws Exception {
        Path file = Files.writeString(dir.resolve("relay.yaml"), RELAY.formatted("\"0.0.0.0/1\", \"128.0.0.0/1\"", ""));

        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.load(file));

        assertThat(e.getMessage()).contains(file + ": listeners[0].allowed-clients: [\"0.0.0.0/1\", \"128.0.0.0/1\"]"
                + " admit every IPv4 address " + OPEN_RELAY + " at line 6");
    }

    @Test
    void recordsRefuseEveryAddressHoweverTheyAreBuilt() {
        List<Cidr> halves = List.of(Cidr.parse("0.0.0.0/1"), Cidr.parse("128.0.0.0/1"));

        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> ListenerConfig.outbound("relay",
                new HostPort("127.0.0.1", 0), "normal", halves))).hasMessageContaining("not every address");
        assertThat(catchThrowableOfType(IllegalArgumentException.class, () -> new ProxyProtocolConfig(
                List.of(Cidr.parse("::/1"), Cidr.parse("8000::/1")), Duration.ofSeconds(5))))
                .hasMessageContaining("not every address");
    }

    private static ConfigException errors(String yaml) {
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.parse(yaml, "relay.yaml"));
        assertThat(e).as("ConfigException for:%n%s", yaml).isNotNull();
        return e;
    }
}
