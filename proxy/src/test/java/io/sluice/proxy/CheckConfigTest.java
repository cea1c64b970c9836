package io.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code sluice check-config FILE} as an operator runs it: a process of its own, its exit status and its output. */
class CheckConfigTest {

    private static final String CONFIG = """
            listeners:
              - name: mx
                role: inbound
                bind: "127.0.0.1:2525"
                backend-pool: mta
                proxy-protocol: {trusted: [%s]}
              - name: relay
                role: outbound
                bind: "127.0.0.1:10025"
                egress-pool: normal
                allowed-clients: [%s]
            backends:
              mta: {servers: ["127.0.0.1:2526"]}
            egress:
              pools:
                normal: {sources: [{address: 127.0.0.10, helo: out1.example.net}]}
            """;

    @TempDir
    Path dir;

    private record Result(int exit, String out, String err) {
    }

    @Test
    void refusesARelayForEveryoneAndProxyHeadersFromAnyoneWithKeyPathsAndLines() throws Exception {
        Path config = Files.writeString(dir.resolve("open.yaml"),
                CONFIG.formatted("\"::/0\"", "\"0.0.0.0/1\", \"128.0.0.0/1\""));

        Result result = checkConfig(config);

        assertThat(result.exit()).as(result.err()).isEqualTo(Main.CONFIG_ERROR);
        assertThat(result.out()).isEmpty();
        assertThat(result.err()).contains(
                config + ": listeners[0].proxy-protocol.trusted[0]: \"::/0\" (expected: the load balancers' own"
                        + " addresses, not every address",
                config + ": listeners[1].allowed-clients: [\"0.0.0.0/1\", \"128.0.0.0/1\"] admit every IPv4 address"
                        + " (expected: a network of the MTAs that relay through Sluice, not every address (an open"
                        + " relay)) at line 11");
        assertThat(result.err()).containsSubsequence("at line 6", "at line 11");
    }

    @Test
    void refusesARelayWiderThanASlash8WithItsSize() throws Exception {
        Path config = Files.writeString(dir.resolve("wide.yaml"),
                CONFIG.formatted("\"10.10.0.0/24\"", "\"10.0.0.0/8\", \"172.16.0.0/12\""));

        Result result = checkConfig(config);

        assertThat(result.exit()).as(result.err()).isEqualTo(Main.CONFIG_ERROR);
        assertThat(result.err()).contains(config + ": listeners[1].allowed-clients: [\"10.0.0.0/8\","
                + " \"172.16.0.0/12\"] admit 17825792 IPv4 addresses (expected: at most 2^24 IPv4 addresses (a /8)");
    }

    @Test
    void acceptsTheMtasOwnNetworks() throws Exception {
        Path config = Files.writeString(dir.resolve("narrow.yaml"),
                CONFIG.formatted("\"10.10.0.0/24\"", "\"10.245.16.0/24\", \"2001:db8:0:1::/64\""));

        Result result = checkConfig(config);

        assertThat(result.exit()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo(config + ": ok\n");
    }

    private Result checkConfig(Path config) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Path out = dir.resolve(config.getFileName() + ".out");
        Path err = dir.resolve(config.getFileName() + ".err");
        Process process = new ProcessBuilder(List.of(java, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "check-config", config.toString()))
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("check-config still running after 60 s; its output:\n" + Files.readString(err));
        }
        return new Result(process.exitValue(), Files.readString(out), Files.readString(err));
    }
}
