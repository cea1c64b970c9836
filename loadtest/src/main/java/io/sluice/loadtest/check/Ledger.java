package io.sluice.loadtest.check;

import java.util.BitSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** The sink's record of every checked message it accepted, per generator run; thread-safe. */
public final class Ledger {

    /** Runs remembered at most, so that a sink running for weeks cannot grow without bound. */
    static final int MAX_RUNS = 1024;

    private final Map<String, Run> runs = new ConcurrentHashMap<>();
    private final LongAdder unchecked = new LongAdder();
    private final LongAdder overflow = new LongAdder();

    private static final class Run {
        final BitSet seen = new BitSet();
        long received;
        long duplicates;
        long corrupt;
    }

    /** A message accepted with a check header and the hash of the body actually received. */
    public void record(CheckHeader header, byte[] bodySha256) {
        Run run = runs.get(header.run());
        if (run == null) {
            if (runs.size() >= MAX_RUNS) {
                overflow.increment();
                return;
            }
            run = runs.computeIfAbsent(header.run(), r -> new Run());
        }
        synchronized (run) {
            run.received++;
            if (run.seen.get(header.seq())) {
                run.duplicates++;
            }
            run.seen.set(header.seq());
            if (!header.matches(bodySha256)) {
                run.corrupt++;
            }
        }
    }

    /** A message accepted without a (valid) check header. */
    public void recordUnchecked() {
        unchecked.increment();
    }

    public long unchecked() {
        return unchecked.sum();
    }

    /** Totals over every run: received, duplicates, corrupt. */
    public long[] totals() {
        long[] totals = new long[3];
        runs.values().forEach(run -> {
            synchronized (run) {
                totals[0] += run.received;
                totals[1] += run.duplicates;
                totals[2] += run.corrupt;
            }
        });
        return totals;
    }

    /** Holds the run's messages against those the generator saw admitted (by sequence number). */
    public CheckSummary compare(String runId, BitSet admitted) {
        Run run = runs.get(runId);
        if (run == null) {
            return new CheckSummary(admitted.cardinality(), 0, admitted.cardinality(), 0, 0, 0);
        }
        synchronized (run) {
            BitSet lost = (BitSet) admitted.clone();
            lost.andNot(run.seen);
            BitSet unconfirmed = (BitSet) run.seen.clone();
            unconfirmed.andNot(admitted);
            return new CheckSummary(admitted.cardinality(), run.received, lost.cardinality(), run.duplicates,
                    run.corrupt, unconfirmed.cardinality());
        }
    }
}
