package io.sluice.proxy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;

/**
 * Log lines to stdout through a buffer, written out when the asynchronous appender in front of it flushes at the
 * end of each batch: one system call for the lines of many transactions, where {@code ConsoleAppender} (through
 * {@code System.out}) makes one per line. Only behind an appender that flushes it; on its own it holds lines back.
 */
public final class BufferedStdoutAppender extends OutputStreamAppender<ILoggingEvent> {

    private int bufferSize = 64 * 1024;

    /** Bytes held before a write even within a batch; 64 KiB unless set. */
    public void setBufferSize(int bufferSize) {
        this.bufferSize = bufferSize;
    }

    @Override
    public void start() {
        if (bufferSize < 1) {
            addError("bufferSize: " + bufferSize + " (expected: > 0)");
            return;
        }
        setImmediateFlush(false);
        // A PrintStream swallows a failed write, as System.out does: Logback would stop the appender for good on an
        // IOException, and a passing failure on stdout would end all logging.
        setOutputStream(new PrintStream(new Stdout(bufferSize), false));
        super.start();
    }

    /** File descriptor 1, buffered; closing it flushes but leaves the descriptor open for what the JVM prints after. */
    private static final class Stdout extends BufferedOutputStream {
        Stdout(int size) {
            super(new FileOutputStream(FileDescriptor.out), size);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
