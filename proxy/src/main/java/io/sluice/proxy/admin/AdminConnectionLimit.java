package io.sluice.proxy.admin;

import static net.logstash.logback.argument.StructuredArguments.kv;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps the admin connections open at once ({@code admin.max-connections}). One over the cap is closed as soon as
 * it is accepted, before anything of it is read: cheaper than an answer, which the client, already sending its
 * request, might not get to read anyway (a close on unread data resets the connection). The refusals are logged at
 * most once a second, with their count.
 */
@ChannelHandler.Sharable
final class AdminConnectionLimit extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(AdminConnectionLimit.class);
    private static final long LOG_INTERVAL = TimeUnit.SECONDS.toNanos(1);

    private final int max;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private final AtomicLong lastLogged = new AtomicLong(System.nanoTime() - LOG_INTERVAL);

    AdminConnectionLimit(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max: " + max + " (expected: > 0)");
        }
        this.max = max;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        if (open.incrementAndGet() > max) {
            open.decrementAndGet();
            ctx.close();
            refused();
            return;
        }
        ctx.channel().closeFuture().addListener(closed -> open.decrementAndGet());
        super.channelActive(ctx);
    }

    /** Connections open now: for tests and the log. */
    int open() {
        return open.get();
    }

    private void refused() {
        refused.incrementAndGet();
        long now = System.nanoTime();
        long last = lastLogged.get();
        if (now - last >= LOG_INTERVAL && lastLogged.compareAndSet(last, now)) {
            int since = refused.getAndSet(0);
            log.warn("admin connections refused: admin.max-connections are open", kv("max_connections", max),
                    kv("refused", since));
        }
    }
}
