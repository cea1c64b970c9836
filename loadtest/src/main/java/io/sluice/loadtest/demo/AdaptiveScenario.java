package io.sluice.loadtest.demo;

import io.sluice.loadtest.demo.DemoConfig.Admission;
import io.sluice.loadtest.load.LoadGenerator;
import io.sluice.loadtest.load.LoadPlan;
import io.sluice.loadtest.load.LoadResult;
import io.sluice.loadtest.load.RetrySchedule;
import io.sluice.loadtest.load.Schedule;
import io.sluice.loadtest.sink.CapacitySchedule;
import io.sluice.loadtest.sink.Sink;
import io.sluice.loadtest.sink.SinkRateLog;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code demo --scenario adaptive}: a backend whose capacity steps from HIGH down to LOW and back up, under an
 * overload of senders that retry what is deferred, once with adaptive admission in front of it and once with a
 * static limit of HIGH, one run after the other, each with its own proxy and sink.
 *
 * <p>The sink's time (the capacity's steps, the samples) starts when the load does: a calibration plateau far below
 * LOW measures the backend's unloaded latency, a ramp lets the overload begin, then three plateaus of HIGH, LOW and
 * HIGH. Every second the scenario samples the sink (accepted messages, p99 of the reply to the final dot) and the
 * proxy's admission gauges.
 */
final class AdaptiveScenario {

    /** The backend's pool in the demo's configuration, as its metrics name it. */
    static final String POOL = "sink";

    /**
     * @param high      the backend's capacity in the first and last plateau, and the static limit (messages/s)
     * @param low       the capacity in the middle plateau
     * @param overload  offered sessions/s as a multiple of {@code high}
     * @param retry     when senders retry a deferred message, in their time, run faster by its time scale
     */
    record Settings(int high, int low, int plateauSeconds, double overload, Duration serviceTime,
            int calibrationSeconds, int rampSeconds, int settleSeconds, RetrySchedule retry) {

        Settings {
            if (low < 1 || high <= low) {
                throw new IllegalArgumentException("--high " + high + ", --low " + low
                        + " (expected: high > low >= 1)");
            }
            if (plateauSeconds <= settleSeconds) {
                throw new IllegalArgumentException("--plateau " + plateauSeconds + " (expected: > " + settleSeconds
                        + " s, the settling time each plateau starts with)");
            }
            if (!(overload >= 1)) {
                throw new IllegalArgumentException("--overload " + overload + " (expected: >= 1)");
            }
        }

        double offered() {
            return high * overload;
        }

        /** When plateau {@code index} (0, 1, 2) starts, in seconds of the sink's time. */
        int plateauStart(int index) {
            return calibrationSeconds + rampSeconds + index * plateauSeconds;
        }

        int end() {
            return plateauStart(3);
        }

        /** The capacity of plateau {@code index}. */
        int capacityOf(int index) {
            return index == 1 ? low : high;
        }

        CapacitySchedule capacity() {
            return new CapacitySchedule(List.of(new CapacitySchedule.Step(high, Duration.ZERO),
                    new CapacitySchedule.Step(low, Duration.ofSeconds(plateauStart(1))),
                    new CapacitySchedule.Step(high, Duration.ofSeconds(plateauStart(2)))));
        }

        /** A light load over the calibration and half the ramp, then the overload to the last plateau's end. */
        Schedule load() {
            double light = low / 3.0;
            long lightMillis = calibrationSeconds * 1000L + rampSeconds * 500L;
            return new Schedule(List.of(new Schedule.Phase(light, light, Duration.ofMillis(lightMillis)),
                    new Schedule.Phase(offered(), offered(), Duration.ofMillis(end() * 1000L - lightMillis))));
        }
    }

    /**
     * One second of a run.
     *
     * @param at        seconds since the load started, at the sample
     * @param accepted  messages the backend accepted in the second
     * @param p99Millis p99 of the backend's replies to final dots in the second; 0 without any
     */
    record Sample(double at, double capacity, long accepted, double p99Millis, OptionalDouble limit,
            OptionalDouble inflight) {
    }

    /** What one run measured. */
    record Run(Admission admission, List<Sample> samples, LoadResult load) {
        Run {
            samples = List.copyOf(samples);
        }
    }

    private final Settings settings;
    private final Path proxyJar;
    private final PrintWriter err;

    AdaptiveScenario(Settings settings, Path proxyJar, PrintWriter err) {
        this.settings = settings;
        this.proxyJar = proxyJar;
        this.err = err;
    }

    /** Runs {@code admission}'s proxy against a fresh sink; results, configuration and log go under {@code dir}. */
    Run run(Admission admission, Path dir) throws IOException, InterruptedException {
        Path runDir = dir.resolve(admission.label());
        Files.createDirectories(runDir);
        CapacitySchedule capacity = settings.capacity();
        try (Sink sink = Sink.withCapacity(capacity, settings.serviceTime())) {
            int[] ports = FreePorts.pick(3);
            DemoConfig config = new DemoConfig(ports[0], sink.address().getPort(), ports[1], ports[2],
                    settings.high());
            Path configFile = runDir.resolve("sluice.yaml");
            Files.writeString(configFile, config.yaml(admission), StandardCharsets.UTF_8);
            err.printf("demo: %s: starting Sluice on 127.0.0.1:%d (config %s)%n", admission.label(),
                    config.listenPort(), configFile);
            err.flush();
            try (ProxyProcess proxy = ProxyProcess.start(proxyJar, configFile, runDir.resolve("sluice.log"))) {
                proxy.awaitGreeting(config.listenPort(), Duration.ofSeconds(90));
                AdmissionGauges gauges = new AdmissionGauges(config.adminPort(), POOL);
                List<Sample> samples = new ArrayList<>();
                ScheduledExecutorService sampler = Executors.newSingleThreadScheduledExecutor(task -> {
                    Thread thread = new Thread(task, "demo-sampler");
                    thread.setDaemon(true);
                    return thread;
                });
                sink.beginSchedule();
                sampler.scheduleAtFixedRate(() -> sample(admission, sink, gauges, capacity, samples),
                        1, 1, TimeUnit.SECONDS);
                LoadResult result;
                try {
                    result = new LoadGenerator(plan(config.listenPort()), Optional.of(sink), second -> { }).run();
                } finally {
                    sampler.shutdownNow();
                    sampler.awaitTermination(5, TimeUnit.SECONDS);
                }
                synchronized (samples) {
                    return new Run(admission, samples, result);
                }
            }
        }
    }

    private LoadPlan plan(int port) {
        // Messages wait at the static run's backend for as long as its queue takes to drain: up to a minute here.
        return LoadPlan.openLoop(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), settings.load())
                .withBounds(LoadPlan.DEFAULT_MAX_SESSIONS, Duration.ofSeconds(10), Duration.ofSeconds(90))
                .withSenders(Optional.of(settings.retry()), Optional.empty());
    }

    private void sample(Admission admission, Sink sink, AdmissionGauges gauges, CapacitySchedule capacity,
            List<Sample> samples) {
        try {
            SinkRateLog.Row row = sink.sampleSecond();
            // The sink's own time of the sample, since the schedule began: the gauges' answer may take a while.
            long now = TimeUnit.MILLISECONDS.toNanos(row.elapsedMillis());
            AdmissionGauges.Reading reading = gauges.read();
            Sample sample = new Sample(now / 1e9, capacity.rateAt(now), row.messages(), row.p99Micros() / 1000.0,
                    reading.limit(), reading.inflight());
            synchronized (samples) {
                samples.add(sample);
            }
            err.printf(Locale.ROOT, "demo: %-8s %5.0f s  capacity %4.0f/s  backend accepted %4d/s  p99 %8.1f ms%s%n",
                    admission.label(), sample.at(), sample.capacity(), sample.accepted(), sample.p99Millis(),
                    reading.limit().isPresent() ? String.format(Locale.ROOT, "  limit %3.0f  in flight %3.0f",
                            reading.limit().getAsDouble(), reading.inflight().orElse(0)) : "");
            err.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
