package io.sluice.policy.retry;

import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.apache.datasketches.memory.XxHash;

/**
 * What a mark is kept under: the client's network (IPv4 /24, IPv6 /48, the ranges a sending MTA's retries come
 * from) and the sender's address, lower case, the null sender being its own. Only a 64-bit hash of them is kept,
 * never the address.
 */
public final class MarkKey {

    static final int IPV4_PREFIX = 24;
    static final int IPV6_PREFIX = 48;
    private static final long SEED = 0x5109_1ce0_0018_0001L;
    private static final String NULL_SENDER = "<>";

    private MarkKey() {
    }

    /** The key of {@code sender} (empty for the null sender) from {@code client}. */
    public static long of(InetAddress client, String sender) {
        byte[] address = client.getAddress();
        int prefix = address.length == 4 ? IPV4_PREFIX : IPV6_PREFIX;
        for (int bit = prefix; bit < address.length * 8; bit++) {
            address[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        byte[] who = (sender.isEmpty() ? NULL_SENDER : sender.toLowerCase(Locale.ROOT))
                .getBytes(StandardCharsets.UTF_8);
        byte[] key = new byte[address.length + 1 + who.length];
        System.arraycopy(address, 0, key, 0, address.length);
        // The address's length tells IPv4 from IPv6; the separator keeps address and sender apart.
        key[address.length] = '|';
        System.arraycopy(who, 0, key, address.length + 1, who.length);
        return XxHash.hashByteArr(key, 0, key.length, SEED);
    }
}
