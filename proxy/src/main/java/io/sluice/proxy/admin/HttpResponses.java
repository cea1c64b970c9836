package io.sluice.proxy.admin;

import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/** Turns an {@link AdminResponse} into the HTTP/1.1 response written to the wire. */
final class HttpResponses {

    private HttpResponses() {
    }

    /**
     * @param keepAlive whether the connection stays open for another request; if not, the response says
     *     {@code Connection: close} and the caller closes once it is written
     */
    static FullHttpResponse of(AdminResponse response, boolean keepAlive) {
        FullHttpResponse http = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(response.status()), Unpooled.wrappedBuffer(response.body()));
        // Names as RFC 9110 writes them (Netty's constants are lower case), as curl -i shows them to operators.
        http.headers()
                .set("Content-Type", response.contentType())
                .setInt("Content-Length", response.body().length)
                // Health, metrics and policy are all of the moment: no cache in between may keep them.
                .set("Cache-Control", HttpHeaderValues.NO_STORE);
        response.headers().forEach(http.headers()::set);
        if (!keepAlive) {
            http.headers().set("Connection", HttpHeaderValues.CLOSE);
        }
        return http;
    }

    /** An error after which the connection closes, such as a request too large to read on from. */
    static FullHttpResponse closing(int status, String message) {
        return of(AdminResponse.error(status, message), false);
    }
}
