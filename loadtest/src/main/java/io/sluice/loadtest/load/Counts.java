package io.sluice.loadtest.load;

/**
 * Cumulative counters of a run at one instant. Messages are counted at the end of their session's attempt
 * at them; {@code messagesOffered} when their session starts.
 */
public record Counts(long sessionsStarted, long sessionsEnded, long messagesOffered, long admitted, long tempfailed,
        long rejected, long errors) {

    public static final Counts ZERO = new Counts(0, 0, 0, 0, 0, 0, 0);

    /** Messages refused by the server, temporarily or for good. */
    public long refused() {
        return tempfailed + rejected;
    }

    /** Sessions started and not yet ended. */
    public long openSessions() {
        return sessionsStarted - sessionsEnded;
    }

    /** Messages that ended, whatever the outcome. */
    public long messagesEnded() {
        return admitted + tempfailed + rejected + errors;
    }

    /** Counts since {@code earlier}. */
    public Counts minus(Counts earlier) {
        return new Counts(sessionsStarted - earlier.sessionsStarted, sessionsEnded - earlier.sessionsEnded,
                messagesOffered - earlier.messagesOffered, admitted - earlier.admitted,
                tempfailed - earlier.tempfailed, rejected - earlier.rejected, errors - earlier.errors);
    }
}
