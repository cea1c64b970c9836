package io.sluice.proxy.smtp;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * What a server (a backend or a remote mail exchanger) said it supports in its EHLO reply, so the client is offered
 * only what the path behind Sluice can honour.
 *
 * @param maxMessageSize the SIZE limit, 0 when SIZE was advertised without a limit, -1 when not advertised
 * @param xclient the XCLIENT attributes the server accepts; empty when it does not offer XCLIENT
 */
public record ServerCapabilities(boolean pipelining, long maxMessageSize, boolean eightBitMime, boolean smtpUtf8,
                                  boolean dsn, boolean startTls, Set<String> xclient) {

    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    // A server answers every session's EHLO with the same lines: each distinct reply is parsed once.
    private static final int MAX_REMEMBERED = 64;
    private static final Map<List<String>, ServerCapabilities> PARSED = new ConcurrentHashMap<>();

    public static final ServerCapabilities NONE = new ServerCapabilities(false, -1, false, false, false, false, Set.of());

    public ServerCapabilities {
        xclient = Set.copyOf(xclient);
    }

    /** Reads the keywords of an EHLO reply (RFC 5321 §4.1.1.1: the first line is the greeting). */
    public static ServerCapabilities fromEhlo(SmtpReply ehlo) {
        ServerCapabilities known = PARSED.get(ehlo.lines());
        if (known != null) {
            return known;
        }
        ServerCapabilities parsed = parse(ehlo);
        if (PARSED.size() >= MAX_REMEMBERED) {
            PARSED.clear();
        }
        PARSED.put(ehlo.lines(), parsed);
        return parsed;
    }

    private static ServerCapabilities parse(SmtpReply ehlo) {
        boolean pipelining = false;
        long size = -1;
        boolean eightBitMime = false;
        boolean smtpUtf8 = false;
        boolean dsn = false;
        boolean startTls = false;
        Set<String> xclient = Set.of();
        for (String line : ehlo.lines().subList(1, ehlo.lines().size())) {
            String[] words = WHITESPACE.split(line.trim());
            String keyword = words[0].toUpperCase(Locale.ROOT);
            switch (keyword) {
                case "PIPELINING" -> pipelining = true;
                case "SIZE" -> size = words.length > 1 ? parseSize(words[1]) : 0;
                case "8BITMIME" -> eightBitMime = true;
                case "SMTPUTF8" -> smtpUtf8 = true;
                case "DSN" -> dsn = true;
                case "STARTTLS" -> startTls = true;
                case "XCLIENT" -> xclient = Arrays.stream(words).skip(1)
                        .map(word -> word.toUpperCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
                default -> { }
            }
        }
        return new ServerCapabilities(pipelining, size, eightBitMime, smtpUtf8, dsn, startTls, xclient);
    }

    private static long parseSize(String word) {
        try {
            return Math.max(0, Long.parseLong(word));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    public boolean offersXclient() {
        return !xclient.isEmpty();
    }
}
