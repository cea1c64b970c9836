package io.sluice.proxy;

import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.SluiceConfig;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The {@code sluice} command line. */
@Command(name = "sluice", mixinStandardHelpOptions = true, version = "sluice 0.1.0",
        description = "Flow-control and egress-routing SMTP proxy.",
        subcommands = {Main.Run.class, Main.CheckConfig.class})
public final class Main {

    /** Exit status for a configuration that does not load. */
    static final int CONFIG_ERROR = 2;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Command(name = "run", description = "Run the proxy in the foreground until SIGTERM or SIGINT.")
    static final class Run implements Callable<Integer> {

        private static final Logger log = LoggerFactory.getLogger(Run.class);

        @Option(names = "--config", required = true, paramLabel = "FILE", description = "Configuration file (YAML).")
        Path config;

        @Override
        public Integer call() throws Exception {
            SluiceConfig loaded;
            try {
                loaded = ConfigLoader.load(config);
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return CONFIG_ERROR;
            }
            SluiceServer server = SluiceServer.start(loaded);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                log.info("stopping");
                server.close();
                stopped.countDown();
            }, "sluice-shutdown"));
            stopped.await();
            return 0;
        }
    }

    @Command(name = "check-config", description = "Validate a configuration file and report every error.")
    static final class CheckConfig implements Callable<Integer> {

        @Parameters(paramLabel = "FILE", description = "Configuration file (YAML).")
        Path config;

        @Override
        public Integer call() {
            try {
                ConfigLoader.load(config);
                System.out.println(config + ": ok");
                return 0;
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return CONFIG_ERROR;
            }
        }
    }
}
