package io.sluice.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.sluice.config.AdminConfig;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An admin connection in an {@link EmbeddedChannel}: raw request bytes in, decoded responses out. Every buffer it
 * allocates or is handed is released, and {@link #close()} fails if the pipeline leaked one.
 */
final class AdminChannel implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
    private final EmbeddedChannel channel;
    // The client's side, to read the bytes the server wrote back as responses.
    private final EmbeddedChannel client = new EmbeddedChannel(new HttpResponseDecoder(),
            new HttpObjectAggregator(1 << 20));

    /** A response as the client saw it. */
    record Response(int status, HttpHeaders headers, String body) {

        String header(CharSequence name) {
            return headers.get(name);
        }

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (java.io.IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    AdminChannel(AdminApi api, int maxBodySize) {
        this(api, maxBodySize, AdminChannelInitializer.IDLE);
    }

    AdminChannel(AdminApi api, int maxBodySize, Duration idle) {
        this(api, maxBodySize, idle, new AdminConnectionLimit(AdminConfig.DEFAULT_MAX_CONNECTIONS));
    }

    /** A connection counted by {@code limit}, shared with other connections. */
    AdminChannel(AdminApi api, int maxBodySize, Duration idle, AdminConnectionLimit limit) {
        // Registered once the allocator is set, so that the pipeline sees the connection become active.
        channel = new EmbeddedChannel(false, false, new AdminChannelInitializer(api, maxBodySize, idle, limit));
        channel.config().setAllocator(alloc);
        try {
            channel.register();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Sends the bytes as one read. */
    AdminChannel send(String raw) {
        return send(raw.getBytes(StandardCharsets.UTF_8));
    }

    AdminChannel send(byte[] raw) {
        if (channel.isOpen()) {
            channel.writeInbound(alloc.buffer(raw.length).writeBytes(raw));
        }
        channel.runPendingTasks();
        channel.checkException();
        return this;
    }

    /** Sends the bytes one read per byte, the most split a request can arrive in. */
    AdminChannel sendByteByByte(String raw) {
        for (byte b : raw.getBytes(StandardCharsets.UTF_8)) {
            send(new byte[] {b});
        }
        return this;
    }

    /** Every response written since the last call, in order. */
    List<Response> responses() {
        channel.runPendingTasks();
        for (Object out; (out = channel.readOutbound()) != null; ) {
            client.writeInbound((ByteBuf) out);
        }
        List<Response> responses = new ArrayList<>();
        for (Object in; (in = client.readInbound()) != null; ) {
            FullHttpResponse response = (FullHttpResponse) in;
            try {
                responses.add(new Response(response.status().code(),
                        new DefaultHttpHeaders().add(response.headers()),
                        response.content().toString(StandardCharsets.UTF_8)));
            } finally {
                response.release();
            }
        }
        return responses;
    }

    /** Sends a request and returns its one response. */
    Response exchange(String raw) {
        send(raw);
        List<Response> responses = responses();
        assertThat(responses).as("responses to%n%s", raw).hasSize(1);
        return responses.get(0);
    }

    /** Bytes of buffers the pipeline holds now: what it keeps of what was sent. */
    long bytesHeld() {
        return alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory();
    }

    boolean isOpen() {
        return channel.isOpen();
    }

    EmbeddedChannel channel() {
        return channel;
    }

    @Override
    public void close() {
        channel.finishAndReleaseAll();
        client.finishAndReleaseAll();
        assertThat(alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory())
                .as("bytes of buffers the pipeline never released").isZero();
    }

    /** A request with the headers every test sends; {@code headers} are lines ending in CRLF. */
    static String request(String method, String path, String headers, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return method + " " + path + " HTTP/1.1\r\nHost: localhost\r\n" + headers
                + (bytes.length > 0 ? "Content-Length: " + bytes.length + "\r\n" : "") + "\r\n" + body;
    }
}
