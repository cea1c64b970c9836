package io.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.proxy.smtp.SmtpReply;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The proxy's packages are layered as the README's table says: the wire ({@code smtp}), the session, the relay,
 * and the two kinds of next hop, each knowing only the layers below it, and the next hops not each other. Read from
 * the sources rather than the compiled classes, which may keep a class that was moved away.
 */
class PackageLayersTest {

    // What each package must never name, in an import or anywhere else.
    private static final Map<String, List<String>> ABOVE = Map.of(
            "smtp", List.of("session", "relay", "inbound", "egress", "admin", "lifecycle"),
            "session", List.of("relay", "inbound", "egress", "admin", "lifecycle"),
            "relay", List.of("inbound", "egress", "admin"),
            "inbound", List.of("egress", "admin"),
            "egress", List.of("inbound", "admin"));

    @ParameterizedTest
    @CsvSource({"smtp, SmtpFrameDecoder.java", "session, SmtpSession.java", "relay, SessionDriver.java",
            "inbound, BackendHop.java", "egress, MxHop.java"})
    void noPackageNamesALayerAboveIt(String name, String known) throws IOException, URISyntaxException {
        // target/classes, two levels below the module
        Path module = Path.of(SmtpReply.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getParent().getParent();
        Path layer = module.resolve("src/main/java/io/sluice/proxy").resolve(name);
        List<Path> sources;
        try (Stream<Path> files = Files.list(layer)) {
            sources = files.filter(file -> file.toString().endsWith(".java")).toList();
        }
        // Not vacuous: the package's sources are there to read.
        assertThat(sources).as("sources of %s", name).contains(layer.resolve(known));

        for (String above : ABOVE.get(name)) {
            String named = "io.sluice.proxy." + above + ".";
            List<String> upward = sources.stream().filter(source -> read(source).contains(named))
                    .map(source -> source.getFileName().toString()).sorted().toList();
            assertThat(upward).as("sources of %s that name %s", name, above).isEmpty();
        }
    }

    private static String read(Path source) {
        try {
            return Files.readString(source);
        } catch (IOException e) {
            throw new UncheckedIOException(source.toString(), e);
        }
    }
}
