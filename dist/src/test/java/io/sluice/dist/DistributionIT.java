package io.sluice.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sluice.testing.TestPorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball unpacks and runs Sluice on its own runtime, with no JDK reachable: a PATH holding only what the
 * launcher script calls, and no JAVA_HOME.
 */
@Timeout(120)
class DistributionIT {

    @TempDir
    static Path unpacked;
    @TempDir
    static Path bare;
    private static Path sluice;

    @BeforeAll
    static void unpack() throws Exception {
        Path tarball = Path.of(System.getProperty("dist.tarball"));
        assertThat(tarball).isRegularFile();
        Process tar = new ProcessBuilder("tar", "-xzf", tarball.toString(), "-C", unpacked.toString())
                .inheritIO().start();
        assertThat(tar.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(tar.exitValue()).isZero();
        sluice = unpacked.resolve("sluice/bin/sluice");
        // The launcher runs under /bin/sh and calls dirname; nothing else, least of all a java, is on this PATH.
        Files.createSymbolicLink(bare.resolve("dirname"), Path.of("/usr/bin/dirname"));
    }

    @Test
    void shipsARuntimeNotAJdk() {
        Path runtime = unpacked.resolve("sluice/runtime");

        assertThat(runtime.resolve("bin/java")).isExecutable();
        assertThat(runtime.resolve("bin/javac")).doesNotExist();
        assertThat(runtime.resolve("lib/src.zip")).doesNotExist();
    }

    @Test
    void checksTheExampleConfiguration() throws Exception {
        Result result = run(List.of("check-config", unpacked.resolve("sluice/examples/local.yaml").toString()),
                Duration.ofSeconds(60));

        assertThat(result.exit()).as(result.output()).isZero();
    }

    @Test
    void refusesABrokenConfigurationWithItsPath() throws Exception {
        Path broken = Files.writeString(unpacked.resolve("broken.yaml"),
                "listeners:\n  - {name: mx, role: inbound}\n");

        Result result = run(List.of("check-config", broken.toString()), Duration.ofSeconds(60));

        assertThat(result.exit()).isEqualTo(2);
        assertThat(result.output()).contains("listeners[0].bind");
    }

    @Test
    void sizesTheJvmFromTheContainersLimits() throws Exception {
        // As the chart sets them for a pod with limits.memory 1Gi and requests.cpu 500m.
        Result result = run(List.of(), Duration.ofSeconds(60), Map.of("SLUICE_MEMORY_LIMIT_BYTES", "1073741824",
                "SLUICE_CPU_REQUEST_MILLIS", "500", "SLUICE_JAVA_OPTS", "-XX:+PrintFlagsFinal -version"));

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(flag(result, "UseG1GC")).isEqualTo("true");
        assertThat(flag(result, "ActiveProcessorCount")).isEqualTo("1");
        assertThat(Long.parseLong(flag(result, "MaxDirectMemorySize"))).isEqualTo(1073741824L / 100 * 20);
        // 45% of the limit, rounded to the heap's alignment.
        assertThat(Long.parseLong(flag(result, "MaxHeapSize"))).isCloseTo(1073741824L * 45 / 100, within(4L << 20));
        // GC logging goes to stdout, one line per event with its time and tags.
        assertThat(result.output()).containsPattern("(?m)^\\[\\d{4}-\\d\\d-\\d\\dT[^]]+\\]\\[gc\\] Using G1$");
    }

    @Test
    void theOperatorsOptionsWinOverTheDefaults() throws Exception {
        Result result = run(List.of(), Duration.ofSeconds(60), Map.of("SLUICE_MEMORY_LIMIT_BYTES", "1073741824",
                "SLUICE_JAVA_OPTS", "-XX:+UseSerialGC -XX:MaxDirectMemorySize=64m -XX:+PrintFlagsFinal -version"));

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(flag(result, "UseSerialGC")).isEqualTo("true");
        assertThat(flag(result, "UseG1GC")).isEqualTo("false");
        assertThat(flag(result, "MaxDirectMemorySize")).isEqualTo(String.valueOf(64L << 20));
    }

    @Test
    void optionsThatOnlyMentionUseAndGcKeepG1() throws Exception {
        // 1 processor and 1 GiB: without G1 named, the JVM would pick Serial.
        Result result = run(List.of(), Duration.ofSeconds(60), Map.of("SLUICE_MEMORY_LIMIT_BYTES", "1073741824",
                "SLUICE_CPU_REQUEST_MILLIS", "500",
                "SLUICE_JAVA_OPTS", "-XX:+UseNUMA -XX:+DisableExplicitGC -XX:+PrintFlagsFinal -version"));

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(flag(result, "UseG1GC")).isEqualTo("true");
        assertThat(flag(result, "DisableExplicitGC")).isEqualTo("true");
    }

    @Test
    void noCpuRequestLeavesTheProcessorCountToTheJvm() throws Exception {
        // The downward API's requests.cpu of a container without a request.
        Result result = run(List.of(), Duration.ofSeconds(60), Map.of("SLUICE_CPU_REQUEST_MILLIS", "0",
                "SLUICE_JAVA_OPTS", "-XX:+PrintFlagsFinal -version"));

        assertThat(result.exit()).as(result.output()).isZero();
        assertThat(flag(result, "ActiveProcessorCount")).isEqualTo("-1");
    }

    private static String flag(Result result, String name) {
        Matcher line = Pattern.compile("(?m)^\\s*\\S+\\s+" + name + "\\s+= (\\S+)").matcher(result.output());
        assertThat(line.find()).as("%s in%n%s", name, result.output()).isTrue();
        return line.group(1);
    }

    @Test
    void runsTheExampleUntilSigtermAsTheImagesTrainingRunDoes() throws Exception {
        // The example on ports of this test's own.
        int smtp = TestPorts.freeOnLoopback();
        int admin = TestPorts.freeOnLoopback();
        int hazelcast = TestPorts.freeOnLoopback();
        String example = Files.readString(unpacked.resolve("sluice/examples/local.yaml"));
        Path config = Files.writeString(unpacked.resolve("run.yaml"), example
                .replace("\"127.0.0.1:2525\"", "\"127.0.0.1:" + smtp + "\"")
                .replace("\"127.0.0.1:8025\"", "\"127.0.0.1:" + admin + "\"")
                .replace("\"127.0.0.1:5701\"", "\"127.0.0.1:" + hazelcast + "\""));
        assertThat(Files.readString(config))
                .doesNotContain("\"127.0.0.1:2525\"", "\"127.0.0.1:8025\"", "\"127.0.0.1:5701\"");
        // The image's training run, by the same script: ready, one SMTP session, SIGTERM, the archive written.
        Path archive = unpacked.resolve("sluice/lib/sluice.jsa");
        Path log = unpacked.resolve("training.log");
        Process training = new ProcessBuilder("bash", Path.of("cds-training.sh").toAbsolutePath().toString(),
                unpacked.resolve("sluice").toString(), config.toString(), "127.0.0.1:" + admin, "127.0.0.1:" + smtp)
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            assertThat(training.waitFor(300, TimeUnit.SECONDS)).as("the training run ended").isTrue();
            String output = Files.readString(log);
            assertThat(training.exitValue()).as(output).isZero();
            assertThat(output).contains("draining", "cds-training: wrote " + archive)
                    .doesNotContain("did not finish");
        } finally {
            training.destroyForcibly();
        }
        // The runtime's archive (jlink) and the application's on top of it map: -Xshare:on refuses to start otherwise.
        assertThat(unpacked.resolve("sluice/runtime/lib/server/classes.jsa")).isRegularFile();
        assertThat(archive).isRegularFile();
        Result check = run(List.of("check-config", config.toString()), Duration.ofSeconds(60),
                Map.of("SLUICE_JAVA_OPTS", "-Xshare:on -Xlog:cds=info"));
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains(archive.toString());
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> args, Duration limit) throws Exception {
        return run(args, limit, Map.of());
    }

    private static Result run(List<String> args, Duration limit, Map<String, String> env) throws Exception {
        Path log = Files.createTempFile(unpacked, "out", ".log");
        Process process = start(args, log, env);
        boolean exited = process.waitFor(limit.toSeconds(), TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        assertThat(exited).as("%s finished", args).isTrue();
        return new Result(process.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
    }

    private static Process start(List<String> args, Path log) throws IOException {
        return start(args, log, Map.of());
    }

    private static Process start(List<String> args, Path log, Map<String, String> extra) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(new ArrayList<>(List.of(sluice.toString())));
        builder.command().addAll(args);
        Map<String, String> env = builder.environment();
        env.clear();
        env.put("PATH", bare.toString());
        env.put("HOME", unpacked.toString());
        env.putAll(extra);
        return builder.redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }
}
