package io.sluice.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/** Recognises IP address literals and host names without ever asking DNS. */
final class Addresses {

    // RFC 1123 §2.1: letters, digits and hyphens, not starting or ending with a hyphen, at most 63 octets.
    private static final Pattern LABEL = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?");
    private static final Pattern IPV4_LIKE = Pattern.compile("[0-9.]+");
    private static final Pattern IPV6_CHARS = Pattern.compile("[0-9A-Fa-f:.]+");

    private Addresses() {
    }

    /** Returns the address an IPv4 or IPv6 literal denotes, or null when the text is not one. */
    static InetAddress literal(String text) {
        return text.indexOf(':') >= 0 ? ipv6(text) : ipv4(text);
    }

    /**
     * Returns the address an IPv6 literal (without brackets) denotes, or null. Like the JDK, an IPv4-mapped literal
     * ({@code ::ffff:10.0.0.1}) comes back as an {@link java.net.Inet4Address}.
     */
    static InetAddress ipv6(String text) {
        // Zone ids (fe80::1%eth0) name a local interface; a config that needs them is not portable, so refuse them.
        if (!IPV6_CHARS.matcher(text).matches() || text.indexOf(':') < 0) {
            return null;
        }
        try {
            // In brackets the JDK parses the literal itself and never falls back to a DNS lookup.
            return InetAddress.getByName("[" + text + "]");
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** Returns the address a dotted-quad IPv4 literal denotes, or null. */
    static InetAddress ipv4(String text) {
        String[] parts = text.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        byte[] bytes = new byte[4];
        for (int i = 0; i < 4; i++) {
            String part = parts[i];
            // Leading zeros are refused: some resolvers read 010 as octal 8, so its meaning is ambiguous.
            if (part.isEmpty() || part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')
                    || !part.chars().allMatch(c -> c >= '0' && c <= '9')) {
                return null;
            }
            int value = Integer.parseInt(part);
            if (value > 255) {
                return null;
            }
            bytes[i] = (byte) value;
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError("four bytes are always an IPv4 address", e);
        }
    }

    /** Whether the text is made only of digits and dots, so it can only be meant as an IPv4 address. */
    static boolean looksLikeIpv4(String text) {
        return IPV4_LIKE.matcher(text).matches();
    }

    /** Whether the text is a syntactically valid host name (RFC 1123 §2.1), at most 253 characters. */
    static boolean isHostName(String text) {
        if (text.isEmpty() || text.length() > 253) {
            return false;
        }
        for (String label : text.split("\\.", -1)) {
            if (!LABEL.matcher(label).matches()) {
                return false;
            }
        }
        return true;
    }

    /** Whether the text is an IP literal or a host name that {@link HostPort} accepts. */
    static boolean isHost(String text) {
        if (text.indexOf(':') >= 0) {
            return ipv6(text) != null;
        }
        return looksLikeIpv4(text) ? ipv4(text) != null : isHostName(text);
    }

    /** Returns the address's bytes, with an IPv4-mapped IPv6 address (::ffff:a.b.c.d) reduced to its 4 IPv4 bytes. */
    static byte[] unmappedBytes(InetAddress address) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 16 && isIpv4Mapped(bytes)) {
            return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
        }
        return bytes;
    }

    // RFC 4291 §2.5.5.2: 80 zero bits, 16 one bits, then the IPv4 address.
    private static boolean isIpv4Mapped(byte[] bytes) {
        for (int i = 0; i < 10; i++) {
            if (bytes[i] != 0) {
                return false;
            }
        }
        return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
    }
}
