package io.sluice.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Maps the YAML tree onto {@link SluiceConfig}: the schema, its defaults, and the checks that span several values
 * (unique listener names and bind addresses, pool references). The cluster, the policy and the admin listener have
 * binders of their own.
 */
final class ConfigBinder {

    // RFC 5321 §4.5.3.1.7 asks a server to accept messages of at least 64K octets.
    private static final long MIN_MESSAGE_SIZE = 64 * 1024;
    // RFC 5321 §4.5.3.1.8 asks a server to accept at least 100 recipients per message.
    private static final int MIN_RECIPIENTS = 100;

    private static final Conversion<Long> MESSAGE_SIZE =
            Conversion.sizeAtLeast(MIN_MESSAGE_SIZE, "RFC 5321 §4.5.3.1.7 requires 64K octets");
    private static final Conversion<Integer> RECIPIENTS =
            Conversion.integerAtLeast(MIN_RECIPIENTS, "RFC 5321 §4.5.3.1.8 requires 100 recipients");
    private static final Conversion<Integer> ERRORS = Conversion.integerAtLeast(1, "");
    private static final Conversion<Integer> TRANSACTIONS = Conversion.integerAtLeast(1, "");
    private static final Conversion<Integer> POSITIVE = Conversion.integerAtLeast(1, "");
    private static final Conversion<Integer> NON_NEGATIVE = Conversion.integerAtLeast(0, "");
    private static final Conversion<String> POOL_REFERENCE = Conversion.text("the name of a pool under backends");
    private static final Conversion<String> EGRESS_POOL_REFERENCE =
            Conversion.text("the name of a pool under egress.pools");
    private static final String ALLOWED_CLIENTS_EXPECTED =
            "a list of at least one CIDR of the MTAs that may relay, such as 10.244.0.0/16";

    private final Problems problems;
    private final Conversion<Path> readableFile;
    private final Function<String, String> environment;
    private final Set<String> poolNames = new LinkedHashSet<>();
    private final Map<String, Value> listenerNames = new LinkedHashMap<>();
    private final Map<HostPort, Value> binds = new LinkedHashMap<>();
    private final EgressBinder egressBinder;

    /**
     * @param baseDir the directory relative paths (TLS, admin tokens) are resolved against
     * @param environment looks up environment variables, such as the one holding the admin tokens
     */
    ConfigBinder(Problems problems, Path baseDir, Function<String, String> environment) {
        this.problems = problems;
        this.readableFile = Conversion.readableFile(baseDir);
        this.environment = environment;
        this.egressBinder = new EgressBinder(problems, readableFile);
    }

    /** Returns the config, or null when a problem was found. */
    SluiceConfig bind(YamlNode root) {
        Section document = Value.root(root, problems).section();
        Value smtp = document.get("smtp");
        Value listeners = document.get("listeners");
        Value backends = document.get("backends");
        Value cluster = document.get("cluster");
        Value policy = document.get("policy");
        Value admin = document.get("admin");
        Value drain = document.get("drain");
        Value egress = document.get("egress");
        document.rejectUnknownKeys();

        // Pools first: listeners refer to them by name; and listeners before the policy, whose rules name them.
        Map<String, BackendPoolConfig> pools = backends(backends);
        EgressConfig egressConfig = egressBinder.bind(egress);
        List<ListenerConfig> listenerConfigs = new ArrayList<>();
        for (Value listener : listeners.nonEmptyList("a list of at least one listener")) {
            listenerConfigs.add(listener(listener));
        }
        egressBinder.checkReportListener(egressConfig, listenerConfigs);
        SmtpConfig smtpConfig = smtp(smtp.section());
        ClusterConfig clusterConfig = new ClusterBinder(problems, readableFile, environment).bind(cluster);
        PolicyConfig policyConfig = new PolicyBinder(problems, listenerNames.keySet()).bind(policy);
        // Left out, the admin listener still starts, on loopback: probes and metrics need it.
        AdminConfig adminConfig = new AdminBinder(problems, readableFile, environment, this::listenerBinding).bind(admin);
        DrainConfig drainConfig = drain(drain.section());
        return problems.construct("", root.line(), () -> new SluiceConfig(smtpConfig, listenerConfigs, pools,
                clusterConfig, policyConfig, Optional.of(adminConfig), drainConfig, egressConfig));
    }

    private DrainConfig drain(Section section) {
        Duration announce = section.get("announce").optional(Conversion.DURATION_OR_ZERO,
                DrainConfig.DEFAULT.announce());
        Duration timeout = section.get("timeout").optional(Conversion.DURATION, DrainConfig.DEFAULT.timeout());
        section.rejectUnknownKeys();
        return problems.construct(() -> new DrainConfig(announce, timeout));
    }

    private SmtpConfig smtp(Section section) {
        Value hostnameValue = section.get("hostname");
        String hostname = hostnameValue.isPresent() ? hostnameValue.required(Conversion.HOST_NAME) : localHostName();
        Long maxMessageSize = section.get("max-message-size").optional(MESSAGE_SIZE, 50L << 20);
        Integer maxRecipients = section.get("max-recipients").optional(RECIPIENTS, 1000);
        Integer maxErrors = section.get("max-errors").optional(ERRORS, 20);
        Integer maxTransactions =
                section.get("max-transactions").optional(TRANSACTIONS, SmtpConfig.DEFAULT_MAX_TRANSACTIONS);
        BareLineEndings bareLineEndings = section.get("bare-line-endings")
                .optional(Conversion.oneOf(BareLineEndings.class), BareLineEndings.REJECT);
        SmtpTimeouts timeouts = timeouts(section.get("timeouts").section());
        section.rejectUnknownKeys();
        return problems.construct(() -> new SmtpConfig(
                hostname, maxMessageSize, maxRecipients, maxErrors, maxTransactions, bareLineEndings, timeouts));
    }

    // Defaults from RFC 5321 §4.5.3.2.
    private SmtpTimeouts timeouts(Section section) {
        Duration command = section.get("command").optional(Conversion.DURATION, Duration.ofMinutes(5));
        Duration greeting = section.get("backend-greeting").optional(Conversion.DURATION, Duration.ofMinutes(5));
        Duration backendCommand = section.get("backend-command").optional(Conversion.DURATION, Duration.ofMinutes(5));
        Duration dataInit = section.get("backend-data-init").optional(Conversion.DURATION, Duration.ofMinutes(2));
        Duration dataBlock = section.get("backend-data-block").optional(Conversion.DURATION, Duration.ofMinutes(3));
        Duration dataTermination =
                section.get("backend-data-termination").optional(Conversion.DURATION, Duration.ofMinutes(10));
        section.rejectUnknownKeys();
        return problems.construct(() -> new SmtpTimeouts(
                command, greeting, backendCommand, dataInit, dataBlock, dataTermination));
    }

    private ListenerConfig listener(Value value) {
        Section section = value.section();
        Value nameValue = section.get("name");
        String name = nameValue.required(Conversion.NAME_TEXT);
        ListenerRole role = section.get("role").required(Conversion.oneOf(ListenerRole.class));
        Value bindValue = section.get("bind");
        HostPort bind = bindValue.required(Conversion.HOST_PORT);
        // Inbound mail is relayed to a backend pool; outbound mail leaves from an egress pool, for some clients only.
        boolean outbound = role == ListenerRole.OUTBOUND;
        String pool = "";
        String egressPool = "";
        List<Cidr> allowedClients = List.of();
        if (outbound) {
            Value egressValue = section.get("egress-pool");
            egressPool = egressValue.required(EGRESS_POOL_REFERENCE);
            checkEgressPoolExists(egressPool, egressValue);
            allowedClients = PeerNetworks.relayClients(section.get("allowed-clients"), ALLOWED_CLIENTS_EXPECTED,
                    section.get(PeerNetworks.OPEN_KEY));
        } else {
            Value poolValue = section.get("backend-pool");
            pool = poolValue.required(POOL_REFERENCE);
            checkPoolExists(pool, poolValue);
        }
        // MTAs relay straight to an outbound listener: no balancer in between tells their address.
        Value proxyValue = outbound ? null : section.get("proxy-protocol");
        Optional<ProxyProtocolConfig> proxyProtocol = proxyValue != null && proxyValue.isPresent()
                ? Optional.ofNullable(proxyProtocol(proxyValue.section())) : Optional.empty();
        Value tlsValue = section.get("tls");
        Optional<TlsConfig> tls =
                tlsValue.isPresent() ? Optional.ofNullable(tls(tlsValue.section())) : Optional.empty();
        section.rejectUnknownKeys();

        checkUniqueName(name, nameValue);
        checkUniqueBind(bind, bindValue);
        String backendPool = pool;
        String egress = egressPool;
        List<Cidr> clients = allowedClients;
        return problems.construct(() -> new ListenerConfig(name, role, bind, backendPool, proxyProtocol, tls, egress,
                clients));
    }

    private ProxyProtocolConfig proxyProtocol(Section section) {
        List<Cidr> trusted =
                PeerNetworks.proxyTrusted(section.get("trusted"), "a list of at least one CIDR such as 10.0.0.0/8");
        Duration timeout = section.get("timeout").optional(Conversion.DURATION, Duration.ofSeconds(10));
        section.rejectUnknownKeys();
        return problems.construct(() -> new ProxyProtocolConfig(trusted, timeout));
    }

    private TlsConfig tls(Section section) {
        Path cert = section.get("cert").required(readableFile);
        Path key = section.get("key").required(readableFile);
        section.rejectUnknownKeys();
        return problems.construct(() -> new TlsConfig(cert, key));
    }

    private Map<String, BackendPoolConfig> backends(Value value) {
        return value.section().named((name, section) -> {
            poolNames.add(name);
            return pool(name, section);
        });
    }

    private BackendPoolConfig pool(String name, Section section) {
        List<HostPort> servers = new ArrayList<>();
        for (Value item : section.get("servers").nonEmptyList("a list of at least one host:port")) {
            servers.add(item.required(Conversion.HOST_PORT));
        }
        // XCLIENT is only sent when the backend advertises it, so on by default costs nothing where unsupported.
        Boolean xclient = section.get("xclient").optional(Conversion.BOOLEAN, true);
        BackendTls tls = section.get("tls").optional(Conversion.oneOf(BackendTls.class), BackendTls.NONE);
        Duration connectTimeout = section.get("connect-timeout").optional(Conversion.DURATION, Duration.ofSeconds(5));
        HealthCheckConfig healthCheck = healthCheck(section.get("health-check").section());
        ConnectionReuseConfig reuse = reuse(section.get("reuse").section());
        AdmissionConfig admission = admission(section.get("admission"));
        section.rejectUnknownKeys();
        return problems.construct(() -> new BackendPoolConfig(
                name, servers, xclient, tls, connectTimeout, healthCheck, reuse, admission));
    }

    private AdmissionConfig admission(Value value) {
        Section section = value.section();
        AdmissionConfig defaults = AdmissionConfig.OFF;
        AdmissionMode mode = section.get("mode").optional(Conversion.oneOf(AdmissionMode.class), defaults.mode());
        Integer min = section.get("min-inflight").optional(POSITIVE, defaults.minInflight());
        Value maxValue = section.get("max-inflight");
        Integer max = maxValue.optional(POSITIVE, defaults.maxInflight());
        Value initialValue = section.get("initial-inflight");
        // Unless given, the limit starts at its default, kept between the bounds given.
        Integer initial = initialValue.optional(POSITIVE, min == null || max == null ? null
                : Math.max(min, Math.min(max, defaults.initialInflight())));
        Value replyValue = section.get("reply");
        RuleReply reply = replyValue.optional(Conversion.REPLY, defaults.reply());
        Value probeValue = section.get("probe-interval");
        Duration probeInterval = probeValue.optional(Conversion.DURATION, defaults.probeInterval());
        section.rejectUnknownKeys();
        if (probeInterval != null && probeInterval.compareTo(AdmissionConfig.LEAST_PROBE_INTERVAL) < 0) {
            probeValue.invalid("a duration of at least " + AdmissionConfig.LEAST_PROBE_INTERVAL.toSeconds() + "s");
        }
        if (min != null && max != null && max < min) {
            maxValue.invalid("an integer >= min-inflight, " + min);
        } else if (min != null && max != null && initial != null && (initial < min || initial > max)) {
            initialValue.invalid("an integer between min-inflight and max-inflight, " + min + "-" + max);
        }
        if (reply != null && reply.code() / 100 != 4) {
            replyValue.invalid("a 4xx reply, so that the client retries, such as 451 4.3.2 Busy, try again later");
        }
        return problems.construct(value.path(), value.line(),
                () -> new AdmissionConfig(mode, min, max, initial, reply, probeInterval));
    }

    private ConnectionReuseConfig reuse(Section section) {
        // Well below the 300 s a Postfix smtpd waits for a command, so idle connections are ours to close.
        return reuse(problems, section, Duration.ofSeconds(10));
    }

    /** A {@code reuse} section, of a backend pool or of the egress, each with its own default idle time. */
    static ConnectionReuseConfig reuse(Problems problems, Section section, Duration defaultIdleTimeout) {
        Integer maxIdle = section.get("max-idle").optional(NON_NEGATIVE, 16);
        Duration idleTimeout = section.get("idle-timeout").optional(Conversion.DURATION, defaultIdleTimeout);
        Integer maxUses = section.get("max-uses").optional(POSITIVE, 100);
        section.rejectUnknownKeys();
        return problems.construct(() -> new ConnectionReuseConfig(maxIdle, idleTimeout, maxUses));
    }

    private HealthCheckConfig healthCheck(Section section) {
        Duration interval = section.get("interval").optional(Conversion.DURATION, Duration.ofSeconds(10));
        Duration timeout = section.get("timeout").optional(Conversion.DURATION, Duration.ofSeconds(5));
        section.rejectUnknownKeys();
        return problems.construct(() -> new HealthCheckConfig(interval, timeout));
    }

    private void checkUniqueName(String name, Value value) {
        if (name == null) {
            return;
        }
        Value first = listenerNames.putIfAbsent(name, value);
        if (first != null) {
            value.invalid("a name no other listener has; " + first.path() + " is also " + Conversion.quote(name));
        }
    }

    private void checkUniqueBind(HostPort bind, Value value) {
        if (bind == null) {
            return;
        }
        binds.forEach((other, otherValue) -> {
            if (overlaps(bind, other)) {
                value.invalid("an address no other listener binds; " + otherValue.path() + " is "
                        + Conversion.quote(other.toString()));
            }
        });
        binds.putIfAbsent(bind, value);
    }

    /** The first listener whose bind conflicts with the address, as {@code listeners[0].bind is "..."}. */
    private Optional<String> listenerBinding(HostPort bind) {
        return binds.entrySet().stream()
                .filter(entry -> overlaps(bind, entry.getKey()))
                .map(entry -> entry.getValue().path() + " is " + Conversion.quote(entry.getKey().toString()))
                .findFirst();
    }

    private void checkEgressPoolExists(String pool, Value value) {
        Set<String> names = egressBinder.poolNames();
        if (pool != null && !names.contains(pool)) {
            value.invalid(names.isEmpty()
                    ? "the name of a pool under egress.pools, which has none"
                    : "the name of a pool under egress.pools: " + String.join(", ", names));
        }
    }

    private void checkPoolExists(String pool, Value value) {
        if (pool != null && !poolNames.contains(pool)) {
            value.invalid(poolNames.isEmpty()
                    ? "the name of a pool under backends, which has none"
                    : "the name of a pool under backends: " + String.join(", ", poolNames));
        }
    }

    /** Whether two binds would fail with "address in use": same port and the same host or a wildcard address. */
    private static boolean overlaps(HostPort a, HostPort b) {
        if (a.port() != b.port()) {
            return false;
        }
        InetAddress addressA = Addresses.literal(a.host());
        InetAddress addressB = Addresses.literal(b.host());
        if (addressA == null || addressB == null) {
            return a.host().equalsIgnoreCase(b.host());
        }
        // On Linux a wildcard bind of either family conflicts with every other bind of the port (dual-stack sockets).
        return addressA.equals(addressB) || addressA.isAnyLocalAddress() || addressB.isAnyLocalAddress();
    }

    private static String localHostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "localhost";
        }
    }
}
