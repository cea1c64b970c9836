package io.sluice.config;

import io.sluice.config.ClusterConfig.Discovery;
import io.sluice.config.ClusterConfig.Mode;
import io.sluice.config.ClusterConfig.OnUnavailable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Maps the {@code cluster} section onto {@link ClusterConfig}: its defaults (an embedded single member on loopback),
 * and the checks between mode, discovery and members, each reported at the key that has to change.
 */
final class ClusterBinder {

    private static final Conversion<Integer> POSITIVE = Conversion.integerAtLeast(1, "");
    private static final Conversion<Integer> PORT = Conversion.integerBetween(1, 65535);
    // Hazelcast bounds the map per partition (271 of them): fewer buckets than this would round to nothing.
    private static final Conversion<Integer> MAX_BUCKETS = Conversion.integerAtLeast(1_000, "");
    private static final String MEMBERS_EXPECTED = "a list of host:port";


    private final Problems problems;
    private final Conversion<Path> readableFile;
    private final Function<String, String> environment;

    /**
     * @param readableFile resolves the secret file against the configuration file's directory
     * @param environment looks up the environment variable that holds the secret
     */
    ClusterBinder(Problems problems, Conversion<Path> readableFile, Function<String, String> environment) {
        this.problems = problems;
        this.readableFile = readableFile;
        this.environment = environment;
    }

    /** Returns the cluster settings, or null when a problem was found; an absent section gives the defaults. */
    ClusterConfig bind(Value value) {
        Section section = value.section();
        Value modeValue = section.get("mode");
        Value nameValue = section.get("name");
        Value bindValue = section.get("bind");
        Value discoveryValue = section.get("discovery");
        Value membersValue = section.get("members");
        Value serviceValue = section.get("kubernetes-service");
        Value onUnavailableValue = section.get("on-unavailable");
        Value decisionTimeoutValue = section.get("decision-timeout");
        Value minMembersValue = section.get("min-members");
        Value leaseTtlValue = section.get("lease-ttl");
        Value publicAddressValue = section.get("public-address");
        Value secretFileValue = section.get("secret-file");
        Value secretEnvValue = section.get("secret-env");
        Value clientPortValue = section.get("client-port");
        Value maxBucketsValue = section.get("max-buckets");
        section.rejectUnknownKeys();

        Mode mode = modeValue.optional(Conversion.oneOf(Mode.class), Mode.EMBEDDED);
        String name = nameValue.optional(Conversion.NAME_TEXT, "sluice");
        HostPort bind = bindValue.optional(Conversion.HOST_PORT, new HostPort("127.0.0.1", 5701));
        List<HostPort> members = new ArrayList<>();
        for (Value item : membersValue.optionalList(MEMBERS_EXPECTED)) {
            members.add(item.required(Conversion.HOST_PORT));
        }
        // A member list in embedded mode is what tcp-ip discovery needs, so it implies it.
        Discovery discovery = discoveryValue.optional(Conversion.oneOf(Discovery.class),
                mode == Mode.EMBEDDED && !members.isEmpty() ? Discovery.TCP_IP : Discovery.NONE);
        String service = serviceValue.optional(Conversion.HOST_NAME, "");
        OnUnavailable onUnavailable =
                onUnavailableValue.optional(Conversion.oneOf(OnUnavailable.class), OnUnavailable.LOCAL_FALLBACK);
        // Long enough for a round trip within a data centre, short enough that a client does not notice the wait.
        Duration decisionTimeout = decisionTimeoutValue.optional(Conversion.DURATION, Duration.ofMillis(200));
        Integer minMembers = minMembersValue.optional(POSITIVE, 1);
        Duration leaseTtl = leaseTtlValue.optional(Conversion.DURATION, Duration.ofSeconds(30));
        Optional<HostPort> publicAddress =
                Optional.ofNullable(publicAddressValue.optional(Conversion.HOST_PORT, null));
        Optional<Integer> clientPort = Optional.ofNullable(clientPortValue.optional(PORT, null));
        Optional<ClusterSecret> secret = secret(secretFileValue, secretEnvValue);
        Integer maxBuckets = maxBucketsValue.optional(MAX_BUCKETS, ClusterConfig.DEFAULT_MAX_BUCKETS);

        if (mode != null && discovery != null) {
            checkDiscovery(mode, discovery, discoveryValue);
            checkMembers(mode, discovery, members, membersValue);
            checkService(discovery, service, serviceValue);
            checkPublicAddress(mode, publicAddress, publicAddressValue);
            checkClientPort(mode, bind, clientPort, clientPortValue);
            if (minMembers != null) {
                checkMinMembers(mode, discovery, members, minMembers, minMembersValue);
            }
        }
        // Whether a secret is needed follows from the rest: ClusterConfig says so, reported at this section.
        return problems.construct(value.path(), value.line(), () -> new ClusterConfig(mode, name, bind, discovery,
                members, service, onUnavailable, decisionTimeout, minMembers, leaseTtl, publicAddress, secret,
                clientPort, maxBuckets));
    }

    /** The secret from its file or variable (not both); null when either is given but unusable. */
    private Optional<ClusterSecret> secret(Value fileValue, Value envValue) {
        Path file = fileValue.optional(readableFile, null);
        String variable = envValue.optional(Conversion.ENV_NAME, null);
        if (file != null && variable != null) {
            envValue.invalid("no secret-env when secret-file is given: one secret, one place");
            return null;
        }
        if (file != null) {
            try {
                return secretOf(Files.readString(file), fileValue, file.toString());
            } catch (IOException e) {
                fileValue.invalid("a readable UTF-8 file holding the cluster secret; " + file + ": " + e);
                return null;
            }
        }
        if (variable != null) {
            String text = environment.apply(variable);
            if (text == null || text.isBlank()) {
                envValue.invalid("an environment variable that is set, holding the cluster secret");
                return null;
            }
            return secretOf(text, envValue, variable);
        }
        return fileValue.isPresent() || envValue.isPresent() ? null : Optional.empty();
    }

    private Optional<ClusterSecret> secretOf(String text, Value value, String where) {
        try {
            return Optional.of(ClusterSecret.of(text));
        } catch (IllegalArgumentException e) {
            // The message counts characters; it never shows them.
            problems.add(value.path(), where + " holds " + e.getMessage(), value.line());
            return null;
        }
    }

    private static void checkDiscovery(Mode mode, Discovery discovery, Value value) {
        if (mode != Mode.EMBEDDED && discovery != Discovery.NONE) {
            value.invalid(mode == Mode.CLIENT
                    ? "none in client mode, which connects to the members listed"
                    : "none in local mode");
        }
    }

    private static void checkMembers(Mode mode, Discovery discovery, List<HostPort> members, Value value) {
        switch (mode) {
            case CLIENT -> {
                if (members.isEmpty()) {
                    value.invalid("the cluster's addresses as host:port in client mode");
                }
            }
            case LOCAL -> {
                if (!members.isEmpty()) {
                    value.invalid("no members in local mode");
                }
            }
            case EMBEDDED -> {
                if (discovery == Discovery.TCP_IP && members.isEmpty()) {
                    value.invalid("at least one host:port for tcp-ip discovery");
                } else if (discovery != Discovery.TCP_IP && !members.isEmpty()) {
                    value.invalid("no members unless discovery is tcp-ip");
                }
            }
            default -> throw new AssertionError(mode);
        }
    }

    private static void checkService(Discovery discovery, String service, Value value) {
        if (service == null) {
            return;
        }
        if (discovery == Discovery.KUBERNETES && service.isEmpty()) {
            value.invalid("the DNS name of the members' headless Service for kubernetes discovery, such as "
                    + "sluice-hz.mail.svc.cluster.local");
        } else if (discovery != Discovery.KUBERNETES && !service.isEmpty()) {
            value.invalid("no kubernetes-service unless discovery is kubernetes");
        }
    }

    private static void checkClientPort(Mode mode, HostPort bind, Optional<Integer> port, Value value) {
        if (port.isEmpty()) {
            return;
        }
        if (mode != Mode.EMBEDDED) {
            value.invalid("no client-port unless mode is embedded");
        } else if (bind != null && port.get() == bind.port()) {
            value.invalid("a port other than the member port " + bind.port());
        }
    }

    private static void checkPublicAddress(Mode mode, Optional<HostPort> publicAddress, Value value) {
        if (mode != Mode.EMBEDDED && publicAddress.isPresent()) {
            value.invalid("no public-address unless mode is embedded");
        }
    }

    // A cluster that can never have min-members members would never be available.
    private static void checkMinMembers(Mode mode, Discovery discovery, List<HostPort> members, int minMembers,
                                        Value value) {
        if (mode != Mode.EMBEDDED) {
            return;
        }
        if (discovery == Discovery.NONE && minMembers > 1) {
            value.invalid("1 with discovery none, which makes a cluster of this member alone");
        } else if (discovery == Discovery.TCP_IP && !members.isEmpty() && minMembers > members.size()) {
            value.invalid("at most " + members.size() + ", the number of members listed");
        }
    }
}
