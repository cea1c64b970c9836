package io.sluice.proxy.egress.tls;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * The HTTPS policy host of MTA-STS tests on loopback: serves {@code /.well-known/mta-sts.txt} with the key given,
 * counts the fetches, and misbehaves where told (another status, a redirect, another content type, a body larger
 * than announced, or an answer that never comes).
 */
public final class TestPolicyServer implements AutoCloseable {

    private final HttpsServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final AtomicInteger fetches = new AtomicInteger();
    private final Map<String, String> bodies = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> fetchesOf = new ConcurrentHashMap<>();
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile int status = 200;
    private volatile String contentType = "text/plain; charset=utf-8";
    private volatile String location;
    private volatile boolean hang;

    private TestPolicyServer(HttpsServer server) {
        this.server = server;
    }

    /** Listens on the address and port (0 for any) with the context's key. */
    public static TestPolicyServer start(String address, int port, SSLContext tls) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 50);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            TestPolicyServer policy = new TestPolicyServer(server);
            server.createContext("/.well-known/mta-sts.txt", exchange -> {
                policy.fetches.incrementAndGet();
                String host = String.valueOf(exchange.getRequestHeaders().getFirst("Host")).split(":")[0];
                policy.fetchesOf.computeIfAbsent(host, h -> new AtomicInteger()).incrementAndGet();
                try (exchange) {
                    if (policy.hang) {
                        policy.released.await(30, TimeUnit.SECONDS);
                        return;
                    }
                    byte[] bytes = policy.bodies.getOrDefault(host, "").getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().set("Content-Type", policy.contentType);
                    if (policy.location != null) {
                        exchange.getResponseHeaders().set("Location", policy.location);
                    }
                    exchange.sendResponseHeaders(policy.status, bytes.length == 0 ? -1 : 0);
                    if (bytes.length > 0) {
                        try (OutputStream out = exchange.getResponseBody()) {
                            out.write(bytes);
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            server.setExecutor(policy.executor);
            server.start();
            return policy;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /** Serves the policy text for {@code mta-sts.<domain>}, 200 and text/plain. */
    public TestPolicyServer serve(String domain, String policy) {
        bodies.put("mta-sts." + domain, policy);
        this.status = 200;
        this.contentType = "text/plain; charset=utf-8";
        this.location = null;
        this.hang = false;
        return this;
    }

    /** Answers with this status and Location header (a redirect when 3xx). */
    public TestPolicyServer redirect(int status, String location) {
        this.status = status;
        this.location = location;
        return this;
    }

    public TestPolicyServer contentType(String value) {
        this.contentType = value;
        return this;
    }

    /** Never answers (until closed). */
    public TestPolicyServer hang() {
        this.hang = true;
        return this;
    }

    /** How many times a policy was asked for. */
    public int fetches() {
        return fetches.get();
    }

    /** How many times the policy of {@code mta-sts.<domain>} was asked for. */
    public int fetches(String domain) {
        AtomicInteger count = fetchesOf.get("mta-sts." + domain);
        return count == null ? 0 : count.get();
    }

    @Override
    public void close() {
        released.countDown();
        server.stop(0);
        executor.shutdownNow();
    }
}
