package io.sluice.proxy.relay;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;

/** Log events captured on other threads (event loops, Hazelcast's), read safely from a test's. */
final class LogEvents {

    private LogEvents() {
    }

    /**
     * What the appender holds so far, read under the lock its appends take: nothing else orders an event loop's
     * append before this thread's read (a socket's close does not).
     */
    static List<ILoggingEvent> in(ListAppender<ILoggingEvent> appender) {
        synchronized (appender) {
            return List.copyOf(appender.list);
        }
    }
}
