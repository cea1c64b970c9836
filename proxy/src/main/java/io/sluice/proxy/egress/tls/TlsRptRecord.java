package io.sluice.proxy.egress.tls;

import java.net.IDN;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Resolver;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Reads the {@code _smtp._tls} TXT record of a domain (RFC 8460 §3): {@code v=TLSRPTv1; rua=mailto:...,https://...}.
 * The record is the domain's to write, so it is read with bounds: a record longer than {@value #MAX_RECORD}
 * characters is none, and at most {@value #MAX_URIS} of its report URIs are used.
 */
final class TlsRptRecord {

    static final int MAX_RECORD = 2048;
    static final int MAX_URIS = 4;

    private static final Pattern SEPARATOR = Pattern.compile("[ \t]*;[ \t]*");
    private static final Pattern FIELD = Pattern.compile("([A-Za-z0-9_.-]{1,32})[ \t]*=[ \t]*(.*)");
    private static final Pattern MAILBOX =
            Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}");

    private TlsRptRecord() {}

    /** Where the domain wants its reports, empty where it publishes none or its record is unusable. */
    static CompletableFuture<List<URI>> lookup(Resolver dns, String domain) {
        Name name;
        try {
            String ascii = IDN.toASCII("_smtp._tls." + domain, IDN.ALLOW_UNASSIGNED).toLowerCase(Locale.ROOT);
            name = Name.fromString(ascii.endsWith(".") ? ascii : ascii + ".");
        } catch (TextParseException | IllegalArgumentException e) {
            return CompletableFuture.completedFuture(List.of());
        }
        return dns.sendAsync(Message.newQuery(Record.newRecord(name, Type.TXT, DClass.IN))).toCompletableFuture()
                .thenApply(response -> {
                    if (response.getRcode() != Rcode.NOERROR) {
                        return List.<URI>of();
                    }
                    List<String> records = new ArrayList<>();
                    for (Record record : response.getSection(Section.ANSWER)) {
                        if (record instanceof TXTRecord txt) {
                            // RFC 8460 §3: a record's strings are one text.
                            records.add(String.join("", txt.getStrings()));
                        }
                    }
                    return rua(records);
                }).exceptionally(error -> List.of());
    }

    /**
     * The report URIs of the records given (each one TXT record's text): of the records that begin with
     * {@code v=TLSRPTv1} there must be exactly one (RFC 8460 §3), well formed, with a {@code rua}; URIs neither
     * {@code mailto:} with one mailbox nor {@code https:} with a host are left out.
     */
    static List<URI> rua(List<String> records) {
        List<String> candidates = records.stream().filter(record -> record.startsWith("v=TLSRPTv1")).toList();
        if (candidates.size() != 1 || candidates.get(0).length() > MAX_RECORD) {
            return List.of();
        }
        String[] fields = SEPARATOR.split(candidates.get(0).strip(), -1);
        if (!fields[0].matches("v[ \t]*=[ \t]*TLSRPTv1")) {
            return List.of();
        }
        for (int i = 1; i < fields.length; i++) {
            var matcher = FIELD.matcher(fields[i]);
            if (matcher.matches() && matcher.group(1).equals("rua")) {
                return uris(matcher.group(2));
            }
        }
        return List.of();
    }

    private static List<URI> uris(String value) {
        List<URI> uris = new ArrayList<>();
        for (String text : value.split(",", MAX_URIS * 4)) {
            if (uris.size() == MAX_URIS) {
                break;
            }
            usable(text.strip()).ifPresent(uri -> {
                if (!uris.contains(uri)) {
                    uris.add(uri);
                }
            });
        }
        return List.copyOf(uris);
    }

    private static Optional<URI> usable(String text) {
        try {
            URI uri = new URI(text);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (scheme.equals("mailto") && uri.getRawQuery() == null && uri.getSchemeSpecificPart() != null
                    && MAILBOX.matcher(uri.getSchemeSpecificPart()).matches()) {
                return Optional.of(uri);
            }
            if (scheme.equals("https") && uri.getHost() != null && uri.getRawUserInfo() == null
                    && uri.getRawFragment() == null) {
                return Optional.of(uri);
            }
        } catch (URISyntaxException e) {
            // Not a URI: left out.
        }
        return Optional.empty();
    }
}
