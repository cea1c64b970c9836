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
 * @param sourceSites outbound: pairs of source address and destination site, as {@code source|site}; set by the
 *     scale actions of receivers' feedback, never written in a policy
 */
public record RuleMatch(List<Cidr> clientNets, List<String> helos, List<String> senderDomains,
                        List<String> recipientDomains, List<String> destinationDomains, List<String> sourceSites) {

    /** No conditions: matches everything as a {@code match}; as an {@code except}, exempts nothing. */
    public static final RuleMatch NONE = new RuleMatch(List.of(), List.of(), List.of(), List.of(), List.of());

    public RuleMatch {
        clientNets = List.copyOf(clientNets);
        helos = lowerCase(helos);
        senderDomains = lowerCase(senderDomains);
        recipientDomains = lowerCase(recipientDomains);
        destinationDomains = lowerCase(destinationDomains);
        sourceSites = List.copyOf(sourceSites);
    }

    /** Conditions a policy may write: every one but {@code sourceSites}. */
    public RuleMatch(List<Cidr> clientNets, List<String> helos, List<String> senderDomains,
                     List<String> recipientDomains, List<String> destinationDomains) {
        this(clientNets, helos, senderDomains, recipientDomains, destinationDomains, List.of());
    }

    /** Only where the source and site are these ({@code source|site}): a feedback action's scale. */
    public static RuleMatch sourceSite(String sourceSite) {
        return new RuleMatch(List.of(), List.of(), List.of(), List.of(), List.of(), List.of(sourceSite));
    }

    public boolean isEmpty() {
        return clientNets.isEmpty() && helos.isEmpty() && senderDomains.isEmpty() && recipientDomains.isEmpty()
                && destinationDomains.isEmpty() && sourceSites.isEmpty();
    }

    /** The first stage at which every condition can be decided. */
    public RuleKey.Stage knownFrom() {
        if (!recipientDomains.isEmpty() || !destinationDomains.isEmpty() || !sourceSites.isEmpty()) {
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
