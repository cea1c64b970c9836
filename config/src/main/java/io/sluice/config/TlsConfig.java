package io.sluice.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The certificate chain and private key a listener uses for STARTTLS (RFC 3207).
 *
 * @param cert PEM certificate chain, absolute once loaded by {@link ConfigLoader}
 * @param key PEM private key, absolute once loaded by {@link ConfigLoader}
 */
public record TlsConfig(Path cert, Path key) {

    public TlsConfig {
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(key, "key");
    }
}
