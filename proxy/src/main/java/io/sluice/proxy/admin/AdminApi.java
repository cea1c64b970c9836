package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.policy.eval.VersionedPolicy;
import io.sluice.proxy.lifecycle.NodeState;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API's routes: authentication, method checks, and what each endpoint does, as a function from request
 * to response with no Netty in it. State changes are audited on the logger {@code io.sluice.audit}: who (the
 * token's name), what, and the version or phase before and after; never a secret, never a request body.
 */
final class AdminApi {

    static final String METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8";
    static final String POLICY_PATH = "/api/v1/policy";

    private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
    private static final Logger audit = LoggerFactory.getLogger("io.sluice.audit");
    private static final String REQUEST_BODY = "request body";
    // RFC 9110 §8.8.3: a strong entity tag is a quoted string; ours is the policy's version.
    private static final Pattern ETAG = Pattern.compile("\"([1-9][0-9]{0,17})\"");

    private final Authenticator authenticator;
    private final NodeState state;
    private final PolicyStore policies;
    private final Set<String> listenerNames;
    private final Supplier<String> metrics;
    private final Supplier<ClusterStatus> cluster;
    private final Map<String, Route> routes = new LinkedHashMap<>();

    /** What one request does once it is authenticated, if it had to be; {@code actor} is the token's name. */
    @FunctionalInterface
    private interface Endpoint {
        CompletableFuture<AdminResponse> handle(AdminRequest request, String actor);
    }

    /** The methods a path answers, and whether it answers without a token. */
    private record Route(boolean open, Map<String, Endpoint> methods) {
    }

    /**
     * @param openHealth whether {@code /healthz/*} answers without a token
     * @param openMetrics whether {@code /metrics} answers without a token
     * @param listenerNames the listeners a policy's rules may name
     * @param metrics the Prometheus text exposition of every meter
     */
    AdminApi(Authenticator authenticator, boolean openHealth, boolean openMetrics, NodeState state,
             PolicyStore policies, Set<String> listenerNames, Supplier<String> metrics,
             Supplier<ClusterStatus> cluster) {
        this.authenticator = authenticator;
        this.state = state;
        this.policies = policies;
        this.listenerNames = Collections.unmodifiableSet(new LinkedHashSet<>(listenerNames));
        this.metrics = metrics;
        this.cluster = cluster;
        routes.put("/healthz/live", new Route(openHealth, Map.of("GET", this::live)));
        routes.put("/healthz/ready", new Route(openHealth, Map.of("GET", this::ready)));
        routes.put("/metrics", new Route(openMetrics, Map.of("GET", this::metrics)));
        routes.put(POLICY_PATH, new Route(false, ordered("GET", this::getPolicy, "PUT", this::putPolicy)));
        routes.put(POLICY_PATH + "/validate", new Route(false, Map.of("POST", this::validatePolicy)));
        routes.put("/api/v1/cluster", new Route(false, Map.of("GET", this::cluster)));
        routes.put("/api/v1/cluster/drain", new Route(false, Map.of("POST", this::drain)));
    }

    /** Each path with the methods it takes, for checking the API document against. */
    Map<String, Set<String>> routes() {
        Map<String, Set<String>> paths = new LinkedHashMap<>();
        routes.forEach((path, route) -> paths.put(path, route.methods().keySet()));
        return paths;
    }

    /** Answers a request; the future completes at once except where a store has to ask its cluster. */
    CompletableFuture<AdminResponse> handle(AdminRequest request) {
        Route route = routes.get(request.path());
        if (route == null) {
            return done(AdminResponse.error(404, "no such resource; see the API document for the paths"));
        }
        Optional<String> actor = authenticator.name(request.authorization());
        if (!route.open() && actor.isEmpty()) {
            return done(unauthorized(request));
        }
        Endpoint endpoint = route.methods().get(request.method());
        if (endpoint == null) {
            String allowed = String.join(", ", route.methods().keySet());
            return done(AdminResponse.error(405, request.method() + " is not allowed here (expected: " + allowed + ")")
                    .withHeader("Allow", allowed));
        }
        try {
            return endpoint.handle(request, actor.orElse("anonymous"))
                    .exceptionally(error -> internalError(request, error));
        } catch (RuntimeException e) {
            return done(internalError(request, e));
        }
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
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("live", state.live());
        putNode(body);
        return done(AdminResponse.json(state.live() ? 200 : 503, body));
    }

    private CompletableFuture<AdminResponse> ready(AdminRequest request, String actor) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("ready", state.ready());
        putNode(body);
        return done(AdminResponse.json(state.ready() ? 200 : 503, body));
    }

    private void putNode(Map<String, Object> body) {
        body.put("phase", phase());
        body.put("sessions", state.sessions());
    }

    private CompletableFuture<AdminResponse> metrics(AdminRequest request, String actor) {
        return done(AdminResponse.text(200, METRICS_TYPE, metrics.get()));
    }

    private CompletableFuture<AdminResponse> getPolicy(AdminRequest request, String actor) {
        VersionedPolicy current = policies.current();
        return done(AdminResponse.json(200, PolicyDocument.tree(current.policy()))
                .withHeader("ETag", etag(current.version())));
    }

    private CompletableFuture<AdminResponse> putPolicy(AdminRequest request, String actor) {
        VersionedPolicy current = policies.current();
        if (request.ifMatch().isEmpty() || request.ifMatch().get().strip().equals("*")) {
            // RFC 6585 §3: a lost update is what the precondition prevents, so a change without one is refused.
            return done(AdminResponse.error(428, "If-Match is required, with the ETag of the policy the change is"
                    + " based on, from GET " + POLICY_PATH).withHeader("ETag", etag(current.version())));
        }
        Optional<Long> expected = version(request.ifMatch().get());
        if (expected.isEmpty() || expected.get() != current.version()) {
            return done(stale(current));
        }
        Parsed parsed = parse(request);
        if (parsed.invalid() != null) {
            return done(parsed.invalid());
        }
        long base = expected.get();
        return policies.replace(base, parsed.policy()).thenApply(replaced -> replaced.map(now -> {
            audit.info("policy replaced {} {} {} {}", kv("actor", actor), kv("action", "policy.replace"),
                    kv("old_version", base), kv("new_version", now.version()));
            return AdminResponse.json(200, Map.of("version", now.version())).withHeader("ETag", etag(now.version()));
        }).orElseGet(() -> stale(policies.current())));
    }

    private CompletableFuture<AdminResponse> validatePolicy(AdminRequest request, String actor) {
        Parsed parsed = parse(request);
        return done(parsed.invalid() != null ? parsed.invalid() : AdminResponse.json(200, Map.of("valid", true)));
    }

    private CompletableFuture<AdminResponse> cluster(AdminRequest request, String actor) {
        ClusterStatus status = cluster.get();
        Map<String, Object> node = new LinkedHashMap<>();
        node.put("phase", phase());
        node.put("ready", state.ready());
        node.put("draining", state.draining());
        node.put("sessions", state.sessions());
        node.put("policy-version", policies.current().version());
        Map<String, Object> clusterBody = new LinkedHashMap<>();
        clusterBody.put("mode", status.mode());
        clusterBody.put("members", status.members());
        clusterBody.put("fallback", status.fallback());
        clusterBody.put("fallback-episodes", status.fallbackEpisodes());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("node", node);
        body.put("cluster", clusterBody);
        return done(AdminResponse.json(200, body));
    }

    private CompletableFuture<AdminResponse> drain(AdminRequest request, String actor) {
        String before = phase();
        state.startDrain();
        String after = phase();
        audit.info("drain requested {} {} {} {}", kv("actor", actor), kv("action", "node.drain"),
                kv("old_phase", before), kv("new_phase", after));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("phase", after);
        body.put("draining", state.draining());
        return done(AdminResponse.json(202, body));
    }

    /** A policy read from a request body, or the 400 that says why it could not be. */
    private record Parsed(PolicyConfig policy, AdminResponse invalid) {
    }

    private Parsed parse(AdminRequest request) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(request.body()))
                    .toString();
        } catch (CharacterCodingException e) {
            return new Parsed(null, invalid(List.of(new ConfigError(REQUEST_BODY, "", "not UTF-8 text", 0))));
        }
        try {
            return new Parsed(ConfigLoader.parsePolicy(text, REQUEST_BODY, listenerNames), null);
        } catch (ConfigException e) {
            return new Parsed(null, invalid(e.errors()));
        }
    }

    private static AdminResponse invalid(List<ConfigError> errors) {
        List<Map<String, Object>> list = errors.stream().map(error -> {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("path", error.path());
            item.put("message", error.message());
            item.put("line", error.line());
            return item;
        }).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "invalid policy: " + errors.size() + (errors.size() == 1 ? " error" : " errors"));
        body.put("valid", false);
        body.put("errors", list);
        return AdminResponse.json(400, body);
    }

    private static AdminResponse stale(VersionedPolicy current) {
        return AdminResponse.error(412, "the policy is at version " + current.version() + " now; GET it again,"
                + " and base the change on its ETag " + etag(current.version())).withHeader("ETag",
                etag(current.version()));
    }

    static String etag(long version) {
        return "\"" + version + "\"";
    }

    /** The version an {@code If-Match} names, or empty when it names none of ours (a weak tag never matches). */
    private static Optional<Long> version(String ifMatch) {
        Matcher matcher = ETAG.matcher(ifMatch.strip());
        return matcher.matches() ? Optional.of(Long.parseLong(matcher.group(1))) : Optional.empty();
    }

    private String phase() {
        return state.phase().name().toLowerCase(Locale.ROOT);
    }

    private static Map<String, Endpoint> ordered(String method, Endpoint endpoint, String other, Endpoint second) {
        Map<String, Endpoint> methods = new LinkedHashMap<>();
        methods.put(method, endpoint);
        methods.put(other, second);
        return methods;
    }

    private static CompletableFuture<AdminResponse> done(AdminResponse response) {
        return CompletableFuture.completedFuture(response);
    }
}
