package io.sluice.proxy.admin;

import io.sluice.config.AdminScope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * The admin API's paths and what each method on them does, with the scope a token needs for it. A path may have
 * {@code {name}} segments, which match any one segment and hand it to the endpoint as a parameter; an exact path
 * wins over a template.
 */
final class Routes {

    /** What one request does once it is authenticated, if it had to be; {@code actor} is the token's name. */
    @FunctionalInterface
    interface Endpoint {
        CompletableFuture<AdminResponse> handle(AdminRequest request, String actor);
    }

    /** What one method of a path does, and the scope a token needs for it. */
    record Method(AdminScope scope, Endpoint endpoint) {
    }

    /** The methods a path answers, in the order they were added, and whether it answers without a token. */
    record Route(boolean open, Map<String, Method> methods) {
    }

    /** The route a path found, and the values of its {@code {name}} segments. */
    record Found(Route route, Map<String, String> parameters) {
    }

    private final Map<String, Route> byPath = new LinkedHashMap<>();

    /**
     * Adds a method to a path; every method of a path shares its openness. A {@code GET} changes nothing, so it
     * needs {@link AdminScope#READ} and no other.
     */
    Routes add(String path, boolean open, String method, AdminScope scope, Endpoint endpoint) {
        Route route = byPath.computeIfAbsent(path, ignored -> new Route(open, new LinkedHashMap<>()));
        if (route.open() != open) {
            throw new IllegalArgumentException(path + ": every method of a path is open, or none is");
        }
        if (method.equals("GET") && scope != AdminScope.READ) {
            throw new IllegalArgumentException(path + ": GET needs the read scope, not " + scope.yamlName());
        }
        route.methods().put(method, new Method(scope, endpoint));
        return this;
    }

    Optional<Found> find(String path) {
        Route exact = byPath.get(path);
        if (exact != null) {
            return Optional.of(new Found(exact, Map.of()));
        }
        List<String> segments = List.of(path.split("/", -1));
        for (Map.Entry<String, Route> entry : byPath.entrySet()) {
            Map<String, String> parameters = match(List.of(entry.getKey().split("/", -1)), segments);
            if (parameters != null) {
                return Optional.of(new Found(entry.getValue(), parameters));
            }
        }
        return Optional.empty();
    }

    private static Map<String, String> match(List<String> template, List<String> segments) {
        if (template.size() != segments.size()) {
            return null;
        }
        Map<String, String> parameters = new LinkedHashMap<>();
        for (int i = 0; i < template.size(); i++) {
            String part = template.get(i);
            if (part.startsWith("{") && part.endsWith("}")) {
                if (segments.get(i).isEmpty()) {
                    return null;
                }
                parameters.put(part.substring(1, part.length() - 1), segments.get(i));
            } else if (!part.equals(segments.get(i))) {
                return null;
            }
        }
        return parameters;
    }

    /**
     * Each path, templates as written, with the methods it takes and the scope of each: for checking the API
     * document against.
     */
    Map<String, Map<String, AdminScope>> paths() {
        Map<String, Map<String, AdminScope>> paths = new LinkedHashMap<>();
        byPath.forEach((path, route) -> {
            Map<String, AdminScope> methods = new LinkedHashMap<>();
            route.methods().forEach((method, handling) -> methods.put(method, handling.scope()));
            paths.put(path, methods);
        });
        return paths;
    }
}
