package io.sluice.loadtest;

import io.sluice.loadtest.demo.DemoCommand;
import io.sluice.loadtest.load.LoadCommand;
import io.sluice.loadtest.sink.SinkCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Entry point of {@code sluice-loadtest.jar}: one subcommand per tool. */
@Command(name = "sluice-loadtest",
        description = "Load-test tools for Sluice.",
        subcommands = {DemoCommand.class, LoadCommand.class, SinkCommand.class, CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Spec
    private CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    public static void main(String[] args) {
        // Charts are drawn off screen; no display is needed or wanted.
        System.setProperty("java.awt.headless", "true");
        System.exit(commandLine().execute(args));
    }

    /** The command line with every subcommand, for {@link #main} and tests. */
    public static CommandLine commandLine() {
        return new CommandLine(new Main());
    }

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing required subcommand");
    }
}
