package io.sluice.config;

import java.util.List;
import java.util.Locale;

/**
 * Conditions on a session's facts; a rule's {@code match} must hold for it to apply, and its {@code except}
 * must not. Each non-empty list is one condition (the fact is one of the list); all conditions must hold.
 * Domains match exactly, or, written with a leading dot ({@code .example.com}), any subdomain.
 *
 * @param clientNets client addresses
 * @param helos HELO/EHLO names
 * @param senderDomains domains of the envelope sender
 * @param recipientDomains domains of the recipient
 * @param destinationDomains outbound: domains delivered to
 */
public record RuleMatch(List<Cidr> clientNets, List<String> helos, List<String> senderDomains,
                        List<String> recipientDomains, List<String> destinationDomains) {

    /** No conditions: matches everything as a {@code match}; as an {@code except}, exempts nothing. */
    public static final RuleMatch NONE = new RuleMatch(List.of(), List.of(), List.of(), List.of(), List.of());

    public RuleMatch {
        clientNets = List.copyOf(clientNets);
        helos = lowerCase(helos);
        senderDomains = lowerCase(senderDomains);
        recipientDomains = lowerCase(recipientDomains);
        destinationDomains = lowerCase(destinationDomains);
    }

    public boolean isEmpty() {
        return clientNets.isEmpty() && helos.isEmpty() && senderDomains.isEmpty() && recipientDomains.isEmpty()
                && destinationDomains.isEmpty();
    }

    /** The first stage at which every condition can be decided. */
    public RuleKey.Stage knownFrom() {
        if (!recipientDomains.isEmpty() || !destinationDomains.isEmpty()) {
            return RuleKey.Stage.RCPT;
        }
        if (!senderDomains.isEmpty()) {
            return RuleKey.Stage.MAIL;
        }
        return helos.isEmpty() ? RuleKey.Stage.CONNECT : RuleKey.Stage.HELO;
    }

    private static List<String> lowerCase(List<String> names) {
        return names.stream().map(name -> name.toLowerCase(Locale.ROOT)).toList();
    }
}
