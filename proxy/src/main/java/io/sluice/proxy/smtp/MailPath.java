package io.sluice.proxy.smtp;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The path of a MAIL or RCPT command with its ESMTP parameters.
 *
 * @param address the mailbox without angle brackets; "" for the null reverse-path
 * @param parameters upper-cased parameter names to values ("" for a keyword without value), in order
 */
public record MailPath(String address, Map<String, String> parameters) {

    public MailPath {
        // Most paths have none: one shared empty map, which answers lookups of null as the copy would.
        parameters = parameters.isEmpty() ? Collections.emptyMap()
                : Collections.unmodifiableMap(new LinkedHashMap<>(parameters));
    }

    /** The same path with only the parameters whose name {@code keep} accepts, in their order. */
    public MailPath keeping(Predicate<String> keep) {
        Map<String, String> kept = new LinkedHashMap<>();
        parameters.forEach((name, value) -> {
            if (keep.test(name)) {
                kept.put(name, value);
            }
        });
        return kept.size() == parameters.size() ? this : new MailPath(address, kept);
    }

    public boolean isNull() {
        return address.isEmpty();
    }

    /** The domain part, lower-cased; "" for the null path and for {@code <postmaster>}. */
    public String domain() {
        int at = address.lastIndexOf('@');
        return at < 0 ? "" : address.substring(at + 1).toLowerCase(Locale.ROOT);
    }
}
