package io.sluice.proxy.smtp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The wire layer stays below the session: no source of {@code io.sluice.proxy.smtp} names
 * {@code io.sluice.proxy.session}, in an import or anywhere else. Read from the sources rather than the compiled
 * classes, which may keep a class that was moved away.
 */
class WireLayerDependenciesTest {

    private static final String SESSION = "io.sluice.proxy.session";

    @Test
    void noWireClassNamesTheSession() throws IOException, URISyntaxException {
        // target/classes, two levels below the module
        Path module = Path.of(SmtpReply.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .getParent().getParent();
        Path wire = module.resolve("src/main/java").resolve(SmtpReply.class.getPackageName().replace('.', '/'));
        List<Path> sources;
        try (Stream<Path> files = Files.list(wire)) {
            sources = files.filter(file -> file.toString().endsWith(".java")).toList();
        }
        // Not vacuous: the package's sources are there to read.
        assertThat(sources).as("sources of the wire layer").hasSizeGreaterThan(10)
                .contains(wire.resolve("SmtpReply.java"), wire.resolve("SmtpFrameDecoder.java"));

        List<String> upward = sources.stream().filter(WireLayerDependenciesTest::namesTheSession)
                .map(file -> file.getFileName().toString()).sorted().toList();

        assertThat(upward).as("wire sources that name the session").isEmpty();
    }

    private static boolean namesTheSession(Path source) {
        try {
            return Files.readString(source).contains(SESSION);
        } catch (IOException e) {
            throw new UncheckedIOException(source.toString(), e);
        }
    }
}
