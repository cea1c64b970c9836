package io.sluice.proxy;

import static net.logstash.logback.argument.StructuredArguments.kv;

import ch.qos.logback.classic.LoggerContext;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.DrainConfig;
import io.sluice.config.SluiceConfig;
import io.sluice.policy.cluster.HazelcastCallbacks;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import sun.misc.Signal;
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
    // Time after the drain's deadline for closing sessions and leaving the cluster.
    private static final long HALT_MARGIN_MILLIS = 1_800;
    // The longest the watchdog waits for the queued log lines before it halts.
    private static final long LOG_FLUSH_MILLIS = 2_000;

    // Logback's own start takes a few hundred milliseconds of a cold JVM: for `run` it runs on a thread of its own
    // while the command line is parsed and the configuration loads.
    private static final AtomicReference<Thread> LOGGING = new AtomicReference<>();

    public static void main(String[] args) {
        // First: Netty reads its settings once, when its classes load.
        NettyDefaults.apply();
        HazelcastCallbacks.useAPool();
        if (args.length > 0 && args[0].equals("run")) {
            startLogging();
        }
        System.exit(new CommandLine(new Main()).execute(args));
    }

    /** Starts Logback on a thread of its own, once; join the thread before asking for a logger. */
    private static Thread startLogging() {
        Thread thread = new Thread(LoggerFactory::getILoggerFactory, "sluice-log-start");
        if (LOGGING.compareAndSet(null, thread)) {
            thread.start();
        }
        return LOGGING.get();
    }

    @Command(name = "run", description = "Run the proxy in the foreground until SIGTERM or SIGINT.")
    static final class Run implements Callable<Integer> {

        @Option(names = "--config", required = true, paramLabel = "FILE", description = "Configuration file (YAML).")
        Path config;

        @Override
        public Integer call() throws Exception {
            // No logger is asked for before Logback has started: one would be a stand-in meanwhile.
            Thread logging = startLogging();
            SluiceConfig loaded;
            try {
                loaded = ConfigLoader.load(config);
            } catch (ConfigException e) {
                System.err.println(e.getMessage());
                return CONFIG_ERROR;
            } finally {
                logging.join();
            }
            Logger log = LoggerFactory.getLogger(Run.class);
            // SIGTERM (Kubernetes) and SIGINT (a terminal) both drain; a second one changes nothing. The handlers
            // are in place before the start: its listeners greet clients before it returns, and a signal then would
            // otherwise be the JVM's own (an exit without a drain). One that comes during the start drains once the
            // server is up; whichever of the handler and the start's end comes second starts it.
            AtomicBoolean signalled = new AtomicBoolean();
            AtomicReference<SluiceServer> started = new AtomicReference<>();
            AtomicBoolean draining = new AtomicBoolean();
            AtomicReference<Thread> watchdog = new AtomicReference<>();
            Runnable drainIfSignalled = () -> {
                SluiceServer up = started.get();
                if (up != null && signalled.get() && draining.compareAndSet(false, true)) {
                    up.state().startDrain();
                    watchdog.set(haltIfStuck(loaded.drain()));
                }
            };
            for (String name : List.of("TERM", "INT")) {
                Signal.handle(new Signal(name), signal -> {
                    log.info("signal received; draining", kv("signal", "SIG" + name));
                    signalled.set(true);
                    drainIfSignalled.run();
                });
            }
            SluiceServer server = SluiceServer.start(loaded);
            started.set(server);
            drainIfSignalled.run();
            server.stopped().join();
            // Stopped in time: the exit's own hooks write out the log, and no halt may cut them short.
            Thread stuck = watchdog.get();
            if (stuck != null) {
                stuck.interrupt();
            }
            log.info("stopped");
            return 0;
        }
    }

    /**
     * A last resort: the drain ends by itself at its deadline, so a process still here well after it is stuck
     * (a cluster that never lets go), and the orchestrator would kill it anyway.
     */
    private static Thread haltIfStuck(DrainConfig drain) {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(drain.announce().plus(drain.timeout()).plusMillis(HALT_MARGIN_MILLIS).toMillis());
            } catch (InterruptedException e) {
                return;
            }
            LoggerFactory.getLogger(Main.class).warn("drain did not finish in time; exiting now");
            // halt runs no shutdown hook: the log lines still queued for stdout are written out first, for a
            // bounded time (a stdout nobody reads would hold the halt back for good).
            if (LoggerFactory.getILoggerFactory() instanceof LoggerContext logback) {
                Thread flush = new Thread(logback::stop, "sluice-log-flush");
                flush.setDaemon(true);
                flush.start();
                try {
                    flush.join(LOG_FLUSH_MILLIS);
                } catch (InterruptedException e) {
                    // The drain ended after all: the exit's hooks write the log out.
                    return;
                }
            }
            Runtime.getRuntime().halt(0);
        }, "sluice-drain-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        return watchdog;
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
