package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.AdminScope;
import io.sluice.config.ConfigError;
import io.sluice.config.ConfigException;
import io.sluice.config.ConfigLoader;
import io.sluice.config.PolicyConfig;
import io.sluice.config.PolicyDocument;
import io.sluice.policy.eval.PolicyStore;
import io.sluice.policy.eval.VersionedPolicy;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The policy in force: read it with its version, replace it on a precondition, or validate a candidate. */
final class PolicyEndpoints {

    static final String PATH = "/api/v1/policy";

    static final String REQUEST_BODY = "request body";
    // RFC 9110 §8.8.3: a strong entity tag is a quoted string; ours is the policy's version.
    private static final Pattern ETAG = Pattern.compile("\"([1-9][0-9]{0,17})\"");

    private final PolicyStore policies;
    private final Set<String> listenerNames;

    /** @param listenerNames the listeners a policy's rules may name */
    PolicyEndpoints(PolicyStore policies, Set<String> listenerNames) {
        this.policies = policies;
        this.listenerNames = Collections.unmodifiableSet(new LinkedHashSet<>(listenerNames));
    }

    void addTo(Routes routes) {
        routes.add(PATH, false, "GET", AdminScope.READ, this::get)
                .add(PATH, false, "PUT", AdminScope.POLICY, this::put)
                // Validating changes nothing: a read token (a CI check of a change before merge) may do it.
                .add(PATH + "/validate", false, "POST", AdminScope.READ, this::validate);
    }

    private CompletableFuture<AdminResponse> get(AdminRequest request, String actor) {
        VersionedPolicy current = policies.current();
        return AdminApi.done(AdminResponse.json(200, PolicyDocument.tree(current.policy()))
                .withHeader("ETag", etag(current.version())));
    }

    private CompletableFuture<AdminResponse> put(AdminRequest request, String actor) {
        VersionedPolicy current = policies.current();
        if (request.ifMatch().isEmpty() || request.ifMatch().get().strip().equals("*")) {
            // RFC 6585 §3: a lost update is what the precondition prevents, so a change without one is refused.
            return AdminApi.done(AdminResponse.error(428, "If-Match is required, with the ETag of the policy the"
                    + " change is based on, from GET " + PATH).withHeader("ETag", etag(current.version())));
        }
        Optional<Long> expected = version(request.ifMatch().get());
        if (expected.isEmpty() || expected.get() != current.version()) {
            return AdminApi.done(stale(current));
        }
        Parsed parsed = parse(request);
        if (parsed.invalid() != null) {
            return AdminApi.done(parsed.invalid());
        }
        long base = expected.get();
        return policies.replace(base, parsed.policy()).thenApply(replaced -> replaced.map(now -> {
            AuditLog.change("policy replaced", request, actor, "policy.replace", kv("old_version", base),
                    kv("new_version", now.version()),
                    kv("policy_sha256", PolicyDocument.sha256(PolicyDocument.json(now.policy()))));
            return AdminResponse.json(200, Map.of("version", now.version())).withHeader("ETag", etag(now.version()));
        }).orElseGet(() -> stale(policies.current())));
    }

    private CompletableFuture<AdminResponse> validate(AdminRequest request, String actor) {
        Parsed parsed = parse(request);
        return AdminApi.done(parsed.invalid() != null ? parsed.invalid()
                : AdminResponse.json(200, Map.of("valid", true)));
    }

    /** A policy read from a request body, or the 400 that says why it could not be. */
    private record Parsed(PolicyConfig policy, AdminResponse invalid) {
    }

    private Parsed parse(AdminRequest request) {
        Optional<String> text = request.text();
        if (text.isEmpty()) {
            return new Parsed(null, notUtf8("policy"));
        }
        try {
            return new Parsed(ConfigLoader.parsePolicy(text.get(), REQUEST_BODY, listenerNames), null);
        } catch (ConfigException e) {
            return new Parsed(null, AdminResponse.invalid("policy", e.errors()));
        }
    }

    static AdminResponse notUtf8(String what) {
        return AdminResponse.invalid(what, List.of(new ConfigError(REQUEST_BODY, "", "not UTF-8 text", 0)));
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
}
