package io.sluice.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AdminBackpressure} behind the codec and a {@link FlowControlHandler}, as in the admin pipeline: requests
 * pipelined in one read reach the API one at a time, each once the one before is answered, and nothing is read
 * while the socket takes no more.
 */
class AdminBackpressureTest {

    private final List<String> delivered = new ArrayList<>();
    private final EmbeddedChannel channel = new EmbeddedChannel(new HttpServerCodec(), new FlowControlHandler(),
            new AdminBackpressure(), new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    if (msg instanceof HttpRequest request) {
                        delivered.add(request.uri());
                    }
                    ReferenceCountUtil.release(msg);
                }
            });

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    private void send(String raw) {
        channel.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.US_ASCII));
    }

    private void answer() {
        channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK));
        channel.runPendingTasks();
    }

    private static String get(int i) {
        return "GET /" + i + " HTTP/1.1\r\nHost: localhost\r\n\r\n";
    }

    @Test
    void pipelinedRequestsAreHandedOnOneAtATimeAsTheyAreAnswered() {
        StringBuilder flood = new StringBuilder();
        for (int i = 0; i < 100; i++) {
            flood.append(get(i));
        }

        send(flood.toString());
        List<String> beforeAnswers = List.copyOf(delivered);
        boolean readingBeforeAnswers = channel.config().isAutoRead();
        for (int i = 0; i < 99; i++) {
            answer();
        }

        assertThat(beforeAnswers).containsExactly("/0");
        assertThat(readingBeforeAnswers).as("reading while a request waits for its answer").isFalse();
        assertThat(delivered).hasSize(100).startsWith("/0", "/1", "/2").endsWith("/99");
        assertThat(channel.config().isAutoRead()).isFalse();
        answer();
        assertThat(channel.config().isAutoRead()).as("reading once every request is answered").isTrue();
    }

    @Test
    void aRequestsBodyIsReadWhileNothingIsUnanswered() {
        send("PUT /0 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\n01234");

        assertThat(channel.config().isAutoRead()).as("the rest of the body is still to come").isTrue();
        send("56789" + get(1));
        assertThat(delivered).containsExactly("/0");
        assertThat(channel.config().isAutoRead()).isFalse();
    }

    @Test
    void interimResponsesAreNoAnswer() {
        send(get(0) + get(1));
        channel.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE));
        channel.runPendingTasks();

        assertThat(delivered).containsExactly("/0");
        assertThat(channel.config().isAutoRead()).isFalse();
    }

    @Test
    void nothingIsReadWhileTheSocketTakesNoMore() {
        send(get(0));
        answer();
        assertThat(channel.config().isAutoRead()).isTrue();

        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, false);
        channel.runPendingTasks();
        boolean readingUnwritable = channel.config().isAutoRead();
        send(get(1) + get(2));
        List<String> whileUnwritable = List.copyOf(delivered);
        channel.unsafe().outboundBuffer().setUserDefinedWritability(1, true);
        channel.runPendingTasks();

        assertThat(readingUnwritable).isFalse();
        // What one read brought is decoded; it waits in the flow control handler, not at the API.
        assertThat(whileUnwritable).containsExactly("/0");
        assertThat(delivered).containsExactly("/0", "/1");
        assertThat(channel.config().isAutoRead()).isFalse();
    }
}
