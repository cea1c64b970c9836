package io.sluice.config;

import java.net.InetSocketAddress;
import java.util.Objects;

/**
 * A host (IP literal or host name) and a TCP port, as written in the configuration: {@code 127.0.0.1:25},
 * {@code [::1]:25} or {@code mx.example:25}.
 *
 * @param host an IPv4 literal, an IPv6 literal without brackets, or a host name
 * @param port 1-65535 when parsed; the constructor also accepts 0 so that tests can bind an ephemeral port
 */
public record HostPort(String host, int port) {

    private static final String FORMAT = "host:port, such as 127.0.0.1:25, [::1]:25 or mx.example:25";
    private static final String PORT_RANGE = "port 1-65535";

    public HostPort {
        Objects.requireNonNull(host, "host");
        if (!Addresses.isHost(host)) {
            throw new IllegalArgumentException(
                    "host: " + Conversion.quote(host) + " (expected: an IP address or a host name)");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0-65535)");
        }
    }

    /**
     * Parses {@code host:port}, with IPv6 literals in brackets.
     *
     * @throws IllegalArgumentException naming the text and what was expected, such as
     *     {@code "0.0.0.0:99999" (expected: port 1-65535)}
     */
    public static HostPort parse(String text) {
        Objects.requireNonNull(text, "text");
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || !text.startsWith(":", close + 1)) {
                throw Conversion.invalid(text, FORMAT);
            }
            host = text.substring(1, close);
            if (Addresses.ipv6(host) == null) {
                throw Conversion.invalid(text, "an IPv6 address between the brackets");
            }
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon < 0) {
                throw Conversion.invalid(text, FORMAT);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
            if (host.indexOf(':') >= 0) {
                // Without brackets the last colon of an IPv6 literal is indistinguishable from the port separator.
                throw Conversion.invalid(text, "an IPv6 address in brackets, as in [::1]:25");
            }
            if (host.isEmpty()) {
                throw Conversion.invalid(text, "a host before the port; 0.0.0.0 means every interface");
            }
            if (Addresses.looksLikeIpv4(host) && Addresses.ipv4(host) == null) {
                throw Conversion.invalid(text, "an IPv4 address of four numbers 0-255");
            }
            if (!Addresses.isHost(host)) {
                throw Conversion.invalid(text, "a host name of letters, digits and '-', separated by '.'");
            }
        }
        return new HostPort(host, parsePort(text, port));
    }

    private static int parsePort(String text, String port) {
        if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw Conversion.invalid(text, PORT_RANGE);
        }
        int value = Integer.parseInt(port);
        if (value < 1 || value > 65535) {
            throw Conversion.invalid(text, PORT_RANGE);
        }
        return value;
    }

    /** Returns the socket address, resolving a host name (it is unresolved if the lookup fails). */
    public InetSocketAddress toSocketAddress() {
        return new InetSocketAddress(host, port);
    }

    /** Returns the text {@link #parse(String)} reads back, with an IPv6 host in brackets. */
    @Override
    public String toString() {
        return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
    }
}
