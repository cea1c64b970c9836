package io.sluice.policy.fairshare;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.datasketches.frequencies.LongsSketch;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.memory.Memory;

/**
 * What one node saw of one fair-share rule in one window, in bounded space: the demand per key (tokens asked, a
 * frequent-items sketch that names the heaviest keys exactly and bounds the others' error) and how many distinct keys
 * asked (an HLL sketch). What the nodes exchange, and what shares are computed from.
 *
 * @param window the window's number: epoch milliseconds divided by the window's length
 */
public record ShareSummary(long window, LongsSketch demand, HllSketch keys) {

    /** The frequent-items map's size: up to 768 keys are counted exactly, beyond that the heaviest ones. */
    public static final int MAP_SIZE = 1024;
    /** How many keys a map of {@link #MAP_SIZE} holds: the most a peer's summary may hold. */
    private static final int MAX_MAP_CAPACITY = new LongsSketch(MAP_SIZE).getMaximumMapCapacity();
    /** log2 of the HLL sketch's buckets: about 3% error on the number of keys, under 1 KB. */
    public static final int LG_KEYS = 10;
    /** The most bytes one serialized summary may take: a full map and a full HLL sketch, with room to spare. */
    public static final int MAX_BYTES = 64 * 1024;

    /** An empty summary of {@code window}. */
    public static ShareSummary empty(long window) {
        return new ShareSummary(window, new LongsSketch(MAP_SIZE), new HllSketch(LG_KEYS));
    }

    /** Writes the summary as bytes {@link #read} reads back. */
    public void write(DataOutputStream out) throws IOException {
        byte[] demandBytes = demand.toByteArray();
        byte[] keyBytes = keys.toCompactByteArray();
        out.writeLong(window);
        out.writeInt(demandBytes.length);
        out.write(demandBytes);
        out.writeInt(keyBytes.length);
        out.write(keyBytes);
    }

    /** The summary as bytes. */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /**
     * Reads a summary another node wrote; its sketches must be no larger than this node's own would be, so that a
     * peer cannot make this node hold more than its bound.
     *
     * @throws IOException when the bytes are no summary, or a larger one
     */
    public static ShareSummary read(DataInputStream in) throws IOException {
        long window = in.readLong();
        byte[] demandBytes = chunk(in);
        byte[] keyBytes = chunk(in);
        try {
            LongsSketch demand = LongsSketch.getInstance(Memory.wrap(demandBytes));
            HllSketch keys = HllSketch.heapify(keyBytes);
            if (demand.getMaximumMapCapacity() > MAX_MAP_CAPACITY
                    || keys.getLgConfigK() > LG_KEYS) {
                throw new IOException("a summary larger than this node's own");
            }
            return new ShareSummary(window, demand, keys);
        } catch (RuntimeException e) {
            throw new IOException("unreadable sketch: " + e.getMessage(), e);
        }
    }

    /** Reads the summary of {@link #toBytes}. */
    public static ShareSummary fromBytes(byte[] bytes) throws IOException {
        return read(new DataInputStream(new ByteArrayInputStream(bytes)));
    }

    private static byte[] chunk(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0 || length > MAX_BYTES) {
            throw new IOException("a sketch of " + length + " bytes (expected: 0-" + MAX_BYTES + ")");
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return bytes;
    }
}
