package io.sluice.proxy.egress;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.sluice.config.ConcurrencyRule;
import io.sluice.config.EgressConfig;
import io.sluice.config.FeedbackRule;
import io.sluice.config.FeedbackRule.FeedbackAction;
import io.sluice.config.LimitRule;
import io.sluice.config.OverrideSpec;
import io.sluice.config.PolicyConfig;
import io.sluice.config.RuleKey;
import io.sluice.config.RuleMatch;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.override.OverrideStore;
import io.sluice.policy.suspension.SuspendedSource;
import io.sluice.policy.suspension.Suspension;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The actions receivers' replies took, in force across the cluster until they expire: suspensions of a source or a
 * pool for a site (kept with the sources' suspensions), and scales of the source-site rules (kept as overrides of
 * those rules for the source and site). Listed and lifted through the admin API.
 */
public final class EgressActions {

    private static final Logger log = LoggerFactory.getLogger(EgressActions.class);
    /** Who the overrides of scale actions are made by, before the feedback rule's name. */
    static final String CREATED_BY = "feedback:";
    // The reason kept with an action: the reply, on one line, no longer than a log line should be.
    private static final int MAX_REASON = 512;
    // Longer than a write to the cluster takes to come back as its event.
    private static final long ASKING = 5_000;
    // How long the gauges' counts are kept: one count for every gauge of a scrape.
    private static final long COUNTED = 1_000;

    private final SourceSuspensions suspensions;
    private final OverrideStore overrides;
    private final Supplier<PolicyConfig> policy;
    private final Clock clock;
    private final DestinationSites sites;
    // When this node last asked for each action: while the cluster takes the write, the same reply asks no more.
    private final Map<String, Long> requested = new ConcurrentHashMap<>();
    // The actions in force by pool|site tag|action, and when they were counted.
    private volatile Counts counts;

    private record Counts(long at, Map<String, Long> active) {
    }

    /**
     * An action in force.
     *
     * @param id what lifts it
     * @param source the source's address; empty for a whole pool's suspension
     * @param action suspend-source, suspend-pool or scale
     * @param reason the remote reply that took it
     * @param rule the feedback rule that took it
     * @param expires when it ends by itself
     * @param factor what a scale multiplies the rule named in {@code scaled} by; 1 for a suspension
     * @param scaled the policy rule a scale changes; empty for a suspension
     */
    public record Action(String id, String pool, String site, String source, String action, String reason,
                         String rule, Instant expires, double factor, String scaled) {
    }

    /**
     * @param overrides where scale actions are kept; their source-site rules come from {@code policy} as it is when
     *     a reply asks for one
     */
    public EgressActions(EgressConfig egress, SourceSuspensions suspensions, OverrideStore overrides,
                         Supplier<PolicyConfig> policy, Clock clock, MeterRegistry registry) {
        this.suspensions = suspensions;
        this.overrides = overrides;
        this.policy = policy;
        this.clock = clock;
        this.sites = new DestinationSites(egress.sites());
        for (String pool : egress.pools().keySet()) {
            for (String site : sites.tags()) {
                for (FeedbackAction action : FeedbackAction.values()) {
                    String name = name(action);
                    Gauge.builder("sluice.egress.actions.active",
                                    () -> active(pool + "|" + site + "|" + name))
                            .tag("pool", pool).tag("site", site).tag("action", name)
                            .description("Actions receivers' replies took, in force, by pool, destination site and"
                                    + " action")
                            .register(registry);
                }
            }
        }
    }

    /**
     * Takes the action the rule says for a reply that came to {@code source} of {@code pool} from {@code site}:
     * written for the cluster, unless it holds such an action already with more than half its duration left.
     *
     * @param code the reply's code
     * @param text the reply's text as the rules looked at it, already bounded ({@link ReceiverFeedback#text})
     */
    void take(FeedbackRule rule, EgressPool pool, SourceAddress source, String site, int code, CharSequence text) {
        List<String> scaled = rule.action() == FeedbackAction.SCALE ? sourceSiteRules() : List.of();
        if (rule.action() == FeedbackAction.SCALE && scaled.isEmpty()) {
            // No rule keyed source-site to scale: nothing is taken, nothing said.
            return;
        }
        long now = clock.millis();
        long expires = now + rule.duration().toMillis();
        String sourceText = source.toString();
        String sourceSite = sourceText + "|" + site;
        // What the action holds: one source for the site, or, for a pool action, the pool whichever source heard it.
        SuspendedSource suspended = new SuspendedSource(pool.name(),
                rule.action() == FeedbackAction.SUSPEND_POOL ? SuspendedSource.EVERY_SOURCE : sourceText, site);
        String what = rule.action() + "|" + suspended.key();
        long half = rule.duration().toMillis() / 2;
        boolean[] fresh = {false};
        requested.compute(what, (key, asked) -> {
            if (asked != null && now - asked < ASKING) {
                return asked;
            }
            fresh[0] = true;
            return now;
        });
        if (!fresh[0] || inForceUntil(rule.action(), suspended, sourceSite) - now > half) {
            // Being written, or in force with more than half its time left: a burst of one reply writes once.
            return;
        }
        requested.values().removeIf(asked -> now - asked >= ASKING);
        String reason = reason(code, text);
        log.info("receiver feedback", kv("rule", rule.name()), kv("action", name(rule.action())),
                kv("pool", pool.name()), kv("source", sourceText), kv("site", site), kv("reply", reason),
                kv("until", Instant.ofEpochMilli(expires).toString()));
        Suspension terms = new Suspension(expires, rule.name(), reason);
        CompletableFuture<?> done = rule.action() == FeedbackAction.SCALE
                ? scale(rule, scaled, sourceSite, Instant.ofEpochMilli(expires), reason)
                : suspensions.suspend(suspended, terms);
        done.whenComplete((ignored, error) -> {
            if (error != null) {
                requested.remove(what);
                log.warn("receiver feedback not taken", kv("rule", rule.name()), kv("pool", pool.name()),
                        kv("site", site), kv("error", error.toString()));
            }
        });
    }

    /**
     * Until when the cluster holds such an action already (epoch milliseconds); 0 when it holds none: the suspension's
     * terms, or for a scale the overrides feedback made for the source and site.
     */
    private long inForceUntil(FeedbackAction action, SuspendedSource suspended, String sourceSite) {
        if (action != FeedbackAction.SCALE) {
            Suspension terms = suspensions.inForce().get(suspended);
            return terms == null ? 0 : terms.expiresMillis();
        }
        long[] until = {0};
        feedbackOverrides((override, held) -> {
            if (held.equals(sourceSite)) {
                until[0] = Math.max(until[0], override.spec().expires().toEpochMilli());
            }
        });
        return until[0];
    }

    /** The names of the policy's rules keyed source-site, as the policy is now. */
    private List<String> sourceSiteRules() {
        PolicyConfig rules = policy.get();
        List<String> names = new ArrayList<>();
        rules.limits().stream().filter(limit -> limit.key() == RuleKey.SOURCE_SITE).map(LimitRule::name)
                .forEach(names::add);
        rules.concurrency().stream().filter(limit -> limit.key() == RuleKey.SOURCE_SITE).map(ConcurrencyRule::name)
                .forEach(names::add);
        return names;
    }

    /** One override per rule keyed source-site (named in {@code names}), for this source and site only. */
    private CompletableFuture<Void> scale(FeedbackRule rule, List<String> names, String sourceSite, Instant expires,
                                          String reason) {
        CompletableFuture<?>[] added = names.stream()
                .map(name -> overrides.add(new OverrideSpec(name, RuleMatch.sourceSite(sourceSite), rule.factor(),
                        expires, reason), CREATED_BY + rule.name()))
                .toArray(CompletableFuture[]::new);
        return CompletableFuture.allOf(added);
    }

    /** The actions in force, those ending first first. */
    public List<Action> list() {
        List<Action> actions = new ArrayList<>();
        suspensionsInForce(clock.millis(), (suspended, terms) -> actions.add(new Action(id(suspended.key()),
                suspended.pool(), suspended.site(), suspended.source(), suspensionName(suspended), terms.reason(),
                terms.rule(), Instant.ofEpochMilli(terms.expiresMillis()), 1, "")));
        feedbackOverrides((override, sourceSite) -> {
            int bar = sourceSite.indexOf('|');
            String source = sourceSite.substring(0, bar);
            actions.add(new Action(override.id(), poolOf(source), sourceSite.substring(bar + 1), source,
                    name(FeedbackAction.SCALE), override.spec().reason(),
                    override.createdBy().substring(CREATED_BY.length()), override.spec().expires(),
                    override.spec().factor(), override.spec().rule()));
        });
        actions.sort(Comparator.comparing(Action::expires).thenComparing(Action::id));
        return actions;
    }

    // The gauges' value: counted at most once a second for all of them, without the ids and order list() makes.
    private long active(String poolSiteAction) {
        long now = clock.millis();
        Counts held = counts;
        if (held == null || now - held.at() >= COUNTED || now < held.at()) {
            Map<String, Long> active = new HashMap<>();
            suspensionsInForce(now, (suspended, terms) -> active.merge(suspended.pool() + "|"
                    + sites.tag(suspended.site()) + "|" + suspensionName(suspended), 1L, Long::sum));
            feedbackOverrides((override, sourceSite) -> {
                int bar = sourceSite.indexOf('|');
                active.merge(poolOf(sourceSite.substring(0, bar)) + "|" + sites.tag(sourceSite.substring(bar + 1))
                        + "|" + name(FeedbackAction.SCALE), 1L, Long::sum);
            });
            held = new Counts(now, active);
            counts = held;
        }
        return held.active().getOrDefault(poolSiteAction, 0L);
    }

    /** Each suspension for one site in force at {@code now}, with its terms. */
    private void suspensionsInForce(long now, BiConsumer<SuspendedSource, Suspension> each) {
        suspensions.inForce().forEach((suspended, terms) -> {
            if (!suspended.site().equals(SuspendedSource.EVERY_SITE) && terms.expiresMillis() > now) {
                each.accept(suspended, terms);
            }
        });
    }

    /** Each override a feedback rule made, with the one {@code source|site} it holds for. */
    private void feedbackOverrides(BiConsumer<LimitOverride, String> each) {
        for (LimitOverride override : overrides.list()) {
            if (override.createdBy().startsWith(CREATED_BY) && override.spec().match().sourceSites().size() == 1) {
                each.accept(override, override.spec().match().sourceSites().get(0));
            }
        }
    }

    private static String suspensionName(SuspendedSource suspended) {
        return name(suspended.source().equals(SuspendedSource.EVERY_SOURCE) ? FeedbackAction.SUSPEND_POOL
                : FeedbackAction.SUSPEND_SOURCE);
    }

    /** Lifts the action of that id on every node; the action lifted, or empty when none is in force by it. */
    public CompletableFuture<Optional<Action>> lift(String id) {
        Optional<Action> found = list().stream().filter(action -> action.id().equals(id)).findFirst();
        if (found.isEmpty()) {
            return CompletableFuture.completedFuture(Optional.empty());
        }
        Action action = found.get();
        if (action.action().equals(name(FeedbackAction.SCALE))) {
            return overrides.remove(id).thenApply(removed -> removed ? found : Optional.empty());
        }
        SuspendedSource suspended = new SuspendedSource(action.pool(), action.source(), action.site());
        return suspensions.lift(suspended).thenApply(ignored -> found);
    }

    private String poolOf(String source) {
        for (EgressPool pool : suspensions.pools().all().values()) {
            for (SourceAddress address : pool.sources()) {
                if (address.toString().equals(source)) {
                    return pool.name();
                }
            }
        }
        return "";
    }

    /** The reply as kept with an action: one line, printable, bounded. */
    static String reason(int code, CharSequence text) {
        StringBuilder line = new StringBuilder(Math.min(text.length() + 4, MAX_REASON)).append(code).append(' ');
        for (int i = 0; i < text.length() && line.length() < MAX_REASON; i++) {
            char c = text.charAt(i);
            line.append(c < 0x20 || c == 0x7f ? ' ' : c);
        }
        return line.toString();
    }

    static String name(FeedbackAction action) {
        return action.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    // Twelve hex digits of the suspension's key: short to type in a DELETE, the same on every node.
    private static String id(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
