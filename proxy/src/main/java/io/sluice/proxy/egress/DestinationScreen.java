package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.EgressDestinations;
import io.sluice.proxy.smtp.SmtpReply;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps outbound delivery away from forbidden addresses ({@link ForbiddenDestinations}): takes them out of a
 * destination's mail exchangers, so that a permitted one is still tried, and checks each address again right
 * before the connect. Every address refused counts in {@code sluice.egress.destination.refused}.
 */
final class DestinationScreen {

    private static final Logger log = LoggerFactory.getLogger(DestinationScreen.class);

    // RFC 3463 X.4.4: unable to route. DNS said where the domain's mail goes, and it is nowhere this relay goes.
    static final SmtpReply FORBIDDEN = SmtpReply.of(550, "5.4.4",
            "The recipient domain's mail exchangers are at addresses this relay does not deliver to");
    // X.4.3: directory server failure. A host whose lookup failed for now may still have a permitted address.
    static final SmtpReply FORBIDDEN_SO_FAR = SmtpReply.of(451, "4.4.3",
            "The recipient domain's mail exchangers found so far are at addresses this relay does not deliver to;"
                    + " try again later");

    private final ForbiddenDestinations rules;
    private final Map<DestinationClass, Counter> refused = new EnumMap<>(DestinationClass.class);

    DestinationScreen(EgressDestinations config, MeterRegistry registry) {
        this.rules = new ForbiddenDestinations(config);
        for (DestinationClass kind : DestinationClass.values()) {
            refused.put(kind, Counter.builder("sluice.egress.destination.refused").tag("reason", kind.tag())
                    .description("Mail exchanger addresses outbound delivery refused to connect to, by kind")
                    .register(registry));
        }
    }

    /**
     * The mail exchangers with every forbidden address taken out, and the hosts left with none; empty when nothing
     * is left, for which {@link #refusal} gives the reply. One log line names what was taken out.
     */
    Optional<MxAnswer.Found> screen(String domain, MxAnswer.Found answer) {
        List<MxHost> permitted = new ArrayList<>();
        Set<String> reasons = new TreeSet<>();
        int forbidden = 0;
        for (MxHost host : answer.hosts()) {
            List<InetAddress> addresses = new ArrayList<>();
            for (InetAddress address : host.addresses()) {
                DestinationClass kind = rules.refusal(address);
                if (kind == null) {
                    addresses.add(address);
                } else {
                    refused.get(kind).increment();
                    reasons.add(kind.tag());
                    forbidden++;
                }
            }
            if (!addresses.isEmpty()) {
                permitted.add(addresses.size() == host.addresses().size() ? host
                        : new MxHost(host.name(), host.preference(), addresses));
            }
        }
        if (forbidden == 0) {
            return Optional.of(answer);
        }
        // The domain only: the recipient's mailbox is personal data, the MX hosts are the domain's to show.
        log.info("mail exchanger addresses refused", kv("destination_domain", domain), kv("refused", forbidden),
                kv("reasons", String.join(",", reasons)), kv("hosts_left", permitted.size()),
                kv("incomplete", answer.incomplete()));
        return permitted.isEmpty() ? Optional.empty()
                : Optional.of(new MxAnswer.Found(permitted, answer.implicit(), answer.incomplete()));
    }

    /** The reply when no address of any mail exchanger is permitted: permanent unless DNS may know more later. */
    static SmtpReply refusal(MxAnswer.Found answer) {
        return answer.incomplete() ? FORBIDDEN_SO_FAR : FORBIDDEN;
    }

    /**
     * Whether the connect to the address may go ahead: the last check, right before it. Once {@link #screen} has
     * run nothing reaches here refused, so a refusal here is a defect of the caller, logged at WARN.
     */
    boolean permits(MxHost host, InetAddress address) {
        DestinationClass kind = rules.refusal(address);
        if (kind == null) {
            return true;
        }
        refused.get(kind).increment();
        log.warn("refused to connect to a forbidden destination", kv("mx", host.name()),
                kv("address", address.getHostAddress()), kv("reason", kind.tag()));
        return false;
    }
}
