package io.sluice.loadtest.sink;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/** The faults a sink injects, at most one per stage; shared by every connection. */
final class FaultPlan {

    static final FaultPlan NONE = new FaultPlan(List.of(), 0);

    private final Map<Fault.Stage, Fault> byStage = new EnumMap<>(Fault.Stage.class);
    private final long readBytesPerSecond;

    /** @param readBytesPerSecond how fast each connection is read, in bytes per second; 0 for no limit */
    FaultPlan(List<Fault> faults, long readBytesPerSecond) {
        for (Fault fault : faults) {
            if (byStage.putIfAbsent(fault.stage(), fault) != null) {
                throw new IllegalArgumentException("fault: two at " + fault.stage().name().toLowerCase(
                        java.util.Locale.ROOT) + " (expected: at most one per stage)");
            }
        }
        if (readBytesPerSecond < 0) {
            throw new IllegalArgumentException("readBytesPerSecond: " + readBytesPerSecond + " (expected: >= 0)");
        }
        this.readBytesPerSecond = readBytesPerSecond;
    }

    /** The fault that strikes this occurrence of {@code stage}, or null. */
    Fault strike(Fault.Stage stage) {
        Fault fault = byStage.get(stage);
        return fault != null && fault.strikes() ? fault : null;
    }

    long readBytesPerSecond() {
        return readBytesPerSecond;
    }

    boolean isEmpty() {
        return byStage.isEmpty() && readBytesPerSecond == 0;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        byStage.values().forEach(f -> text.append(text.length() == 0 ? "" : ", ").append(f));
        if (readBytesPerSecond > 0) {
            text.append(text.length() == 0 ? "" : ", ").append("reads at ").append(readBytesPerSecond).append(" B/s");
        }
        return text.length() == 0 ? "none" : text.toString();
    }
}
