package io.sluice.proxy.relay;

import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.sluice.config.BareLineEndings;
import io.sluice.config.HostPort;
import io.sluice.proxy.ListenerTls;
import io.sluice.proxy.ListeningSocket;
import io.sluice.proxy.Transport;
import io.sluice.proxy.lifecycle.ClientSessions;
import io.sluice.proxy.lifecycle.Drainable;
import io.sluice.proxy.smtp.SmtpFrameDecoder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The SMTP listeners of one role (inbound or outbound) and their client sessions, as the drain reaches them. Each
 * connection's pipeline, in order from the socket:
 * <ol>
 *   <li>{@code tls}: {@code SslHandler}, added first on STARTTLS;</li>
 *   <li>what the listener puts in front (the PROXY protocol handlers of an inbound listener that has them);</li>
 *   <li>{@code framer}: strict CRLF framing of commands and message content, and read control;</li>
 *   <li>{@code session}: the {@link SessionDriver}, relaying to the session's next hop.</li>
 * </ol>
 * Replies are written as bytes straight from the session; no encoder is needed.
 */
public final class RelayListeners implements Drainable, AutoCloseable {

    private final Map<String, ListeningSocket> sockets = new LinkedHashMap<>();
    // The listeners' certificates, whose files are checked for renewals until the listeners close.
    private final List<ListenerTls> certificates = new ArrayList<>();
    private final ClientSessions clients;
    private final Transport transport;
    private final EventLoopGroup workers;
    private volatile boolean accepting = true;

    /** @param name names the group of client connections */
    public RelayListeners(String name, Transport transport, EventLoopGroup workers) {
        this.clients = new ClientSessions(name);
        this.transport = transport;
        this.workers = workers;
    }

    /**
     * Binds a listener whose sessions relay to {@code hops}; {@code front} adds the handlers that come before the
     * framer. Sessions and their next hops run on the workers.
     */
    public InetSocketAddress bind(HostPort address, ListenerContext context, BareLineEndings bareLineEndings,
                                  NextHops hops, Consumer<ChannelPipeline> front)
            throws InterruptedException, IOException {
        // Closed with the listeners even when the bind fails, so that the certificate's checker does not outlive them.
        if (context.tls() instanceof ListenerTls tls) {
            certificates.add(tls);
        }
        ListeningSocket socket = ListeningSocket.bind(transport, workers, address, new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel channel) {
                // The group forgets the channel when it closes; the drain reaches every session through it.
                clients.add(channel);
                ChannelPipeline pipeline = channel.pipeline();
                front.accept(pipeline);
                // Replies written while the next hop's reads are handled (a pipelined group's, say) leave in one write.
                pipeline.addLast("flushes", new FlushConsolidationHandler(
                        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
                pipeline.addLast("framer", new SmtpFrameDecoder(bareLineEndings));
                pipeline.addLast("session", new SessionDriver(context, hops));
            }
        });
        sockets.put(context.listener(), socket);
        return socket.localAddress();
    }

    /** The bound address of each listener by name (the real port when the configuration asked for port 0). */
    public Map<String, InetSocketAddress> addresses() {
        Map<String, InetSocketAddress> addresses = new LinkedHashMap<>();
        sockets.forEach((name, socket) -> addresses.put(name, socket.localAddress()));
        return addresses;
    }

    @Override
    public void stopAccepting() {
        accepting = false;
        sockets.values().forEach(ListeningSocket::close);
    }

    /** Whether new clients may still come: false once the drain (or the close) has stopped the listeners. */
    public boolean accepting() {
        return accepting;
    }

    @Override
    public void sayGoodbye() {
        clients.sayGoodbye();
    }

    @Override
    public int openSessions() {
        return clients.size();
    }

    @Override
    public void closeAll() {
        clients.closeAll();
    }

    @Override
    public void close() {
        stopAccepting();
        certificates.forEach(ListenerTls::close);
    }
}
