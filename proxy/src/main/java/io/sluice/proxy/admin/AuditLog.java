package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.sluice.config.AdminScope;
import java.util.ArrayList;
import java.util.List;
import net.logstash.logback.argument.StructuredArgument;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The lines of the logger {@code io.sluice.audit}: who (the token's name) did what, from which address, and what
 * changed; and who was turned away. Never a secret, never a request body.
 */
final class AuditLog {

    private static final Logger audit = LoggerFactory.getLogger(AdminApi.AUDIT);

    private AuditLog() {
    }

    /**
     * A change made, as {@code <message> actor=.. client_ip=.. action=.. <details>}.
     *
     * @param message what happened, such as {@code policy replaced}; a constant, never request text
     */
    static void change(String message, AdminRequest request, String actor, String action,
                       StructuredArgument... details) {
        List<Object> arguments = new ArrayList<>(List.of(kv("actor", actor), kv("client_ip", request.client()),
                kv("action", action)));
        arguments.addAll(List.of(details));
        audit.info(message + " {}".repeat(arguments.size()), arguments.toArray());
    }

    /**
     * A request turned away without a valid token. Nothing of what was presented is written: a wrong secret is
     * often a right one of another place, or one typed with a typo.
     *
     * @param presented whether a token came at all: {@code invalid} if so, {@code missing} if not
     */
    static void unauthenticated(AdminRequest request, boolean presented) {
        audit.info("authentication failed {} {} {} {} {}", kv("client_ip", request.client()),
                kv("action", "auth.failed"), kv("method", request.method()), kv("path", request.path()),
                kv("token", presented ? "invalid" : "missing"));
    }

    /** A valid token turned away because it lacks the scope the request needs. */
    static void forbidden(AdminRequest request, String actor, AdminScope needed) {
        audit.info("access denied {} {} {} {} {} {}", kv("actor", actor), kv("client_ip", request.client()),
                kv("action", "auth.forbidden"), kv("method", request.method()), kv("path", request.path()),
                kv("scope", needed.yamlName()));
    }
}
