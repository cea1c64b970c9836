package io.sluice.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The whole configuration of one Sluice process, as loaded by {@link ConfigLoader}.
 *
 * @param smtp protocol limits and timeouts shared by every listener
 * @param listeners the sockets Sluice accepts SMTP connections on, in file order
 * @param backends the backend pools by name, in file order
 */
public record SluiceConfig(SmtpConfig smtp, List<ListenerConfig> listeners, Map<String, BackendPoolConfig> backends) {

    public SluiceConfig {
        Objects.requireNonNull(smtp, "smtp");
        listeners = List.copyOf(listeners);
        // Map.copyOf would lose the file's order, which operators expect to see again in logs and the admin API.
        backends = Collections.unmodifiableMap(new LinkedHashMap<>(backends));
        backends.forEach((name, pool) -> Objects.requireNonNull(pool, name));
    }
}
