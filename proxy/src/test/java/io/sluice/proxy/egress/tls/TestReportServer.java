package io.sluice.proxy.egress.tls;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import javax.net.ssl.SSLContext;

/** An HTTPS report URI of TLSRPT tests on loopback: takes every POST with 201 and keeps what came. */
public final class TestReportServer implements AutoCloseable {

    /** One request: its method, path, Content-Type and body. */
    public record Posted(String method, String path, String contentType, byte[] body) {}

    private final HttpsServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<Posted> requests = new CopyOnWriteArrayList<>();
    private volatile String[] extraHeader;

    private TestReportServer(HttpsServer server) {
        this.server = server;
    }

    /** Listens on the address, on any port, with the context's key. */
    public static TestReportServer start(String address, SSLContext tls) {
        try {
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 50);
            server.setHttpsConfigurator(new HttpsConfigurator(tls));
            TestReportServer reports = new TestReportServer(server);
            server.createContext("/", exchange -> {
                try (exchange; InputStream in = exchange.getRequestBody()) {
                    reports.requests.add(new Posted(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                            exchange.getRequestHeaders().getFirst("Content-Type"), in.readNBytes(1 << 20)));
                    String[] header = reports.extraHeader;
                    if (header != null) {
                        exchange.getResponseHeaders().add(header[0], header[1]);
                    }
                    exchange.sendResponseHeaders(201, -1);
                }
            });
            server.setExecutor(reports.executor);
            server.start();
            return reports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Adds the header to every answer from now on. */
    public TestReportServer header(String name, String value) {
        extraHeader = new String[] {name, value};
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<Posted> requests() {
        return List.copyOf(requests);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
