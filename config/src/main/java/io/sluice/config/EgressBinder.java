package io.sluice.config;

import io.sluice.config.FeedbackRule.FeedbackAction;
import java.math.BigDecimal;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Maps the {@code egress} section onto {@link EgressConfig}: the resolvers and cache, the pools with their
 * source addresses, none of which may be in two pools, and the networks delivered to or not.
 */
final class EgressBinder {

    private static final String ADDRESS_EXPECTED = "an IP address such as 203.0.113.10 or 2001:db8::10";
    private static final Conversion<InetAddress> ADDRESS = new Conversion<>(ADDRESS_EXPECTED, text -> {
        InetAddress address = Addresses.literal(text);
        if (address == null) {
            throw Conversion.invalid(text, ADDRESS_EXPECTED);
        }
        if (address.isAnyLocalAddress() || address.isMulticastAddress()) {
            throw Conversion.invalid(text, "the address of one interface of this host, not a wildcard or group");
        }
        return address;
    });
    private static final String DESTINATIONS_EXPECTED = "a list of CIDRs such as 10.1.2.0/24 or fd00::/8";
    private static final Conversion<Integer> POSITIVE = Conversion.integerAtLeast(1, "");
    private static final Conversion<Integer> NON_NEGATIVE = Conversion.integerAtLeast(0, "");
    private static final Conversion<Integer> PORT = Conversion.integerBetween(1, 65535);
    private static final String SUFFIXES_EXPECTED =
            "a list of at least one MX host suffix such as .google.com, or a host name";
    private static final Conversion<String> MX_SUFFIX = new Conversion<>(SUFFIXES_EXPECTED, text -> {
        String host = text.startsWith(".") ? text.substring(1) : text;
        if (!Addresses.isHostName(host)) {
            throw Conversion.invalid(text, SUFFIXES_EXPECTED);
        }
        return text;
    });

    private static final String FEEDBACK_EXPECTED =
            "a list of {name, code, enhanced-code, text, action, factor, duration}";
    // Only failures: a success never asks a sender to back off.
    private static final Conversion<Integer> REPLY_CODE = Conversion.integerBetween(400, 599);
    private static final String ENHANCED_EXPECTED = "an enhanced status code such as 4.7.28 (RFC 3463), of class 4 or 5";
    private static final Pattern ENHANCED_SYNTAX = Pattern.compile("[45]\\.[0-9]{1,3}\\.[0-9]{1,3}");
    private static final Conversion<String> ENHANCED_CODE = new Conversion<>(ENHANCED_EXPECTED, text -> {
        if (!ENHANCED_SYNTAX.matcher(text).matches()) {
            throw Conversion.invalid(text, ENHANCED_EXPECTED);
        }
        return text;
    });
    private static final String REGEX_EXPECTED = "a regular expression (java.util.regex) such as \\[TSS04\\]";
    private static final Conversion<Pattern> REGEX = new Conversion<>(REGEX_EXPECTED, text -> {
        try {
            return Pattern.compile(text);
        } catch (PatternSyntaxException e) {
            throw Conversion.invalid(text, REGEX_EXPECTED + "; " + e.getDescription() + " at index " + e.getIndex());
        }
    });
    private static final String FACTOR_EXPECTED = "a number above 0 and below 1, such as 0.5";
    private static final Conversion<Double> FACTOR = Conversion.factor(BigDecimal.ONE, false, FACTOR_EXPECTED);

    private static final String MAILBOX_EXPECTED = "a mailbox such as tlsrpt@example.net";
    private static final Pattern MAILBOX_SYNTAX =
            Pattern.compile("[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}");
    private static final Conversion<String> MAILBOX = new Conversion<>(MAILBOX_EXPECTED, text -> {
        if (!MAILBOX_SYNTAX.matcher(text).matches()
                || !Addresses.isHostName(text.substring(text.lastIndexOf('@') + 1))) {
            throw Conversion.invalid(text, MAILBOX_EXPECTED);
        }
        return text;
    });
    // It goes into a JSON report and, for the organization, a mail's header: printable, on one line, short.
    private static final String REPORT_TEXT_EXPECTED = "printable text on one line, at most 200 characters";
    private static final Conversion<String> REPORT_TEXT = new Conversion<>(REPORT_TEXT_EXPECTED, text -> {
        if (text.isBlank() || text.length() > 200 || !text.chars().allMatch(c -> c >= 0x20 && c != 0x7f)) {
            throw Conversion.invalid(text, REPORT_TEXT_EXPECTED);
        }
        return text;
    });
    private static final String TIME_EXPECTED = "a time of day, UTC, such as 01:00";
    private static final Conversion<LocalTime> TIME_OF_DAY = new Conversion<>(TIME_EXPECTED, text -> {
        try {
            return LocalTime.parse(text);
        } catch (DateTimeParseException e) {
            throw Conversion.invalid(text, TIME_EXPECTED);
        }
    });

    private final Problems problems;
    // Where the report pool was named, to report a pool without a listener reports can go through.
    private Value reportPool;
    // Each source address and where it was first seen, to report the second place.
    private final Map<InetAddress, Value> sourceAddresses = new LinkedHashMap<>();
    private final Set<String> poolNames = new LinkedHashSet<>();

    private final Conversion<Path> readableFile;

    EgressBinder(Problems problems, Conversion<Path> readableFile) {
        this.problems = problems;
        this.readableFile = readableFile;
    }

    /** Returns the egress settings, or null when a problem was found; an absent section has no pools. */
    EgressConfig bind(Value value) {
        Section section = value.section();
        Value dnsValue = section.get("dns");
        Value poolsValue = section.get("pools");
        Value connectTimeoutValue = section.get("connect-timeout");
        Value remotePortValue = section.get("remote-port");
        Value allowedValue = section.get("allowed-destinations");
        Value deniedValue = section.get("denied-destinations");
        Value sitesValue = section.get("sites");
        Value reuseValue = section.get("reuse");
        Value feedbackValue = section.get("feedback");
        Value mtaStsValue = section.get("mta-sts");
        Value tlsReportsValue = section.get("tls-reports");
        section.rejectUnknownKeys();

        DnsConfig dns = dns(dnsValue.section());
        Map<String, EgressPoolConfig> pools = pools(poolsValue);
        // Postfix's smtp_connect_timeout.
        Duration connectTimeout = connectTimeoutValue.optional(Conversion.DURATION, EgressConfig.NONE.connectTimeout());
        Integer remotePort = remotePortValue.optional(PORT, 25);
        EgressDestinations destinations = destinations(allowedValue, deniedValue);
        List<EgressSite> sites = sites(sitesValue);
        // Postfix keeps an unused connection 2 s (smtp_connection_cache_time_limit); receivers close theirs later.
        ConnectionReuseConfig reuse = ConfigBinder.reuse(problems, reuseValue.section(),
                EgressConfig.DEFAULT_REUSE.idleTimeout());
        // Absent, the shipped examples hold: a receiver's deferral asks for a pause whether or not it is configured,
        // and pushing on through it costs the source's reputation; feedback: [] turns them off. Without an egress
        // section there is nothing to act on.
        List<FeedbackRule> feedback = feedbackValue.isPresent() ? feedback(feedbackValue)
                : value.isPresent() ? FeedbackRule.DEFAULTS : List.of();
        MtaStsConfig mtaSts = mtaSts(mtaStsValue);
        TlsReportsConfig tlsReports = tlsReports(tlsReportsValue);
        return problems.construct(value.path(), value.line(), () -> new EgressConfig(dns, pools, connectTimeout,
                remotePort, destinations, sites, reuse, feedback, mtaSts, tlsReports));
    }

    private List<FeedbackRule> feedback(Value value) {
        List<FeedbackRule> rules = new ArrayList<>();
        Map<String, Value> names = new LinkedHashMap<>();
        for (Value item : value.optionalList(FEEDBACK_EXPECTED)) {
            Section section = item.section();
            Value nameValue = section.get("name");
            String name = nameValue.required(Conversion.NAME_TEXT);
            Value codeValue = section.get("code");
            Integer code = codeValue.optional(REPLY_CODE, null);
            Value enhancedValue = section.get("enhanced-code");
            String enhanced = enhancedValue.optional(ENHANCED_CODE, null);
            Pattern text = section.get("text").optional(REGEX, null);
            Value actionValue = section.get("action");
            FeedbackAction action = actionValue.required(Conversion.oneOf(FeedbackAction.class));
            Value factorValue = section.get("factor");
            Double factor = factorValue.optional(FACTOR, null);
            Duration duration = section.get("duration").required(Conversion.DURATION);
            section.rejectUnknownKeys();
            if (!codeValue.isPresent() && !enhancedValue.isPresent() && !section.get("text").isPresent()) {
                item.invalid("a rule with at least one of code, enhanced-code and text");
            }
            if (action == FeedbackAction.SCALE && factor == null) {
                factorValue.invalid("a factor above 0 and below 1, such as 0.5, for action scale");
            } else if (action != null && action != FeedbackAction.SCALE && factor != null) {
                factorValue.invalid("no factor: it belongs to action scale only");
            }
            if (code != null && enhanced != null && code / 100 != enhanced.charAt(0) - '0') {
                enhancedValue.invalid("an enhanced code of the same class as code " + code);
            }
            if (name != null) {
                Value first = names.putIfAbsent(name, nameValue);
                if (first != null) {
                    nameValue.invalid("a name no other feedback rule has; " + first.path() + " is also "
                            + Conversion.quote(name));
                }
            }
            double scale = factor == null ? 1 : factor;
            rules.add(problems.construct(item.path(), item.line(), () -> new FeedbackRule(name,
                    code == null ? OptionalInt.empty() : OptionalInt.of(code), enhanced, text, action, scale,
                    duration)));
        }
        return rules;
    }

    private MtaStsConfig mtaSts(Value value) {
        Section section = value.section();
        MtaStsConfig defaults = MtaStsConfig.DEFAULT;
        Duration fetchTimeout = section.get("fetch-timeout").optional(Conversion.DURATION, defaults.fetchTimeout());
        Long maxPolicySize = section.get("max-policy-size").optional(Conversion.sizeAtLeast(64,
                "a policy is a few lines"), (long) defaults.maxPolicySize());
        Integer cacheSize = section.get("cache-size").optional(POSITIVE, defaults.cacheSize());
        Duration checkInterval = section.get("check-interval").optional(Conversion.DURATION, defaults.checkInterval());
        Integer httpsPort = section.get("https-port").optional(PORT, defaults.httpsPort());
        Path trusted = section.get("trusted-authorities").optional(readableFile, null);
        section.rejectUnknownKeys();
        return problems.construct(value.path(), value.line(), () -> new MtaStsConfig(fetchTimeout, Math.toIntExact(Math.min(maxPolicySize,
                Integer.MAX_VALUE)), cacheSize, checkInterval, httpsPort, Optional.ofNullable(trusted)));
    }

    private TlsReportsConfig tlsReports(Value value) {
        Section section = value.section();
        TlsReportsConfig defaults = TlsReportsConfig.DISABLED;
        Boolean enabled = section.get("enabled").optional(Conversion.BOOLEAN, false);
        Value organizationValue = section.get("organization");
        String organization = organizationValue.optional(REPORT_TEXT, "");
        Value contactValue = section.get("contact");
        String contact = contactValue.optional(REPORT_TEXT, "");
        Value fromValue = section.get("from");
        String from = fromValue.optional(MAILBOX, "");
        Value poolValue = section.get("pool");
        String pool = poolValue.optional(Conversion.NAME_TEXT, "");
        Value sendAtValue = section.get("send-at");
        LocalTime sendAt = sendAtValue.optional(TIME_OF_DAY, defaults.sendAt());
        Duration flush = section.get("flush-interval").optional(Conversion.DURATION, defaults.flushInterval());
        // Every node shares its final count of the day within a flush interval of midnight: not sent before that.
        if (sendAt != null && flush != null && sendAt.toSecondOfDay() < 2 * flush.toSeconds()) {
            sendAtValue.invalid(TIME_EXPECTED + ", at least twice flush-interval (" + Units.formatDuration(flush)
                    + ") after midnight, when every node has shared its count of the day");
        }
        Duration timeout = section.get("timeout").optional(Conversion.DURATION, defaults.timeout());
        section.rejectUnknownKeys();
        if (Boolean.TRUE.equals(enabled)) {
            for (Value required : List.of(organizationValue, contactValue, fromValue, poolValue)) {
                if (!required.isPresent()) {
                    required.invalid("a value: reports are enabled");
                }
            }
            if (pool != null && !pool.isEmpty() && !poolNames.contains(pool)) {
                poolValue.invalid("the name of an egress pool, one of " + poolNames);
            }
        }
        reportPool = poolValue;
        return problems.construct(value.path(), value.line(), () -> new TlsReportsConfig(enabled, organization,
                contact, from, pool, sendAt, flush, timeout));
    }

    /**
     * Reports sent by mail are submitted over loopback to an outbound listener of their pool: one must be bound to a
     * wildcard or loopback address and admit 127.0.0.1.
     */
    void checkReportListener(EgressConfig egress, List<ListenerConfig> listeners) {
        // A listener that did not bind was reported already; whether it would have done is unknown.
        if (egress == null || !egress.tlsReports().enabled() || listeners.contains(null)) {
            return;
        }
        String pool = egress.tlsReports().pool();
        boolean found = listeners.stream().anyMatch(listener -> listener.role() == ListenerRole.OUTBOUND
                && listener.egressPool().equals(pool) && listener.reachableOverLoopback());
        if (!found) {
            reportPool.invalid("the egress-pool of an outbound listener bound to a wildcard or loopback address whose"
                    + " allowed-clients include 127.0.0.1, through which reports are sent");
        }
    }

    private List<EgressSite> sites(Value value) {
        List<EgressSite> sites = new ArrayList<>();
        Map<String, Value> names = new LinkedHashMap<>();
        for (Value item : value.optionalList("a list of {name, mx-suffixes}")) {
            Section section = item.section();
            Value nameValue = section.get("name");
            String name = nameValue.required(Conversion.NAME_TEXT);
            List<String> suffixes = new ArrayList<>();
            for (Value suffix : section.get("mx-suffixes").nonEmptyList(SUFFIXES_EXPECTED)) {
                String text = suffix.required(MX_SUFFIX);
                suffixes.add(text);
            }
            section.rejectUnknownKeys();
            if (name != null) {
                Value first = names.putIfAbsent(name, nameValue);
                if (first != null) {
                    nameValue.invalid("a name no other site has; " + first.path() + " is also "
                            + Conversion.quote(name));
                }
            }
            sites.add(problems.construct(item.path(), item.line(), () -> new EgressSite(name, suffixes)));
        }
        return sites;
    }

    private EgressDestinations destinations(Value allowedValue, Value deniedValue) {
        List<Cidr> denied = new ArrayList<>();
        for (Value item : deniedValue.optionalList(DESTINATIONS_EXPECTED)) {
            denied.add(item.required(Conversion.CIDR));
        }
        List<Cidr> allowed = new ArrayList<>();
        for (Value item : allowedValue.optionalList(DESTINATIONS_EXPECTED)) {
            Cidr cidr = item.required(Conversion.CIDR);
            if (cidr != null && cidr.prefixLength() == 0) {
                // Every address would switch the protection against internal destinations off by one line.
                item.invalid("a network to deliver to although it is internal, not every address");
            } else if (cidr != null && denied.contains(cidr)) {
                item.invalid("a network not also in denied-destinations");
            }
            allowed.add(cidr);
        }
        return problems.construct(() -> new EgressDestinations(allowed, denied));
    }

    private DnsConfig dns(Section section) {
        List<HostPort> servers = new ArrayList<>();
        for (Value item : section.get("servers").optionalList("a list of host:port")) {
            HostPort server = item.required(Conversion.HOST_PORT);
            if (server != null && Addresses.literal(server.host()) == null) {
                // Resolving the resolver would need a resolver.
                item.invalid("an IP address and port, such as 10.96.0.10:53");
            }
            servers.add(server);
        }
        DnsConfig defaults = DnsConfig.DEFAULT;
        Duration timeout = section.get("timeout").optional(Conversion.DURATION, defaults.timeout());
        Integer attempts = section.get("attempts").optional(POSITIVE, defaults.attempts());
        Integer cacheSize = section.get("cache-size").optional(NON_NEGATIVE, defaults.cacheSize());
        Duration maxTtl = section.get("max-ttl").optional(Conversion.DURATION, defaults.maxTtl());
        Duration negativeTtl = section.get("negative-ttl").optional(Conversion.DURATION, defaults.negativeTtl());
        Boolean daneValue = section.get("dane").optional(Conversion.BOOLEAN, null);
        DaneMode dane = daneValue == null ? defaults.dane() : daneValue ? DaneMode.TLS_POOLS : DaneMode.OFF;
        Value anchorValue = section.get("trust-anchor");
        Path anchor = anchorValue.optional(readableFile, null);
        if (anchor != null) {
            TrustAnchorFile.check(anchor, anchorValue);
        }
        section.rejectUnknownKeys();
        return problems.construct(() -> new DnsConfig(servers, timeout, attempts, cacheSize, maxTtl, negativeTtl,
                dane, Optional.ofNullable(anchor)));
    }

    private Map<String, EgressPoolConfig> pools(Value value) {
        return value.section().named((name, section) -> {
            poolNames.add(name);
            return pool(name, section);
        });
    }

    private EgressPoolConfig pool(String name, Section section) {
        List<EgressSource> sources = new ArrayList<>();
        for (Value item : section.get("sources").nonEmptyList("a list of at least one {address, helo}")) {
            sources.add(source(item));
        }
        EgressSelection selection = section.get("selection")
                .optional(Conversion.oneOf(EgressSelection.class), EgressSelection.ROUND_ROBIN);
        EgressTls tls = section.get("tls").optional(Conversion.oneOf(EgressTls.class), EgressTls.POLICY);
        section.rejectUnknownKeys();
        return problems.construct(() -> new EgressPoolConfig(name, sources, selection, tls));
    }

    private EgressSource source(Value value) {
        Section section = value.section();
        Value addressValue = section.get("address");
        InetAddress address = addressValue.required(ADDRESS);
        String helo = section.get("helo").required(Conversion.HOST_NAME);
        section.rejectUnknownKeys();
        if (address != null) {
            Value first = sourceAddresses.putIfAbsent(address, addressValue);
            if (first != null) {
                // The reputations of two pools must never mix: one address, one pool.
                addressValue.invalid("an address no other source has; " + first.path() + " is also "
                        + Conversion.quote(address.getHostAddress()));
            }
        }
        return problems.construct(() -> new EgressSource(address, helo));
    }

    /** The pools' names, as read even where a pool has mistakes, for listeners to refer to. */
    Set<String> poolNames() {
        return poolNames;
    }
}
