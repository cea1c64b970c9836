package io.sluice.proxy.admin;

import java.util.Optional;

/**
 * One admin API request, taken off the wire: what the routes need and nothing of Netty's, so that the API can be
 * exercised without a channel.
 *
 * @param method the HTTP method, such as {@code GET}
 * @param path the path without the query, percent-decoded
 * @param authorization the {@code Authorization} header
 * @param ifMatch the {@code If-Match} header
 * @param body the request body, at most {@code admin.max-body-size}
 */
record AdminRequest(String method, String path, Optional<String> authorization, Optional<String> ifMatch,
                    byte[] body) {
}
