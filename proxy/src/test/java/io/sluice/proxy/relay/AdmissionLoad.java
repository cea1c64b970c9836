package io.sluice.proxy.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Clients offering transactions to one node, each on a thread of its own, until closed: a MAIL refused is tried again
 * after a while, as MTAs do, so the load offered stays above what is admitted.
 */
final class AdmissionLoad implements AutoCloseable {

    private final ExecutorService clients;
    private final List<Future<?>> running = new ArrayList<>();
    private final AtomicBoolean stopped = new AtomicBoolean();
    final AtomicInteger delivered = new AtomicInteger();
    final AtomicInteger refused = new AtomicInteger();
    final List<String> refusals = new CopyOnWriteArrayList<>();

    AdmissionLoad(int port, int clientCount) {
        clients = Executors.newFixedThreadPool(clientCount);
        for (int i = 0; i < clientCount; i++) {
            running.add(clients.submit(() -> {
                // Bounded: a test that stops early never leaves clients running for long.
                for (int n = 0; n < 2_000 && !stopped.get(); n++) {
                    send(port);
                }
                return null;
            }));
        }
    }

    /** One session of up to 50 transactions; a refused one is tried again in it after a while, as MTAs do. */
    private void send(int port) throws IOException {
        try (RawSmtpClient client = new RawSmtpClient(port)) {
            assertThat(client.reply()).startsWith("220 ");
            assertThat(client.command("EHLO client.example")).startsWith("250 ");
            for (int i = 0; i < 50 && !stopped.get(); i++) {
                String mail = client.command("MAIL FROM:<a@example.org>");
                if (!mail.startsWith("250 ")) {
                    refused.incrementAndGet();
                    if (refusals.size() < 1000) {
                        refusals.add(mail);
                    }
                    // The sender's retry interval, scaled down: pacing of the load, not a wait for an event.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                    continue;
                }
                assertThat(client.command("RCPT TO:<b@example.net>")).startsWith("250 ");
                assertThat(client.command("DATA")).startsWith("354 ");
                assertThat(client.command("Subject: load\r\n\r\nbody\r\n.")).startsWith("250 ");
                delivered.incrementAndGet();
            }
            client.command("QUIT");
        }
    }

    @Override
    public void close() throws Exception {
        stopped.set(true);
        clients.shutdown();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        for (Future<?> client : running) {
            // A client's failed assertion fails the test.
            client.get();
        }
    }
}
