package io.sluice.proxy.inbound;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.sluice.config.Cidr;
import io.sluice.config.ProxyProtocolConfig;
import io.sluice.proxy.relay.ClientAddress;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The PROXY header stage of an inbound pipeline, as the initializer builds it, played by a trusted balancer that
 * sends good, split, malformed and missing headers, and by an untrusted peer.
 */
class ProxyHeaderHandlerTest {

    private static final InetSocketAddress BALANCER = new InetSocketAddress("127.0.0.1", 50000);
    private static final ProxyProtocolConfig TRUST_LOOPBACK =
            new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofSeconds(10));
    private static final byte[] COMMAND = "EHLO client.example\r\n".getBytes(US_ASCII);

    private final ListAppender<ILoggingEvent> logged = new ListAppender<>();
    private final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);

    @BeforeEach
    void captureLog() {
        logged.start();
        root.addAppender(logged);
    }

    @AfterEach
    void releaseLog() {
        root.detachAppender(logged);
    }

    @Test
    void v1HeaderAnnouncesTheClientAndPassesOnWhatFollows() {
        Peer peer = Peer.connect(BALANCER, TRUST_LOOPBACK);

        peer.send(concat(v1Header(), COMMAND));

        assertThat(peer.announced()).containsExactly(new InetSocketAddress("192.0.2.7", 40000));
        assertThat(peer.passedOn()).isEqualTo(COMMAND);
        assertThat(peer.headerStageGone()).isTrue();
        assertThat(peer.channel.isOpen()).isTrue();
        peer.finish();
    }

    @Test
    void v2HeaderAnnouncesTheClientAndPassesOnWhatFollows() {
        Peer peer = Peer.connect(BALANCER, TRUST_LOOPBACK);

        peer.send(concat(v2Header((byte) 0x21), COMMAND));

        assertThat(peer.announced()).containsExactly(new InetSocketAddress("192.0.2.7", 40000));
        assertThat(peer.passedOn()).isEqualTo(COMMAND);
        assertThat(peer.headerStageGone()).isTrue();
        peer.finish();
    }

    @Test
    void v2LocalCommandAnnouncesTheBalancerItself() {
        Peer peer = Peer.connect(BALANCER, TRUST_LOOPBACK);

        peer.send(v2Header((byte) 0x20));

        assertThat(peer.announced()).containsExactly(BALANCER);
        peer.finish();
    }

    /** Framing is the TCP stack's: a header cut anywhere, even octet by octet, reads the same. */
    @ParameterizedTest(name = "v{0}")
    @CsvSource({"1", "2"})
    void headerSplitAtEveryOctetReadsTheSame(int version) {
        byte[] input = concat(version == 1 ? v1Header() : v2Header((byte) 0x21), COMMAND);
        for (int cut = 1; cut < input.length; cut++) {
            Peer peer = Peer.connect(BALANCER, TRUST_LOOPBACK);

            peer.send(Arrays.copyOfRange(input, 0, cut));
            peer.send(Arrays.copyOfRange(input, cut, input.length));

            assertThat(peer.announced()).as("cut at %d", cut).containsExactly(new InetSocketAddress("192.0.2.7", 40000));
            assertThat(peer.passedOn()).as("cut at %d", cut).isEqualTo(COMMAND);
            peer.finish();
        }
        Peer trickle = Peer.connect(BALANCER, TRUST_LOOPBACK);
        for (byte octet : input) {
            trickle.send(new byte[] {octet});
        }
        assertThat(trickle.announced()).containsExactly(new InetSocketAddress("192.0.2.7", 40000));
        assertThat(trickle.passedOn()).isEqualTo(COMMAND);
        trickle.finish();
    }

    /**
     * Something that is not a PROXY header is closed, without a banner, at the first octet that no header can
     * begin with; the octets before it keep the connection open, as a header's could.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "'EHLO x', 0",
            "'PROXZ', 4",
            "'PROXY\r\n', 5",
            "'proxy ', 0",
            "'\r\n\r\nQUIT', 4",
            "'\r\n\r\n<NUL>\r\nQUIT\r\n', 11",
            "'\r\nEHLO', 2"})
    void nonHeaderIsClosedAtItsFirstForeignOctet(String text, int foreign) {
        // The CSV parser drops a NUL character.
        byte[] input = text.replace("<NUL>", "\0").getBytes(US_ASCII);
        Peer peer = Peer.connect(BALANCER, TRUST_LOOPBACK);
        for (int i = 0; i < foreign; i++) {
            peer.send(new byte[] {input[i]});
            assertThat(peer.channel.isOpen()).as("open after octet %d", i).isTrue();
        }

        peer.send(Arrays.copyOfRange(input, foreign, foreign + 1));

        assertThat(peer.channel.isOpen()).isFalse();
        assertThat(peer.announced()).isEmpty();
        assertThat(peer.passedOn()).isEmpty();
        assertThat(peer.channel.outboundMessages()).as("no banner, no reply").isEmpty();
        assertThat(warnings()).isEmpty();
        peer.finish();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            // A v1 header is at most 107 octets (specification, section 2.1).
            "oversized v1",
            "malformed v1",
            "v2 of an unknown version",
            "v2 with TLVs over the limit, once more than the limit has arrived"})
    void malformedHeaderIsClosedQuietly(String kind) {
        byte[] input = switch (kind) {
            case "oversized v1" -> ("PROXY TCP4 192.0.2.7 127.0.0.1 40000 25" + " ".repeat(100) + "\r\n")
                    .getBytes(US_ASCII);
            case "malformed v1" -> "PROXY TCP4 192.0.2.700 127.0.0.1 40000 25\r\n".getBytes(US_ASCII);
            case "v2 of an unknown version" -> v2Header((byte) 0x31);
            default -> {
                byte[] header = Arrays.copyOf(v2Header((byte) 0x21), 16 + 5000);
                ByteBuffer.wrap(header).putShort(14, (short) 60_000);
                yield header;
            }
        };
        Peer peer = Peer.connect(BALANCER, TRUST_LOOPBACK);

        peer.send(concat(input, COMMAND));

        assertThat(peer.channel.isOpen()).isFalse();
        assertThat(peer.announced()).isEmpty();
        assertThat(peer.passedOn()).isEmpty();
        assertThat(peer.channel.outboundMessages()).as("no banner, no reply").isEmpty();
        // Handled here: nothing reaches the session's exception handler, and nothing at WARN.
        peer.channel.checkException();
        assertThat(warnings()).isEmpty();
        assertThat(logged.list).anySatisfy(event -> {
            assertThat(event.getLevel()).isEqualTo(Level.INFO);
            assertThat(event.getFormattedMessage()).startsWith("bad PROXY header from 127.0.0.1");
            assertThat(event.getThrowableProxy()).isNull();
        });
        peer.finish();
    }

    @Test
    void untrustedPeerIsClosedBeforeAnythingIsRead() {
        Peer peer = Peer.connect(new InetSocketAddress("192.0.2.99", 50000),
                new ProxyProtocolConfig(List.of(Cidr.parse("127.0.0.0/8")), Duration.ofSeconds(10)));

        assertThat(peer.channel.isOpen()).isFalse();
        assertThat(peer.announced()).isEmpty();
        assertThat(peer.channel.outboundMessages()).isEmpty();
        peer.finish();
    }

    @Test
    void headerBegunButNeverFinishedTimesOut() {
        Peer peer = Peer.connect(BALANCER, TRUST_LOOPBACK);
        peer.send("PROXY TCP4 192.0.2.7".getBytes(US_ASCII));

        peer.channel.advanceTimeBy(TRUST_LOOPBACK.timeout().toMillis() - 1, TimeUnit.MILLISECONDS);
        peer.channel.runScheduledPendingTasks();
        assertThat(peer.channel.isOpen()).isTrue();
        peer.channel.advanceTimeBy(1, TimeUnit.MILLISECONDS);
        peer.channel.runScheduledPendingTasks();

        assertThat(peer.channel.isOpen()).isFalse();
        assertThat(peer.announced()).isEmpty();
        peer.finish();
    }

    private List<ILoggingEvent> warnings() {
        return logged.list.stream().filter(event -> event.getLevel().isGreaterOrEqual(Level.WARN)).toList();
    }

    private static byte[] v1Header() {
        return "PROXY TCP4 192.0.2.7 127.0.0.1 40000 25\r\n".getBytes(US_ASCII);
    }

    /** A binary v2 header for TCP over IPv4 (specification section 2.2), with the version and command octet. */
    private static byte[] v2Header(byte versionAndCommand) {
        ByteBuffer header = ByteBuffer.allocate(16 + 12);
        header.put(new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
        header.put(versionAndCommand);
        header.put((byte) 0x11);      // AF_INET, STREAM
        header.putShort((short) 12);  // two addresses and two ports
        header.put(new byte[] {(byte) 192, 0, 2, 7});
        header.put(new byte[] {127, 0, 0, 1});
        header.putShort((short) 40000);
        header.putShort((short) 25);
        return header.array();
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    /** An inbound connection from {@code remote}, with the header stage and a recorder of what comes out of it. */
    private static final class Peer {
        private final EmbeddedChannel channel;
        private final List<InetSocketAddress> announced = new ArrayList<>();

        private Peer(EmbeddedChannel channel) {
            this.channel = channel;
        }

        static Peer connect(InetSocketAddress remote, ProxyProtocolConfig config) {
            EmbeddedChannel channel = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false) {
                @Override
                protected SocketAddress remoteAddress0() {
                    return remote;
                }
            };
            // The header timeout runs on the channel's clock, which only the test moves.
            channel.freezeTime();
            Peer peer = new Peer(channel);
            ProxyHeaderHandler.install(channel.pipeline(), config);
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
                    if (event instanceof ClientAddress address) {
                        peer.announced.add(address.address());
                    }
                }
            });
            try {
                channel.register();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return peer;
        }

        void send(byte[] octets) {
            if (channel.isOpen()) {
                channel.writeInbound(Unpooled.wrappedBuffer(octets));
            }
        }

        List<InetSocketAddress> announced() {
            return announced;
        }

        /** The octets that went on to the SMTP framer. */
        byte[] passedOn() {
            ByteArrayOutputStream octets = new ByteArrayOutputStream();
            for (ByteBuf buffer = channel.readInbound(); buffer != null; buffer = channel.readInbound()) {
                byte[] chunk = new byte[buffer.readableBytes()];
                buffer.readBytes(chunk);
                buffer.release();
                octets.writeBytes(chunk);
            }
            return octets.toByteArray();
        }

        boolean headerStageGone() {
            return channel.pipeline().get("proxy-signature") == null && channel.pipeline().get("proxy-decoder") == null
                    && channel.pipeline().get("proxy-header") == null;
        }

        void finish() {
            channel.finishAndReleaseAll();
        }
    }
}
