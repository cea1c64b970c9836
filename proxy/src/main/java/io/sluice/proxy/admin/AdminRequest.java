package io.sluice.proxy.admin;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One admin API request, taken off the wire: what the routes need and nothing of Netty's, so that the API can be
 * exercised without a channel.
 *
 * @param client the client's IP address, as audit lines name it
 * @param method the HTTP method, such as {@code GET}
 * @param path the path without the query, percent-decoded
 * @param query the query's parameters, percent-decoded, each with its values in order
 * @param authorization the {@code Authorization} header
 * @param ifMatch the {@code If-Match} header
 * @param body the request body, at most {@code admin.max-body-size}; empty while only the head has been read
 * @param parameters the values of the route's {@code {name}} segments, once routed
 */
record AdminRequest(String client, String method, String path, Map<String, List<String>> query,
                    Optional<String> authorization, Optional<String> ifMatch, byte[] body,
                    Map<String, String> parameters) {

    AdminRequest {
        query = Map.copyOf(query);
        parameters = Map.copyOf(parameters);
    }

    /** A request as it comes off the wire, before routing. */
    AdminRequest(String client, String method, String path, Map<String, List<String>> query,
                 Optional<String> authorization, Optional<String> ifMatch, byte[] body) {
        this(client, method, path, query, authorization, ifMatch, body, Map.of());
    }

    AdminRequest withParameters(Map<String, String> routed) {
        return new AdminRequest(client, method, path, query, authorization, ifMatch, body, routed);
    }

    /** The last value of a query parameter, if given. */
    Optional<String> queryValue(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(values.size() - 1));
    }

    /** The body as text, or empty when it is not UTF-8. */
    Optional<String> text() {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
