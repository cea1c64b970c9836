package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.AdminScope;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.OverrideSpec;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.policy.override.LimitOverride;
import io.sluice.policy.override.OverrideStore;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/** Overrides with an expiry: listed, added, looked at and removed; they go by themselves when they expire. */
final class OverrideEndpoints {

    static final String PATH = "/api/v1/overrides";


    private final OverrideStore overrides;
    private final PolicyStore policies;
    private final Clock clock;

    OverrideEndpoints(OverrideStore overrides, PolicyStore policies, Clock clock) {
        this.overrides = overrides;
        this.policies = policies;
        this.clock = clock;
    }

    void addTo(Routes routes) {
        routes.add(PATH, false, "GET", AdminScope.READ, this::list)
                .add(PATH, false, "POST", AdminScope.OVERRIDES, this::add)
                .add(PATH + "/{id}", false, "GET", AdminScope.READ, this::get)
                .add(PATH + "/{id}", false, "DELETE", AdminScope.OVERRIDES, this::remove);
    }

    private CompletableFuture<AdminResponse> list(AdminRequest request, String actor) {
        PolicyConfig policy = policies.current().policy();
        List<Map<String, Object>> list = overrides.list().stream().map(override -> view(override, policy)).toList();
        return AdminApi.done(AdminResponse.json(200, Map.of("overrides", list)));
    }

    private CompletableFuture<AdminResponse> add(AdminRequest request, String actor) {
        Optional<String> text = request.text();
        if (text.isEmpty()) {
            return AdminApi.done(PolicyEndpoints.notUtf8("override"));
        }
        PolicyConfig policy = policies.current().policy();
        try {
            OverrideSpec spec = ConfigLoader.parseOverride(text.get(), PolicyEndpoints.REQUEST_BODY, policy, clock.instant());
            return overrides.add(spec, actor).thenApply(added -> {
                AuditLog.change("override added", request, actor, "override.add", kv("override", added.id()),
                        kv("rule", spec.rule()), kv("factor", spec.factor()), kv("until", spec.expires().toString()));
                return AdminResponse.json(201, view(added, policy)).withHeader("Location", PATH + "/" + added.id());
            });
        } catch (ConfigException e) {
            return AdminApi.done(AdminResponse.invalid("override", e.errors()));
        }
    }

    private CompletableFuture<AdminResponse> get(AdminRequest request, String actor) {
        String id = request.parameters().get("id");
        return AdminApi.done(overrides.list().stream()
                .filter(override -> override.id().equals(id))
                .findFirst()
                .map(override -> AdminResponse.json(200, view(override, policies.current().policy())))
                .orElseGet(() -> notFound(id)));
    }

    private CompletableFuture<AdminResponse> remove(AdminRequest request, String actor) {
        String id = request.parameters().get("id");
        return overrides.remove(id).thenApply(removed -> {
            if (!removed) {
                return notFound(id);
            }
            AuditLog.change("override removed", request, actor, "override.remove", kv("override", id));
            return AdminResponse.json(200, Map.of("removed", id));
        });
    }

    private static AdminResponse notFound(String id) {
        return AdminResponse.error(404, "no override " + id + " (it may have expired); GET " + PATH + " lists them");
    }

    /** An override as the API shows it; {@code in-force} is false while the policy has no rule of its name. */
    private static Map<String, Object> view(LimitOverride override, PolicyConfig policy) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", override.id());
        view.put("rule", override.spec().rule());
        view.put("match", PolicyDocument.conditions(override.spec().match()));
        view.put("factor", override.spec().factor());
        view.put("until", override.spec().expires().toString());
        view.put("reason", override.spec().reason());
        view.put("created-by", override.createdBy());
        view.put("created", override.created().toString());
        view.put("in-force", policy.ruleNames().contains(override.spec().rule()));
        return view;
    }
}
