package io.sluice.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class MainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine commandLine = Main.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute(args);
    }

    @Test
    void sinkHelpListsItsOptions() {
        assertThat(run("sink", "--help")).isZero();
        assertThat(out.toString()).contains("--listen=HOST:PORT", "--hostname=NAME", "--report-interval=DURATION",
                "--threads=N");
    }

    @Test
    void sinkNeedsAListenAddress() {
        assertThat(run("sink")).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required option: '--listen=HOST:PORT'");
    }

    @Test
    void sinkExplainsABadListenAddress() {
        assertThat(run("sink", "--listen", "2526")).isEqualTo(2);
        assertThat(err.toString()).contains("\"2526\" (expected: HOST:PORT");
    }

    @Test
    void sinkRefusesAHostnameWithSpaces() {
        assertThat(run("sink", "--listen", "127.0.0.1:0", "--hostname", "a b")).isEqualTo(2);
        assertThat(err.toString()).contains("--hostname: \"a b\" (expected: printable ASCII without spaces)");
    }

    @Test
    void sinkReportsAPortInUseAsAnError() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThat(run("sink", "--listen", "127.0.0.1:" + taken.getLocalPort())).isEqualTo(1);
        }
        assertThat(err.toString()).startsWith("sink: cannot listen on 127.0.0.1:");
    }

    @Test
    void withoutASubcommandItSaysWhatIsMissing() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString()).contains("Missing required subcommand").contains("sink");
    }
}
