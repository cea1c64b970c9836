package io.sluice.loadtest.sink;

import static io.sluice.loadtest.sink.Transcript.ascii;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class EndOfDataScannerTest {

    /** Scans {@code data}, placed after a prefix that the reader index skips; returns end offset and body size. */
    private static long[] scan(String data) {
        ByteBuf buf = Unpooled.wrappedBuffer(ascii("IGNORED" + data));
        try {
            buf.readerIndex("IGNORED".length());
            EndOfDataScanner scanner = new EndOfDataScanner();
            int end = scanner.scan(buf);
            assertThat(buf.readerIndex()).as("reader index untouched").isEqualTo("IGNORED".length());
            return end < 0 ? new long[] {-1, -1} : new long[] {end - "IGNORED".length(), scanner.bodyBytes()};
        } finally {
            buf.release();
        }
    }

    @ParameterizedTest(name = "[{index}] {0}")
    @CsvSource(delimiter = '|', textBlock = """
        # data, \\r and \\n escaped  | end | body
        .\\r\\n                     | 3   | 0
        .\\r\\nMAIL                 | 3   | 0
        a\\r\\n.\\r\\n              | 6   | 3
        ..\\r\\n.\\r\\n             | 7   | 3
        ..x\\r\\n.\\r\\nQUIT\\r\\n  | 8   | 4
        a\\n.\\r\\n                 | -1  | -1
        a\\r\\n.\\n                 | -1  | -1
        a\\r\\n.\\r.\\r\\n          | -1  | -1
        a\\r\\n.\\r\\r\\n.\\r\\n    | 10  | 6
        a\\r\\r\\n.\\r\\n           | 7   | 4
        a\\r\\n \\r\\n.\\r\\n       | 9   | 6
        a.\\r\\n.\\r\\n             | 7   | 4
        a\\r\\n..\\r\\n             | -1  | -1
        """)
    void findsTheEndAndCountsUnstuffedBytes(String escaped, int end, long body) {
        String data = escaped.replace("\\r", "\r").replace("\\n", "\n");

        long[] result = scan(data);

        assertThat(result[0]).as("end").isEqualTo(end);
        assertThat(result[1]).as("body bytes").isEqualTo(body);
    }
}
