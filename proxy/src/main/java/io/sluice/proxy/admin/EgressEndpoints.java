package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.util.NetUtil;
import io.sluice.config.AdminScope;
import io.sluice.proxy.egress.EgressActions;
import io.sluice.proxy.egress.EgressPool;
import io.sluice.proxy.egress.EgressPools;
import io.sluice.proxy.egress.SourceAddress;
import io.sluice.proxy.egress.SourceSuspensions;
import io.sluice.proxy.egress.tls.TlsPolicies;
import java.net.InetAddress;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Pattern;

/**
 * The egress pools with their sources, and the actions receivers' replies took; a source suspended or resumed, or an
 * action lifted, on one node is on every node.
 */
final class EgressEndpoints {

    private static final Pattern DOMAIN =
            Pattern.compile("([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");

    static final String PATH = "/api/v1/egress/pools";
    static final String ACTIONS = "/api/v1/egress/actions";
    static final String TLS_PATH = "/api/v1/egress/tls";

    private final EgressPools pools;
    private final SourceSuspensions suspensions;
    private final EgressActions actions;
    private final Optional<TlsPolicies> tls;

    EgressEndpoints(EgressPools pools, SourceSuspensions suspensions, EgressActions actions,
                    Optional<TlsPolicies> tls) {
        this.pools = pools;
        this.suspensions = suspensions;
        this.actions = actions;
        this.tls = tls;
    }

    void addTo(Routes routes) {
        routes.add(PATH, false, "GET", AdminScope.READ, this::list)
                .add(PATH + "/{pool}/sources/{address}/suspend", false, "POST", AdminScope.EGRESS,
                        (request, actor) -> set(request, actor, true))
                .add(PATH + "/{pool}/sources/{address}/resume", false, "POST", AdminScope.EGRESS,
                        (request, actor) -> set(request, actor, false))
                .add(ACTIONS, false, "GET", AdminScope.READ, this::actions)
                .add(ACTIONS + "/{id}", false, "DELETE", AdminScope.EGRESS, this::lift)
                .add(TLS_PATH + "/{domain}", false, "GET", AdminScope.READ, this::tls);
    }

    private CompletableFuture<AdminResponse> actions(AdminRequest request, String actor) {
        return AdminApi.done(AdminResponse.json(200,
                Map.of("actions", actions.list().stream().map(EgressEndpoints::view).toList())));
    }

    private CompletableFuture<AdminResponse> lift(AdminRequest request, String actor) {
        String id = request.parameters().get("id");
        return actions.lift(id).thenApply(lifted -> {
            if (lifted.isEmpty()) {
                return AdminResponse.error(404, "no action " + id + " in force (it may have expired); GET " + ACTIONS
                        + " lists them");
            }
            EgressActions.Action action = lifted.get();
            AuditLog.change("egress action lifted", request, actor, "egress.action.lift", kv("action_id", id),
                    kv("action", action.action()), kv("pool", action.pool()), kv("site", action.site()),
                    kv("source", action.source()), kv("rule", action.rule()));
            return AdminResponse.json(200, Map.of("lifted", view(action)));
        });
    }

    private static Map<String, Object> view(EgressActions.Action action) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", action.id());
        view.put("pool", action.pool());
        view.put("site", action.site());
        view.put("source", action.source());
        view.put("action", action.action());
        if (!action.scaled().isEmpty()) {
            view.put("scaled-rule", action.scaled());
            view.put("factor", action.factor());
        }
        view.put("reason", action.reason());
        view.put("rule", action.rule());
        view.put("until", action.expires().toString());
        return view;
    }

    /** The MTA-STS policy in force for a destination domain and where it came from; looked up if need be. */
    private CompletableFuture<AdminResponse> tls(AdminRequest request, String actor) {
        String text = request.parameters().get("domain").toLowerCase(Locale.ROOT);
        String domain = text.endsWith(".") ? text.substring(0, text.length() - 1) : text;
        // A host name only: whatever else would go into a DNS question and the log unchecked.
        if (domain.length() > 253 || !DOMAIN.matcher(domain).matches()) {
            return AdminApi.done(AdminResponse.error(400, "\"" + text.replaceAll("[^\\x21-\\x7e]", "?")
                    + "\" is not a domain name"));
        }
        if (tls.isEmpty()) {
            return AdminApi.done(AdminResponse.error(404, "no outbound relay on this node"));
        }
        return tls.get().describe(domain).thenApply(view -> AdminResponse.json(200, view));
    }

    private CompletableFuture<AdminResponse> list(AdminRequest request, String actor) {
        Map<String, Object> byName = new LinkedHashMap<>();
        pools.all().forEach((name, pool) -> byName.put(name, view(pool)));
        return AdminApi.done(AdminResponse.json(200, Map.of("pools", byName)));
    }

    private CompletableFuture<AdminResponse> set(AdminRequest request, String actor, boolean suspended) {
        String pool = request.parameters().get("pool");
        String text = request.parameters().get("address");
        // An address literal only: a name here would mean a DNS lookup on the admin's event loop.
        InetAddress address = NetUtil.createInetAddressFromIpAddressString(text);
        if (address == null) {
            return AdminApi.done(AdminResponse.error(400, "\"" + text + "\" is not an IP address"));
        }
        return suspensions.set(pool, address, suspended).thenApply(known -> {
            if (!known) {
                return AdminResponse.error(404, "pool " + pool + " has no source " + text + "; GET " + PATH
                        + " lists them");
            }
            AuditLog.change(suspended ? "egress source suspended" : "egress source resumed", request, actor,
                    suspended ? "egress.suspend" : "egress.resume", kv("pool", pool),
                    kv("source", NetUtil.toAddressString(address)));
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("pool", pool);
            body.put("source", NetUtil.toAddressString(address));
            body.put("suspended", suspended);
            return AdminResponse.json(200, body);
        });
    }

    private static Map<String, Object> view(EgressPool pool) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("selection", AdminResponse.kebab(pool.config().selection()));
        view.put("tls", AdminResponse.kebab(pool.config().tls()));
        view.put("sources", pool.sources().stream().map(EgressEndpoints::view).toList());
        return view;
    }

    private static Map<String, Object> view(SourceAddress source) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("address", NetUtil.toAddressString(source.address()));
        view.put("helo", source.helo());
        view.put("suspended", source.suspended());
        return view;
    }
}
