package io.sluice.proxy.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The TLS 1.2 suites the installed openssl knows, and {@code openssl s_client} handshakes that offer one at a time:
 * what a server's suite policy is held to. The suites' properties come from openssl, not from the server under test.
 */
public final class OpenSslSuites {

    private static final Duration HANDSHAKE_TIMEOUT = Duration.ofSeconds(30);
    // Few enough to leave the machine to the server under test.
    private static final int PARALLEL_HANDSHAKES = 3;
    // "ECDHE-RSA-AES128-GCM-SHA256   TLSv1.2 Kx=ECDH     Au=RSA   Enc=AESGCM(128)   Mac=AEAD"
    private static final Pattern VERBOSE = Pattern.compile(
            "^(\\S+)\\s+\\S+\\s+Kx=(\\S+)\\s+Au=(\\S+)\\s+Enc=(\\S+)\\s+Mac=(\\S+)$");

    private OpenSslSuites() {}

    /**
     * Holds the server to TLS 1.2 with forward-secret AEAD suites only: offered every suite openssl knows, one at a
     * time, it agrees on each ECDHE AEAD suite its key of {@code keyType} ("RSA" or "ECDSA") signs for, and on no
     * other.
     *
     * @param connect the {@code s_client} arguments that reach the server, such as {@code -connect} and
     *     {@code -starttls smtp}
     */
    public static void assertTls12ForwardSecretAeadOnly(List<String> connect, String keyType)
            throws InterruptedException {
        List<Suite> suites = tls12();
        Set<String> agreed = negotiatedTls12(connect, suites);

        Set<String> expected = expected(suites, keyType);
        assertThat(expected).as("ECDHE-%s AEAD suites openssl knows", keyType).hasSizeGreaterThanOrEqualTo(3);
        assertThat(agreed).containsExactlyInAnyOrderElementsOf(expected);
    }

    /** Holds the server to TLS 1.3 with each of its default suites, and to a protocol alert for TLS 1.1 and 1.0. */
    public static void assertTls13AndNothingBelowTls12(List<String> connect) {
        assertThat(negotiatedTls13(connect)).containsExactlyInAnyOrderElementsOf(TLS13);
        assertThat(beforeTls12(connect)).allSatisfy(refused ->
                assertThat(refused.output()).as(refused.output()).contains("alert protocol version"));
    }

    /** One suite as {@code openssl ciphers -v} describes it. */
    public record Suite(String name, String keyExchange, String authentication, String encryption, String mac) {

        /** ECDHE key exchange with AES-GCM or ChaCha20-Poly1305: forward secret and authenticated encryption. */
        public boolean ecdheAead() {
            return keyExchange.equals("ECDH") && mac.equals("AEAD")
                    && (encryption.startsWith("AESGCM(") || encryption.startsWith("CHACHA20/POLY1305("));
        }

        /** Whether a server whose key is of {@code keyType} ("RSA" or "ECDSA") can sign for this suite. */
        public boolean signedBy(String keyType) {
            return authentication.equals(keyType);
        }
    }

    /** Every TLS 1.2 suite openssl can offer, weak ones included (security level 0). */
    private static List<Suite> tls12() {
        ExternalTool.Finished listed = ExternalTool.run(HANDSHAKE_TIMEOUT, ExternalTool.requireTool("openssl"),
                List.of("ciphers", "-v", "-s", "-tls1_2", "ALL:COMPLEMENTOFALL:@SECLEVEL=0"));
        if (listed.exitCode() != 0) {
            throw new AssertionError("openssl ciphers failed:\n" + listed.output());
        }
        List<Suite> suites = new ArrayList<>();
        for (String line : listed.output().split("\n")) {
            Matcher matcher = VERBOSE.matcher(line.trim());
            // TLS 1.3 suites (TLS_*) are listed with any protocol; they are not negotiable in TLS 1.2.
            if (matcher.matches() && !matcher.group(1).startsWith("TLS_")) {
                suites.add(new Suite(matcher.group(1), matcher.group(2), matcher.group(3), matcher.group(4),
                        matcher.group(5)));
            }
        }
        if (suites.size() < 20) {
            throw new AssertionError("expected openssl to list dozens of TLS 1.2 suites:\n" + listed.output());
        }
        return suites;
    }

    /**
     * The names of the suites in {@code offered} that a TLS 1.2 handshake with the server agrees on, offering each
     * alone at security level 0 so that any refusal is the server's.
     *
     * @param connect the {@code s_client} arguments that reach the server, such as {@code -connect} and
     *     {@code -starttls smtp}
     */
    private static Set<String> negotiatedTls12(List<String> connect, List<Suite> offered) throws InterruptedException {
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL_HANDSHAKES);
        try {
            List<Future<String>> answers = new ArrayList<>();
            for (Suite suite : offered) {
                answers.add(pool.submit(() -> negotiated(handshake(connect, "-tls1_2", "-cipher",
                        suite.name() + ":@SECLEVEL=0"), "TLSv1.2", suite.name())));
            }
            List<String> agreed = new ArrayList<>();
            for (Future<String> answer : answers) {
                String name = answer.get();
                if (name != null) {
                    agreed.add(name);
                }
            }
            return Set.copyOf(agreed);
        } catch (ExecutionException e) {
            throw new AssertionError("handshake failed to run", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    /** Each TLS 1.3 suite openssl offers by default, offered alone; a server should agree on all of them. */
    private static final List<String> TLS13 =
            List.of("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256");

    /** The suites of {@link #TLS13} that a TLS 1.3 handshake with the server agrees on, each offered alone. */
    private static Set<String> negotiatedTls13(List<String> connect) {
        return TLS13.stream()
                .map(suite -> negotiated(handshake(connect, "-tls1_3", "-ciphersuites", suite), "TLSv1.3", suite))
                .filter(Objects::nonNull).collect(Collectors.toSet());
    }

    /**
     * Handshakes offering TLS 1.1 and TLS 1.0 alone, at security level 0 so that a refusal is the server's; a server
     * that refuses them answers with a protocol version alert.
     */
    private static List<ExternalTool.Finished> beforeTls12(List<String> connect) {
        return Stream.of("-tls1_1", "-tls1").map(old -> handshake(connect, old, "-cipher", "ALL:@SECLEVEL=0")).toList();
    }

    /** {@code suite} if the handshake agreed on it under {@code protocol}, or null. */
    private static String negotiated(ExternalTool.Finished run, String protocol, String suite) {
        return run.output().contains("New, " + protocol + ", Cipher is " + suite) ? suite : null;
    }

    /** One {@code s_client} handshake; its output says what was negotiated ("New, TLSv1.2, Cipher is ..."). */
    private static ExternalTool.Finished handshake(List<String> connect, String... options) {
        List<String> args = new ArrayList<>(List.of("s_client"));
        args.addAll(connect);
        args.addAll(List.of(options));
        return ExternalTool.run(HANDSHAKE_TIMEOUT, ExternalTool.requireTool("openssl"), args);
    }

    /** The names of {@code suites} that a server with a key of {@code keyType} should agree on. */
    private static Set<String> expected(List<Suite> suites, String keyType) {
        return suites.stream().filter(suite -> suite.ecdheAead() && suite.signedBy(keyType.toUpperCase(Locale.ROOT)))
                .map(Suite::name).collect(Collectors.toSet());
    }
}
