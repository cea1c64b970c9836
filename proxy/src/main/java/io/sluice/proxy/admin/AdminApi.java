package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.AdminScope;
import io.sluice.proxy.lifecycle.NodeState;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API: routing, authentication, method and scope checks, and the node's own endpoints (probes, metrics,
 * cluster, drain), as a function from request to response with no Netty in it. State changes and refused tokens
 * are audited on the logger {@code io.sluice.audit} ({@link AuditLog}): who (the token's name), from where, what,
 * and the state before and after; never a secret, never a request body.
 */
final class AdminApi {

    static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String AUDIT = "io.sluice.audit";

    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);

    private final Authenticator authenticator;
    private final AdminServices services;
    private final Routes routes = new Routes();

    /**
     * @param openHealth whether {@code /healthz/*} answers without a token
     * @param openMetrics whether {@code /metrics} answers without a token
     */
    AdminApi(Authenticator authenticator, boolean openHealth, boolean openMetrics, AdminServices services) {
        this.authenticator = authenticator;
        this.services = services;
        routes.add("/healthz/live", openHealth, "GET", AdminScope.READ, this::live)
                .add("/healthz/ready", openHealth, "GET", AdminScope.READ, this::ready)
                .add("/metrics", openMetrics, "GET", AdminScope.READ, this::metrics);
        new PolicyEndpoints(services.policies(), services.listenerNames()).addTo(routes);
        new OverrideEndpoints(services.overrides(), services.policies(), services.clock()).addTo(routes);
        new InspectEndpoints(services.inspector(), services.listenerNames(), services.admissions()).addTo(routes);
        new EgressEndpoints(services.pools(), services.suspensions(), services.actions(), services.tls())
                .addTo(routes);
        routes.add("/api/v1/admission", false, "GET", AdminScope.READ, this::admission)
                .add("/api/v1/cluster", false, "GET", AdminScope.READ, this::cluster)
                .add("/api/v1/cluster/drain", false, "POST", AdminScope.DRAIN, this::drain);
    }

    /** Each path with the methods it takes and the scope of each, for checking the API document against. */
    Map<String, Map<String, AdminScope>> routes() {
        return routes.paths();
    }

    /**
     * The answer the head of a request already earns (404, 401, 405 or 403), or empty when its body may be read and
     * the request handled; what is refused is audited here.
     */
    Optional<AdminResponse> refusal(AdminRequest head) {
        return Optional.ofNullable(admit(head).refusal());
    }

    /** Answers a request; the future completes at once except where a store has to ask its cluster. */
    CompletableFuture<AdminResponse> handle(AdminRequest request) {
        Admission admission = admit(request);
        if (admission.refusal() != null) {
            return done(admission.refusal());
        }
        try {
            return admission.method().endpoint()
                    .handle(request.withParameters(admission.found().parameters()), admission.actor())
                    .exceptionally(error -> internalError(request, error));
        } catch (RuntimeException e) {
            return done(internalError(request, e));
        }
    }

    /** What the head of a request decides: where it goes and for whom, or the refusal. */
    private record Admission(Routes.Found found, Routes.Method method, String actor, AdminResponse refusal) {

        static Admission refused(AdminResponse refusal) {
            return new Admission(null, null, null, refusal);
        }
    }

    private Admission admit(AdminRequest request) {
        Optional<Routes.Found> found = routes.find(request.path());
        if (found.isEmpty()) {
            return Admission.refused(AdminResponse.error(404, "no such resource; see the API document for the paths"));
        }
        Routes.Route route = found.get().route();
        // Open paths ignore any token: a probe never fails for a stale one.
        Optional<Authenticator.Caller> caller = route.open() ? Optional.empty()
                : authenticator.caller(request.authorization());
        if (!route.open() && caller.isEmpty()) {
            AuditLog.unauthenticated(request, request.authorization().isPresent());
            return Admission.refused(unauthorized(request));
        }
        Routes.Method method = route.methods().get(request.method());
        if (method == null) {
            String allowed = String.join(", ", route.methods().keySet());
            return Admission.refused(AdminResponse.error(405, request.method() + " is not allowed here (expected: "
                    + allowed + ")").withHeader("Allow", allowed));
        }
        if (caller.isPresent() && !caller.get().scopes().contains(method.scope())) {
            AuditLog.forbidden(request, caller.get().name(), method.scope());
            return Admission.refused(forbidden(caller.get(), method.scope()));
        }
        return new Admission(found.get(), method, caller.map(Authenticator.Caller::name).orElse("anonymous"), null);
    }

    private static AdminResponse forbidden(Authenticator.Caller caller, AdminScope needed) {
        String has = caller.scopes().stream().sorted().map(AdminScope::yamlName).collect(Collectors.joining(", "));
        // RFC 6750 §3.1: insufficient_scope, naming the scope the request needs.
        return AdminResponse.error(403, "this request needs the scope " + needed.yamlName() + "; the token "
                        + caller.name() + " has: " + has)
                .withHeader("WWW-Authenticate", "Bearer realm=\"sluice\", error=\"insufficient_scope\", scope=\""
                        + needed.yamlName() + "\"");
    }

    private AdminResponse unauthorized(AdminRequest request) {
        // RFC 6750 §3: the challenge, with invalid_token when a token came but was not accepted.
        if (request.authorization().isEmpty()) {
            return AdminResponse.error(401, authenticator.hasTokens()
                            ? "a bearer token is required: Authorization: Bearer <secret>"
                            : "a bearer token is required, and none is configured (admin.token-file, admin.token-env)")
                    .withHeader("WWW-Authenticate", "Bearer realm=\"sluice\"");
        }
        return AdminResponse.error(401, "the bearer token is not valid")
                .withHeader("WWW-Authenticate", "Bearer realm=\"sluice\", error=\"invalid_token\"");
    }

    private static AdminResponse internalError(AdminRequest request, Throwable error) {
        log.warn("admin request failed", kv("method", request.method()), kv("path", request.path()), error);
        return AdminResponse.error(500, "internal error; see the node's log");
    }

    private CompletableFuture<AdminResponse> live(AdminRequest request, String actor) {
        NodeState state = services.state();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("live", state.live());
        putNode(body);
        return done(AdminResponse.json(state.live() ? 200 : 503, body));
    }

    private CompletableFuture<AdminResponse> ready(AdminRequest request, String actor) {
        NodeState state = services.state();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", state.ready());
        putNode(body);
        return done(AdminResponse.json(state.ready() ? 200 : 503, body));
    }

    private void putNode(Map<String, Object> body) {
        body.put("phase", phase());
        body.put("sessions", services.state().sessions());
    }

    private CompletableFuture<AdminResponse> metrics(AdminRequest request, String actor) {
        return done(AdminResponse.text(200, METRICS_TYPE, services.metrics().get()));
    }

    /** Each backend pool's adaptive admission on this node: each node keeps its own. */
    private CompletableFuture<AdminResponse> admission(AdminRequest request, String actor) {
        return done(AdminResponse.json(200, Map.of("pools", services.admissions().report())));
    }

    private CompletableFuture<AdminResponse> cluster(AdminRequest request, String actor) {
        NodeState state = services.state();
        ClusterStatus status = services.cluster().get();
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("phase", phase());
        node.put("ready", state.ready());
        node.put("draining", state.draining());
        node.put("sessions", state.sessions());
        node.put("policy-version", services.policies().current().version());
        Map<String, Object> clusterBody = new LinkedHashMap<>();
        clusterBody.put("mode", status.mode());
        clusterBody.put("members", status.members());
        clusterBody.put("fallback", status.fallback());
        clusterBody.put("fallback-episodes", status.fallbackEpisodes());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", node);
        body.put("cluster", clusterBody);
        body.put("nodes", status.nodes());
        return done(AdminResponse.json(200, body));
    }

    private CompletableFuture<AdminResponse> drain(AdminRequest request, String actor) {
        NodeState state = services.state();
        String before = phase();
        state.startDrain();
        String after = phase();
        AuditLog.change("drain requested", request, actor, "node.drain", kv("old_phase", before),
                kv("new_phase", after));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("phase", after);
        body.put("draining", state.draining());
        return done(AdminResponse.json(202, body));
    }

    private String phase() {
        return services.state().phase().name().toLowerCase(Locale.ROOT);
    }

    static CompletableFuture<AdminResponse> done(AdminResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
