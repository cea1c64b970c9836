package io.sluice.proxy.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Builds the pipeline of an admin connection. In order from the socket:
 * <ol>
 *   <li>{@code limit}: closes a connection over {@code admin.max-connections} as soon as it is accepted;</li>
 *   <li>{@code idle}: closes a connection that has been quiet for a minute;</li>
 *   <li>{@code http}: HTTP/1.1 decoding and encoding, with Netty's limits on the request line and headers;</li>
 *   <li>{@code flow}: holds the requests one read decoded, handing them on one at a time while reading is off;</li>
 *   <li>{@code backpressure}: reads on only once the request before is answered and the socket takes more;</li>
 *   <li>{@code head}: answers a request without a valid token or scope on its head, and throws its body away;</li>
 *   <li>{@code body}: the request and its body as one message, up to {@code admin.max-body-size} (else 413);</li>
 *   <li>{@code api}: routes the request to the {@link AdminApi} and writes its response.</li>
 * </ol>
 */
final class AdminChannelInitializer extends ChannelInitializer<Channel> {

    // Long enough for a person typing curl commands on a kept connection; idle ones are not kept for ever.
    static final Duration IDLE = Duration.ofMinutes(1);

    private final AdminApi api;
    private final int maxBodySize;
    private final Duration idle;
    private final AdminConnectionLimit limit;

    /**
     * @param idle how long a connection may be quiet before it is closed (tests shorten it)
     * @param limit shared by every connection of the listener
     */
    AdminChannelInitializer(AdminApi api, int maxBodySize, Duration idle, AdminConnectionLimit limit) {
        this.api = api;
        this.maxBodySize = maxBodySize;
        this.idle = idle;
        this.limit = limit;
    }

    @Override
    protected void initChannel(Channel channel) {
        channel.pipeline()
                .addLast("limit", limit)
                .addLast("idle", new IdleStateHandler(0, 0, idle.toNanos(), TimeUnit.NANOSECONDS))
                .addLast("http", new HttpServerCodec())
                .addLast("flow", new FlowControlHandler())
                .addLast("backpressure", new AdminBackpressure())
                .addLast("head", new AdminHeadCheck(api, maxBodySize))
                .addLast("body", new AdminBodyAggregator(maxBodySize))
                .addLast("api", new AdminHttpHandler(api));
    }
}
