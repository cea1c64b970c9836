package io.sluice.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.sluice.config.ConfigError;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One admin API response: status, headers and body, written to the wire by {@link AdminHttpHandler}.
 *
 * @param status the HTTP status code
 * @param contentType the body's media type
 * @param headers further headers, such as {@code ETag}
 * @param body the body's bytes
 */
record AdminResponse(int status, String contentType, Map<String, String> headers, byte[] body) {

    static final String JSON = "application/json; charset=utf-8";

    // Indented, with a final newline: these bodies are read in terminals as often as by programs.
    private static final ObjectWriter WRITER = new ObjectMapper().writerWithDefaultPrettyPrinter();

    AdminResponse {
        headers = Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    }

    /** A JSON body: maps (in their order), lists, strings, numbers and booleans. */
    static AdminResponse json(int status, Object body) {
        try {
            byte[] bytes = (WRITER.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
            return new AdminResponse(status, JSON, Map.of(), bytes);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("body: not writable as JSON", e);
        }
    }

    /** Every error the API answers has this body: {@code {"error": "..."}}. */
    static AdminResponse error(int status, String message) {
        return json(status, Map.of("error", message));
    }

    /**
     * A 400 for a document that could not be read: every error, each with its path and line.
     *
     * @param what what the document was meant to be, such as {@code policy}
     */
    static AdminResponse invalid(String what, List<ConfigError> errors) {
        List<Map<String, Object>> list = errors.stream().map(error -> {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("path", error.path());
            item.put("message", error.message());
            item.put("line", error.line());
            return item;
        }).toList();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", "invalid " + what + ": " + errors.size() + (errors.size() == 1 ? " error" : " errors"));
        body.put("valid", false);
        body.put("errors", list);
        return json(400, body);
    }

    static AdminResponse text(int status, String contentType, String body) {
        return new AdminResponse(status, contentType, Map.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    /** An enum constant as the API writes it, as the configuration does: {@code ROUND_ROBIN} as {@code round-robin}. */
    static String kebab(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    AdminResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new AdminResponse(status, contentType, more, body);
    }
}
