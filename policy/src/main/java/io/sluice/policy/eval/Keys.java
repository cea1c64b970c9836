package io.sluice.policy.eval;

import io.sluice.config.Cidr;
import io.sluice.config.NetPrefixes;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleMatch;
import io.sluice.policy.model.Facts;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/** Key values and match conditions over a session's facts. */
final class Keys {

    private Keys() {
    }

    /** The rule's key value for these facts, or null when the fact is not known (the rule does not apply). */
    static String value(RuleKey key, NetPrefixes prefixes, Facts facts) {
        return switch (key) {
            case GLOBAL -> "";
            case LISTENER -> facts.listener();
            case CLIENT_IP -> facts.clientIp().getHostAddress();
            case CLIENT_NET -> network(facts.clientIp(), prefixes);
            case HELO -> lower(facts.helo());
            case SENDER -> facts.sender() == null ? null : facts.sender().isEmpty() ? "<>" : lower(facts.sender());
            case SENDER_DOMAIN -> facts.senderDomain();
            case RECIPIENT -> lower(facts.recipient());
            case RECIPIENT_DOMAIN, DESTINATION_DOMAIN -> facts.recipientDomain();
            case EGRESS_POOL -> facts.egressPool();
            case EGRESS_SOURCE -> facts.egressSource();
            case BACKEND_SERVER -> facts.backendServer();
            case DESTINATION_SITE -> facts.destinationSite();
            case SOURCE_SITE -> facts.sourceSite();
        };
    }

    /** The client's network of the configured size, such as {@code 198.51.100.0/24}. */
    static String network(InetAddress address, NetPrefixes prefixes) {
        byte[] bytes = address.getAddress();
        if (bytes.length == 4) {
            // The common case, on every request: formatted by hand, no address object in between.
            int prefix = prefixes.ipv4();
            int bits = ((bytes[0] & 0xff) << 24) | ((bytes[1] & 0xff) << 16) | ((bytes[2] & 0xff) << 8) | (bytes[3] & 0xff);
            int masked = prefix == 0 ? 0 : bits & (-1 << (32 - prefix));
            return new StringBuilder(18).append(masked >>> 24).append('.').append((masked >>> 16) & 0xff).append('.')
                    .append((masked >>> 8) & 0xff).append('.').append(masked & 0xff).append('/').append(prefix)
                    .toString();
        }
        int prefix = bytes.length == 4 ? prefixes.ipv4() : prefixes.ipv6();
        for (int bit = prefix; bit < bytes.length * 8; bit++) {
            bytes[bit / 8] &= (byte) ~(0x80 >>> (bit % 8));
        }
        try {
            return InetAddress.getByAddress(bytes).getHostAddress() + "/" + prefix;
        } catch (UnknownHostException e) {
            throw new AssertionError("4 or 16 bytes make an address", e);
        }
    }

    /** Whether a rule with these listeners, conditions and exemptions applies to the facts. */
    static boolean applies(Set<String> listeners, RuleMatch match, RuleMatch except, Facts facts) {
        return (listeners.isEmpty() || listeners.contains(facts.listener()))
                && matches(match, facts) && !exempts(except, facts);
    }

    /**
     * Whether every condition of the match holds. A condition on a fact not known yet does not hold; as an
     * exemption, an empty match exempts nothing.
     */
    static boolean matches(RuleMatch match, Facts facts) {
        return anyNet(match.clientNets(), facts.clientIp())
                && anyDomain(match.helos(), facts, Keys::helo)
                && anyDomain(match.senderDomains(), facts, Facts::senderDomain)
                && anyDomain(match.recipientDomains(), facts, Facts::recipientDomain)
                && anyDomain(match.destinationDomains(), facts, Facts::recipientDomain)
                && (match.sourceSites().isEmpty() || match.sourceSites().contains(facts.sourceSite()));
    }

    static boolean exempts(RuleMatch except, Facts facts) {
        return !except.isEmpty() && matches(except, facts);
    }

    private static boolean anyNet(List<Cidr> networks, InetAddress address) {
        if (networks.isEmpty()) {
            return true;
        }
        for (Cidr network : networks) {
            if (network.contains(address)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@link #anyDomain(List, String)} of the fact, worked out only where there are patterns: this runs for every rule
     * at every command, and most rules have no condition on a domain (a sender's domain is a substring made lower case).
     */
    private static boolean anyDomain(List<String> patterns, Facts facts, Function<Facts, String> domain) {
        return patterns.isEmpty() || anyDomain(patterns, domain.apply(facts));
    }

    /** {@code example.com} matches only itself; {@code .example.com} matches every subdomain of it. */
    static boolean anyDomain(List<String> patterns, String domain) {
        if (patterns.isEmpty()) {
            return true;
        }
        if (domain == null) {
            return false;
        }
        for (String pattern : patterns) {
            if (pattern.startsWith(".") ? domain.endsWith(pattern) : domain.equals(pattern)) {
                return true;
            }
        }
        return false;
    }

    private static String helo(Facts facts) {
        return lower(facts.helo());
    }

    private static String lower(String text) {
        return text == null ? null : text.toLowerCase(Locale.ROOT);
    }
}
