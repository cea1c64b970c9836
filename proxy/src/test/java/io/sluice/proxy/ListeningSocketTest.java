package io.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.HostPort;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** A listener's sockets over loopback: one port, connections kept on the loop that accepted them, no sharing. */
class ListeningSocketTest {

    private static final int LOOPS = 2;
    private static final HostPort ANY_PORT = new HostPort("127.0.0.1", 0);

    private final Transport transport = Transport.best();
    private final EventLoopGroup loops = transport.newGroup(LOOPS, "listening-test");
    private final BlockingQueue<Channel> accepted = new LinkedBlockingQueue<>();
    private final ChannelInitializer<Channel> recordAccepted = new ChannelInitializer<>() {
        @Override
        protected void initChannel(Channel channel) {
            accepted.add(channel);
        }
    };

    @AfterEach
    void stopLoops() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void everyConnectionStaysOnTheLoopThatAcceptedIt() throws Exception {
        try (ListeningSocket socket = ListeningSocket.bind(transport, loops, ANY_PORT, recordAccepted)) {
            int connections = 40;
            List<Socket> clients = new ArrayList<>();
            try {
                for (int i = 0; i < connections; i++) {
                    clients.add(new Socket("127.0.0.1", socket.localAddress().getPort()));
                }
                List<Channel> channels = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    Channel channel = accepted.poll(10, TimeUnit.SECONDS);
                    assertThat(channel).as("connection %d accepted", i).isNotNull();
                    channels.add(channel);
                }
                for (Channel channel : channels) {
                    assertThat(channel.eventLoop()).isSameAs(channel.parent().eventLoop());
                }
                Set<EventLoop> used = channels.stream().map(Channel::eventLoop).collect(Collectors.toSet());
                // With epoll, the kernel spreads connections over one socket per loop (40 of them all landing on
                // one of two loops has a chance of 2^-39); elsewhere one socket's loop accepts and hands them on.
                assertThat(used).hasSize(transport.epoll() ? LOOPS : 1);
            } finally {
                for (Socket client : clients) {
                    client.close();
                }
            }
        }
    }

    @Test
    void aPortAlreadyListenedOnIsRefusedEvenToAnotherSharingListener() throws Exception {
        try (ListeningSocket first = ListeningSocket.bind(transport, loops, ANY_PORT, recordAccepted)) {
            HostPort taken = new HostPort("127.0.0.1", first.localAddress().getPort());
            assertThatThrownBy(() -> ListeningSocket.bind(transport, loops, taken, recordAccepted))
                    .isInstanceOf(BindException.class);
        }
        try (ServerSocket plain = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            HostPort taken = new HostPort("127.0.0.1", plain.getLocalPort());
            assertThatThrownBy(() -> ListeningSocket.bind(transport, loops, taken, recordAccepted))
                    .isInstanceOf(IOException.class)
                    .hasMessageContaining("in use");
        }
    }

    @Test
    void afterCloseNothingListensOnThePort() throws Exception {
        ListeningSocket socket = ListeningSocket.bind(transport, loops, ANY_PORT, recordAccepted);
        InetSocketAddress address = socket.localAddress();
        try (Socket before = new Socket(address.getAddress(), address.getPort())) {
            assertThat(accepted.poll(10, TimeUnit.SECONDS)).isNotNull();
        }
        socket.close();
        assertThatThrownBy(() -> new Socket(address.getAddress(), address.getPort()).close())
                .isInstanceOf(ConnectException.class);
    }
}
