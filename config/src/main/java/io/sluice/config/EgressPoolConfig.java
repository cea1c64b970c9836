package io.sluice.config;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A group of source addresses that one class of outbound mail leaves from, with the reputation they share.
 *
 * @param name the pool's key in {@link EgressConfig#pools()}
 * @param sources the source addresses, in file order
 * @param selection how a delivery's source is chosen
 * @param tls whether deliveries use STARTTLS
 */
public record EgressPoolConfig(String name, List<EgressSource> sources, EgressSelection selection, EgressTls tls) {

    public EgressPoolConfig {
        Objects.requireNonNull(name, "name");
        sources = List.copyOf(sources);
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("pool " + name + ": sources: [] (expected: at least one source)");
        }
        Set<java.net.InetAddress> seen = new HashSet<>();
        for (EgressSource source : sources) {
            if (!seen.add(source.address())) {
                throw new IllegalArgumentException("pool " + name + ": source " + source.text() + " listed twice");
            }
        }
        Objects.requireNonNull(selection, "selection");
        Objects.requireNonNull(tls, "tls");
    }
}
