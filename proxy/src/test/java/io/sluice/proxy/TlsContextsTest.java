package io.sluice.proxy;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.ssl.OpenSsl;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslProvider;
import io.sluice.proxy.peers.OpenSslSuites;
import io.sluice.proxy.peers.ServerKeys;
import io.sluice.testing.TestPorts;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The listeners' TLS policy holds with either provider: BoringSSL (tcnative) and the JDK's TLS, which Sluice falls
 * back to where tcnative does not load. openssl as the client offers every suite it knows against a bare TLS server.
 */
class TlsContextsTest {

    @RegisterExtension
    static final ServerKeys KEYS = new ServerKeys();

    private static EventLoopGroup group;

    @BeforeAll
    static void start() {
        group = new NioEventLoopGroup(1);
    }

    @AfterAll
    static void stop() {
        group.shutdownGracefully();
    }

    @ParameterizedTest
    @CsvSource({"OPENSSL, RSA", "OPENSSL, ECDSA", "JDK, RSA", "JDK, ECDSA"})
    void tls12AgreesOnForwardSecretAeadSuitesOnly(SslProvider provider, String keyType) throws Exception {
        assumeProvider(provider);
        int port = TestPorts.freeOnLoopback();
        Channel server = listen(TlsContexts.server(KEYS.tls(keyType), provider), port);
        try {
            OpenSslSuites.assertTls12ForwardSecretAeadOnly(connect(port), keyType);
        } finally {
            server.close().sync();
        }
    }

    @ParameterizedTest
    @EnumSource(value = SslProvider.class, names = {"OPENSSL", "JDK"})
    void tls13IsSpokenAndTls11AndBelowAreRefused(SslProvider provider) throws Exception {
        assumeProvider(provider);
        int port = TestPorts.freeOnLoopback();
        Channel server = listen(TlsContexts.server(KEYS.tls("RSA"), provider), port);
        try {
            OpenSslSuites.assertTls13AndNothingBelowTls12(connect(port));
        } finally {
            server.close().sync();
        }
    }

    private static void assumeProvider(SslProvider provider) {
        assumeTrue(provider != SslProvider.OPENSSL || OpenSsl.isAvailable(), "netty-tcnative does not load here");
    }

    private static Channel listen(SslContext context, int port) throws InterruptedException {
        return new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(context.newHandler(channel.alloc()), new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable refused) {
                                // The refused handshakes this test is about.
                                ctx.close();
                            }
                        });
                    }
                })
                .bind("127.0.0.1", port).sync().channel();
    }

    private static List<String> connect(int port) {
        return List.of("-connect", "127.0.0.1:" + port, "-servername", "mx.sluice.test");
    }
}
