package io.sluice.loadtest.cli;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/** Parses and prints {@code host:port} endpoints, with IPv6 literals in brackets ({@code [::1]:25}). */
public final class HostPorts {

    private HostPorts() {
    }

    /**
     * Parses {@code host:port}; the host is an address literal or a name, resolved now.
     *
     * @throws IllegalArgumentException with a message saying what was expected
     */
    public static InetSocketAddress parse(String text) {
        String host;
        String port;
        if (text.startsWith("[")) {
            int close = text.indexOf(']');
            if (close < 0 || close + 1 >= text.length() || text.charAt(close + 1) != ':') {
                throw invalid(text);
            }
            host = text.substring(1, close);
            port = text.substring(close + 2);
        } else {
            int colon = text.lastIndexOf(':');
            if (colon <= 0 || text.indexOf(':') != colon) {
                throw invalid(text);
            }
            host = text.substring(0, colon);
            port = text.substring(colon + 1);
        }
        int portNumber;
        try {
            portNumber = Integer.parseInt(port);
        } catch (NumberFormatException e) {
            throw invalid(text);
        }
        if (host.isEmpty() || portNumber < 0 || portNumber > 65535) {
            throw invalid(text);
        }
        try {
            return new InetSocketAddress(InetAddress.getByName(host), portNumber);
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException("\"" + text + "\" (unknown host: " + host + ")", e);
        }
    }

    /** Formats as {@code address:port}, bracketing IPv6 addresses. */
    public static String format(InetSocketAddress address) {
        String host = address.getAddress() != null ? address.getAddress().getHostAddress() : address.getHostString();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + address.getPort();
    }

    private static IllegalArgumentException invalid(String text) {
        return new IllegalArgumentException(
                "\"" + text + "\" (expected: HOST:PORT or [IPV6]:PORT with port 0-65535, e.g. 127.0.0.1:2526)");
    }
}
