package io.sluice.proxy.admin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * The admin API's paths and what each method on them does. A path may have {@code {name}} segments, which match
 * any one segment and hand it to the endpoint as a parameter; an exact path wins over a template.
 */
final class Routes {

    /** What one request does once it is authenticated, if it had to be; {@code actor} is the token's name. */
    @FunctionalInterface
    interface Endpoint {
        CompletableFuture<AdminResponse> handle(AdminRequest request, String actor);
    }

    /** The methods a path answers, in the order they were added, and whether it answers without a token. */
    record Route(boolean open, Map<String, Endpoint> methods) {
    }

    /** The route a path found, and the values of its {@code {name}} segments. */
    record Found(Route route, Map<String, String> parameters) {
    }

    private final Map<String, Route> byPath = new LinkedHashMap<>();

    /** Adds a method to a path; every method of a path shares its openness. */
    Routes add(String path, boolean open, String method, Endpoint endpoint) {
        Route route = byPath.computeIfAbsent(path, ignored -> new Route(open, new LinkedHashMap<>()));
        if (route.open() != open) {
            throw new IllegalArgumentException(path + ": every method of a path is open, or none is");
        }
        route.methods().put(method, endpoint);
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

    /** Each path, templates as written, with the methods it takes: for checking the API document against. */
    Map<String, Set<String>> paths() {
        Map<String, Set<String>> paths = new LinkedHashMap<>();
        byPath.forEach((path, route) -> paths.put(path, route.methods().keySet()));
        return paths;
    }
}
