package io.sluice.proxy.egress.tls;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/** Reads the {@code _mta-sts} TXT record of a domain (RFC 8461 §3.1): {@code v=STSv1; id=...;}. */
final class MtaStsRecord {

    private static final Pattern SEPARATOR = Pattern.compile("[ \t]*;[ \t]*");
    // RFC 8461 §3.1: a field name, "=", and a value of visible characters other than ";" and "=".
    private static final Pattern FIELD =
            Pattern.compile("([A-Za-z0-9_.-]{1,32})[ \t]*=[ \t]*([\\x21-\\x3a\\x3c\\x3e-\\x7e]+)");
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9]{1,32}");

    private MtaStsRecord() {}

    /**
     * The policy id of the records given (each one TXT record's text): of the records that begin with
     * {@code v=STSv1}, there must be exactly one, and it must be well formed with an id; otherwise there is no policy
     * (RFC 8461 §3.1).
     */
    static Optional<String> id(List<String> records) {
        List<String> candidates = new ArrayList<>();
        for (String record : records) {
            if (record.startsWith("v=STSv1")) {
                candidates.add(record);
            }
        }
        return candidates.size() == 1 ? parse(candidates.get(0)) : Optional.empty();
    }

    private static Optional<String> parse(String record) {
        String[] fields = SEPARATOR.split(record.strip(), -1);
        if (!fields[0].matches("v[ \t]*=[ \t]*STSv1")) {
            return Optional.empty();
        }
        String id = null;
        for (int i = 1; i < fields.length; i++) {
            String field = fields[i];
            if (field.isEmpty() && i == fields.length - 1) {
                // A final separator.
                continue;
            }
            var matcher = FIELD.matcher(field);
            if (!matcher.matches()) {
                return Optional.empty();
            }
            // RFC 8461 §3.1: the first of repeated fields wins; unknown fields are ignored.
            if (matcher.group(1).equals("id") && id == null) {
                if (!ID.matcher(matcher.group(2)).matches()) {
                    return Optional.empty();
                }
                id = matcher.group(2);
            }
        }
        return Optional.ofNullable(id);
    }
}
