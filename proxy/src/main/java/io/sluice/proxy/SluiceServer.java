package io.sluice.proxy;

import io.netty.channel.EventLoopGroup;
import io.sluice.config.SluiceConfig;
import io.sluice.proxy.inbound.InboundService;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running Sluice process: event loops and the services started from a configuration. */
public final class SluiceServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SluiceServer.class);

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final InboundService inbound;

    private SluiceServer(EventLoopGroup boss, EventLoopGroup workers, InboundService inbound) {
        this.boss = boss;
        this.workers = workers;
        this.inbound = inbound;
    }

    public static SluiceServer start(SluiceConfig config) throws Exception {
        Transport transport = Transport.best();
        log.info("starting with {} transport and {} TLS", transport.name(), TlsContexts.provider());
        EventLoopGroup boss = transport.newGroup(1, "sluice-accept");
        // One loop per core: more only adds context switches, every session is non-blocking.
        EventLoopGroup workers = transport.newGroup(Runtime.getRuntime().availableProcessors(), "sluice-io");
        try {
            return new SluiceServer(boss, workers, InboundService.start(config, transport, boss, workers));
        } catch (Exception e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    /** The bound address of each listener by name. */
    public Map<String, InetSocketAddress> addresses() {
        return inbound.addresses();
    }

    @Override
    public void close() {
        inbound.close();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
