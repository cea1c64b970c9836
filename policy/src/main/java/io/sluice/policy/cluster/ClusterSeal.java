package io.sluice.policy.cluster;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.ClusterSecret;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signs and checks the control data the nodes exchange through Hazelcast (HMAC-SHA256 with the cluster secret),
 * and counts what fails the check. Hazelcast's Community Edition lets any process that reaches the member port join
 * and write to every map, so a node applies only what a holder of the secret signed. The signature covers the
 * cluster's name, the kind of entry, its key and its content, so no signed entry can be moved to another key, map
 * or cluster.
 */
public final class ClusterSeal {

    /** What a signature can be on; each has its own count of forgeries. */
    public enum Kind {
        POLICY, OVERRIDE, SUSPENSION, NODE_CARD, FAIR_SHARE, MTA_STS_POLICY, TLS_REPORT_COUNTS;

        public String tagValue() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ClusterSeal.class);
    private static final String ALGORITHM = "HmacSHA256";
    private static final String DOMAIN = "sluice-cluster-v1";
    // A forger can write as fast as it likes: one warning a second per kind, with the number left out.
    private static final long WARN_INTERVAL_NANOS = 1_000_000_000L;

    private final SecretKeySpec key;
    private final String clusterName;
    private final Map<Kind, LongAdder> forged = new EnumMap<>(Kind.class);
    private final Map<Kind, AtomicLong> lastWarned = new EnumMap<>(Kind.class);

    private ClusterSeal(byte[] key, String clusterName) {
        this.key = new SecretKeySpec(key, ALGORITHM);
        this.clusterName = clusterName;
        for (Kind kind : Kind.values()) {
            forged.put(kind, new LongAdder());
            lastWarned.put(kind, new AtomicLong(System.nanoTime() - WARN_INTERVAL_NANOS));
        }
    }

    /** Signs with the cluster's shared secret. */
    public static ClusterSeal of(ClusterSecret secret, String clusterName) {
        return new ClusterSeal(secret.key(), clusterName);
    }

    /** Signs with a key no other process has: for a member that is alone by configuration. */
    static ClusterSeal ofOwnKey(String clusterName) {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        return new ClusterSeal(key, clusterName);
    }

    /** The signature of an entry, in hex. */
    public String sign(Kind kind, String key, String... content) {
        return HexFormat.of().formatHex(mac(kind, key, content));
    }

    /** Whether the signature is this cluster's for that entry; compared in constant time. */
    public boolean verify(String signature, Kind kind, String key, String... content) {
        if (signature == null || signature.length() != 64) {
            return false;
        }
        byte[] given;
        try {
            given = HexFormat.of().parseHex(signature);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(given, mac(kind, key, content));
    }

    /** {@code payload} under its signature, as one value: the signature, a space, the payload. */
    public String sealed(Kind kind, String key, String payload) {
        return sign(kind, key, payload) + ' ' + payload;
    }

    /**
     * The payload of a {@link #sealed} value of at most {@code maxChars} characters, if its signature is this
     * cluster's for the kind and key; otherwise empty, and the value counted as {@link #forged}.
     */
    public Optional<String> opened(String sealed, Kind kind, String key, int maxChars) {
        int space = sealed == null || sealed.length() > maxChars ? -1 : sealed.indexOf(' ');
        if (space < 0 || !verify(sealed.substring(0, space), kind, key, sealed.substring(space + 1))) {
            forged(kind, key, "written to the cluster");
            return Optional.empty();
        }
        return Optional.of(sealed.substring(space + 1));
    }

    /**
     * Counts an entry that failed the check and says so at WARN, at most once a second per kind; the entry is not
     * applied. Nothing of its content is logged: it is whatever the forger chose.
     */
    public void forged(Kind kind, String key, String why) {
        LongAdder count = forged.get(kind);
        count.increment();
        AtomicLong last = lastWarned.get(kind);
        long now = System.nanoTime();
        long previous = last.get();
        if (now - previous >= WARN_INTERVAL_NANOS && last.compareAndSet(previous, now)) {
            log.warn("cluster entry not signed with this cluster's secret; ignored",
                    kv("kind", kind.tagValue()), kv("key", printable(key)), kv("why", why),
                    kv("forged_total", count.sum()));
        }
    }

    /** How many entries of a kind failed the check since start. */
    public long forgedCount(Kind kind) {
        return forged.get(kind).sum();
    }

    private byte[] mac(Kind kind, String key, String... content) {
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        // Each part is length-prefixed, so no two different lists of parts give the same bytes.
        part(input, DOMAIN);
        part(input, clusterName);
        part(input, kind.name());
        part(input, key);
        for (String item : content) {
            part(input, item);
        }
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(this.key);
            return mac.doFinal(input.toByteArray());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every JDK has " + ALGORITHM, e);
        }
    }

    private static void part(ByteArrayOutputStream input, String text) {
        byte[] bytes = (text == null ? "" : text).getBytes(StandardCharsets.UTF_8);
        input.writeBytes(ByteBuffer.allocate(Integer.BYTES).putInt(text == null ? -1 : bytes.length).array());
        input.writeBytes(bytes);
    }

    // A key is the forger's text too: short, and without control characters, before it goes in a log line.
    private static String printable(String key) {
        if (key == null) {
            return "";
        }
        String shortened = key.length() > 80 ? key.substring(0, 80) + "..." : key;
        return shortened.replaceAll("\\p{Cntrl}", "?");
    }
}
