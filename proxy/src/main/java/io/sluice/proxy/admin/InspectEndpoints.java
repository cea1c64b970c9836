package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.util.NetUtil;
import io.sluice.config.AdminScope;
import io.sluice.config.ConfigError;
import io.sluice.config.RuleKey;
import io.sluice.policy.eval.Explanation;
import io.sluice.policy.eval.PolicyInspector;
import io.sluice.policy.eval.RuleState;
import io.sluice.policy.model.Decision;
import io.sluice.policy.model.Facts;
import io.sluice.policy.override.LimitOverride;
import io.sluice.proxy.inbound.Admissions;
import java.net.InetAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * Looking into the live policy: one key's bucket (or slots) of a rule, a reset of a bucket, and what a hypothetical
 * session would be told, by the rules and, on an inbound listener, by its backend pool's admission. The facts of a bucket come as query parameters ({@code listener}, {@code client-ip},
 * {@code helo}, {@code sender}, {@code recipient}, {@code size}, {@code backend-server}), those of an explanation as a JSON body; the rule
 * computes its key from them as it does for a real session.
 */
final class InspectEndpoints {

    static final String BUCKETS = "/api/v1/buckets";
    static final String EXPLAIN = "/api/v1/explain";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final InetAddress NO_CLIENT = NetUtil.createInetAddressFromIpAddressString("0.0.0.0");
    private static final Set<String> EXPLAIN_KEYS = Set.of("listener", "client-ip", "helo", "sender", "size",
            "recipients");

    private final PolicyInspector inspector;
    private final Set<String> listenerNames;
    private final Admissions admissions;

    InspectEndpoints(PolicyInspector inspector, Set<String> listenerNames, Admissions admissions) {
        this.inspector = inspector;
        this.listenerNames = new TreeSet<>(listenerNames);
        this.admissions = admissions;
    }

    void addTo(Routes routes) {
        routes.add(BUCKETS + "/{rule}", false, "GET", AdminScope.READ, this::bucket)
                // A refill lets one key pass more at once, as an override does: the same scope.
                .add(BUCKETS + "/{rule}/reset", false, "POST", AdminScope.OVERRIDES, this::reset)
                // An explanation only looks: it takes nothing from any bucket.
                .add(EXPLAIN, false, "POST", AdminScope.READ, this::explain);
    }

    private CompletableFuture<AdminResponse> bucket(AdminRequest request, String actor) {
        String rule = request.parameters().get("rule");
        Read<Facts> facts = queryFacts(request, rule);
        if (facts.invalid() != null) {
            return AdminApi.done(facts.invalid());
        }
        return inspector.state(rule, facts.value()).thenApply(state -> state
                .map(found -> AdminResponse.json(200, view(found)))
                .orElseGet(() -> doesNotApply(rule)));
    }

    private CompletableFuture<AdminResponse> reset(AdminRequest request, String actor) {
        String rule = request.parameters().get("rule");
        Read<Facts> facts = queryFacts(request, rule);
        if (facts.invalid() != null) {
            return AdminApi.done(facts.invalid());
        }
        return inspector.state(rule, facts.value()).thenCompose(state -> {
            if (state.isEmpty()) {
                return AdminApi.done(doesNotApply(rule));
            }
            if (state.get().concurrency()) {
                return AdminApi.done(AdminResponse.error(409, "rule " + rule + " counts open sessions: its slots"
                        + " come back as the sessions end, and cannot be reset"));
            }
            return inspector.reset(rule, facts.value()).thenApply(key -> {
                AuditLog.change("bucket reset", request, actor, "bucket.reset", kv("rule", rule),
                        kv("key", key.orElse("")));
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("rule", rule);
                body.put("key", key.orElse(""));
                body.put("reset", true);
                return AdminResponse.json(200, body);
            });
        });
    }

    private AdminResponse doesNotApply(String rule) {
        if (!inspector.hasRule(rule)) {
            return AdminResponse.error(404, "the policy in force has no rule " + rule);
        }
        return AdminResponse.error(404, "rule " + rule + " does not apply to these facts: its listeners, match or"
                + " except leave them out, or its key needs a fact not given");
    }

    private CompletableFuture<AdminResponse> explain(AdminRequest request, String actor) {
        Optional<String> text = request.text();
        if (text.isEmpty()) {
            return AdminApi.done(PolicyEndpoints.notUtf8("request"));
        }
        JsonNode body;
        try {
            body = JSON.readTree(text.get());
        } catch (JsonProcessingException e) {
            return AdminApi.done(invalid(List.of(error("", "not JSON: " + e.getOriginalMessage()))));
        }
        List<ConfigError> errors = new ArrayList<>();
        if (body == null || !body.isObject()) {
            return AdminApi.done(invalid(List.of(error("", "expected a JSON object"))));
        }
        body.fieldNames().forEachRemaining(key -> {
            if (!EXPLAIN_KEYS.contains(key)) {
                errors.add(error(key, "unknown key (expected one of: listener, client-ip, helo, sender, size,"
                        + " recipients)"));
            }
        });
        String listener = listener(Optional.ofNullable(body.get("listener")).map(JsonNode::asText), errors);
        InetAddress client = address(Optional.ofNullable(body.get("client-ip")).map(JsonNode::asText), errors)
                .orElse(null);
        if (body.get("client-ip") == null) {
            errors.add(error("client-ip", "missing (expected: an IP address such as 198.51.100.7)"));
        }
        String helo = textOr(body, "helo", "");
        String sender = textOr(body, "sender", "");
        long size = size(Optional.ofNullable(body.get("size")).map(JsonNode::asText), errors);
        List<String> recipients = new ArrayList<>();
        JsonNode list = body.get("recipients");
        if (list == null || !list.isArray() || list.isEmpty()) {
            errors.add(error("recipients", "expected a list of at least one address"));
        } else {
            list.forEach(item -> recipients.add(item.asText()));
        }
        if (!errors.isEmpty()) {
            return AdminApi.done(invalid(errors));
        }
        Facts connect = Facts.connect(listener, client);
        return inspector.explain(connect, helo, sender, size, recipients).thenApply(explanation -> {
            Map<String, Object> view = view(explanation);
            // Beside the rules, not in their outcome: the pool's admission decides at MAIL after them, and its state
            // is this node's of this instant.
            Explanation.RetryStanding retry = explanation.retry();
            admissions.explain(listener, retry.enabled() ? retry.reservedShare() : 0, retry.keptShare())
                    .ifPresent(admission -> view.put("admission", admission));
            return AdminResponse.json(200, view);
        });
    }

    /** A value read from a request, or the 400 that says why it could not be. */
    private record Read<T>(T value, AdminResponse invalid) {
    }

    private Read<Facts> queryFacts(AdminRequest request, String rule) {
        List<ConfigError> errors = new ArrayList<>();
        String listener = listener(request.queryValue("listener"), errors);
        Optional<InetAddress> client = address(request.queryValue("client-ip"), errors);
        if (client.isEmpty() && request.queryValue("client-ip").isEmpty() && inspector.readsClientAddress(rule)) {
            errors.add(error("client-ip", "missing (expected: an IP address; rule " + rule
                    + " reads the client's address)"));
        }
        long size = size(request.queryValue("size"), errors);
        if (!errors.isEmpty()) {
            return new Read<>(null, invalid(errors));
        }
        Facts facts = Facts.connect(listener, client.orElse(NO_CLIENT));
        facts = request.queryValue("helo").map(facts::withHelo).orElse(facts);
        Facts withHelo = facts;
        facts = request.queryValue("sender").map(sender -> withHelo.withSender(sender, size)).orElse(facts);
        facts = request.queryValue("recipient").map(facts::withRecipient).orElse(facts);
        facts = request.queryValue("backend-server").map(facts::withBackendServer).orElse(facts);
        return new Read<>(facts, null);
    }

    // With one listener it is the default; with more, which one matters to the rules, so it must be said.
    private String listener(Optional<String> given, List<ConfigError> errors) {
        if (given.isPresent()) {
            if (!listenerNames.contains(given.get())) {
                errors.add(error("listener", "\"" + given.get() + "\" (expected one of: "
                        + String.join(", ", listenerNames) + ")"));
            }
            return given.get();
        }
        if (listenerNames.size() != 1) {
            errors.add(error("listener", "missing (expected one of: " + String.join(", ", listenerNames) + ")"));
            return "";
        }
        return listenerNames.iterator().next();
    }

    private static Optional<InetAddress> address(Optional<String> given, List<ConfigError> errors) {
        if (given.isEmpty()) {
            return Optional.empty();
        }
        // An address literal only: a name here would mean a DNS lookup on the admin's event loop.
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(given.get());
        if (address == null) {
            errors.add(error("client-ip", "\"" + given.get() + "\" (expected: an IP address such as 198.51.100.7)"));
        }
        return Optional.ofNullable(address);
    }

    private static long size(Optional<String> given, List<ConfigError> errors) {
        if (given.isEmpty()) {
            return 0;
        }
        try {
            long size = Long.parseLong(given.get());
            if (size >= 0) {
                return size;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        errors.add(error("size", "\"" + given.get() + "\" (expected: a byte count >= 0)"));
        return 0;
    }

    private static String textOr(JsonNode body, String key, String absent) {
        JsonNode node = body.get(key);
        return node == null ? absent : node.asText();
    }

    private static ConfigError error(String path, String message) {
        return new ConfigError(PolicyEndpoints.REQUEST_BODY, path, message, 0);
    }

    private static AdminResponse invalid(List<ConfigError> errors) {
        return AdminResponse.invalid("request", errors);
    }

    private static Map<String, Object> view(RuleState state) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("rule", state.rule());
        view.put("key", state.key());
        view.put("counts", state.concurrency() ? "sessions" : "tokens");
        view.put(state.concurrency() ? "max" : "capacity", state.limit());
        view.put("available", state.available());
        view.put("override", state.override().map(LimitOverride::id).orElse(null));
        return view;
    }

    private static Map<String, Object> view(Explanation explanation) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("outcome", AdminResponse.kebab(explanation.outcome()));
        Explanation.RetryStanding retry = explanation.retry();
        Map<String, Object> priority = new LinkedHashMap<>();
        priority.put("enabled", retry.enabled());
        priority.put("reserved-share", retry.reservedShare());
        priority.put("returning", retry.returning());
        priority.put("first-deferred", retry.firstDeferred().isPresent()
                ? Instant.ofEpochMilli(retry.firstDeferred().getAsLong()).toString() : null);
        view.put("retry-priority", priority);
        view.put("steps", explanation.steps().stream().map(InspectEndpoints::view).toList());
        return view;
    }

    private static Map<String, Object> view(Explanation.Step step) {
        Decision decision = step.decision();
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("stage", AdminResponse.kebab(step.stage()));
        step.subject().ifPresent(recipient -> view.put("recipient", recipient));
        view.put("decision", !decision.admitted() ? "refuse" : decision.delay().isZero() ? "admit" : "delay");
        decision.rule().ifPresent(rule -> view.put("rule", rule));
        if (!decision.delay().isZero()) {
            view.put("delay-ms", decision.delay().toMillis());
        }
        if (!decision.admitted()) {
            view.put("reply", decision.reply().toString());
            view.put("closes", decision.closes(step.stage() == RuleKey.Stage.CONNECT));
        }
        view.put("rules", step.rules().stream().map(check -> {
            Map<String, Object> rule = new LinkedHashMap<>();
            rule.put("rule", check.rule());
            rule.put("key", check.key());
            rule.put("cost", check.cost());
            rule.put("available", check.available());
            rule.put("enough", check.enough());
            rule.put("shadow", check.shadow());
            rule.put("override", check.override().orElse(null));
            check.fairShare().ifPresent(share -> {
                Map<String, Object> fair = new LinkedHashMap<>();
                fair.put("key", share.key());
                fair.put("allowance", share.allowance().isPresent() ? share.allowance().getAsDouble() : null);
                fair.put("taken", share.taken());
                fair.put("over-share", share.overShare());
                fair.put("level", share.level().isPresent() ? share.level().getAsDouble() : null);
                rule.put("fair-share", fair);
            });
            check.reserve().ifPresent(reserve -> {
                Map<String, Object> reserved = new LinkedHashMap<>();
                reserved.put("reserved-tokens", reserve.reservedTokens());
                reserved.put("refuses-first-time", reserve.refusesFirstTime());
                rule.put("reserve", reserved);
            });
            return rule;
        }).toList());
        return view;
    }
}
