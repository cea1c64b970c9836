package io.sluice.proxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
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

    static AdminResponse text(int status, String contentType, String body) {
        return new AdminResponse(status, contentType, Map.of(), body.getBytes(StandardCharsets.UTF_8));
    }

    AdminResponse withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new AdminResponse(status, contentType, more, body);
    }
}
