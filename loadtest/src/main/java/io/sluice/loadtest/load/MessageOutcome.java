package io.sluice.loadtest.load;

/** How one message of a session ended, from the client's side. */
public enum MessageOutcome {
    /** 250 after the final dot: the server took responsibility for it. */
    ADMITTED,
    /** A 4xx at any stage: a real client keeps the message and retries later (flow control answers so). */
    TEMPFAILED,
    /** A 5xx at any stage: a real client bounces the message. */
    REJECTED,
    /** No verdict: connect failure, timeout, connection lost or an unexpected reply. */
    ERROR;

    /** The outcome a final reply code stands for. */
    static MessageOutcome of(int code) {
        if (code >= 200 && code < 300) {
            return ADMITTED;
        }
        if (code >= 400 && code < 500) {
            return TEMPFAILED;
        }
        return code >= 500 && code < 600 ? REJECTED : ERROR;
    }
}
