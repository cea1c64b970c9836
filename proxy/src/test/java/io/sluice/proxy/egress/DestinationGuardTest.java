package io.sluice.proxy.egress;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.channel.EventLoopGroup;
import io.sluice.config.Cidr;
import io.sluice.config.ConnectionReuseConfig;
import io.sluice.config.DnsConfig;
import io.sluice.config.EgressConfig;
import io.sluice.config.EgressDestinations;
import io.sluice.config.EgressPoolConfig;
import io.sluice.config.EgressSelection;
import io.sluice.config.EgressSource;
import io.sluice.config.EgressTls;
import io.sluice.config.SmtpTimeouts;
import io.sluice.policy.eval.HeldLeases;
import io.sluice.proxy.Transport;
import io.sluice.proxy.egress.tls.DestinationTls;
import io.sluice.proxy.egress.tls.TlsOutcomes;
import io.sluice.proxy.egress.tls.TlsRequirement;
import io.sluice.testing.TestPorts;
import java.net.InetAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The last check before a connect, for a caller that skipped the screen of MX answers: handed forbidden addresses
 * straight, the connector opens nothing and says why; the screen keeps the permitted hosts of a mixed answer.
 */
class DestinationGuardTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final EventLoopGroup loops = Transport.best().newGroup(1, "guard-test");

    @AfterEach
    void stopLoops() {
        loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }

    private CompletableFuture<RemoteConnection> open(EgressDestinations destinations, int port, MxHost... hosts)
            throws Exception {
        EgressPoolConfig poolConfig = new EgressPoolConfig("normal",
                List.of(new EgressSource(InetAddress.getByName("127.0.0.10"), "out.sluice.test")),
                EgressSelection.ROUND_ROBIN, EgressTls.NONE);
        EgressPools pools = new EgressPools(new EgressConfig(DnsConfig.DEFAULT, Map.of("normal", poolConfig),
                Duration.ofSeconds(2), port, destinations), registry);
        Duration wait = Duration.ofSeconds(2);
        RemoteConnector connector = new RemoteConnector(pools, new DestinationScreen(destinations, registry),
                Transport.best(), new SmtpTimeouts(wait, wait, wait, wait, wait, wait), wait, port, null, null,
                new TlsOutcomes(registry, List.of("normal")), ConnectionReuseConfig.DISABLED,
                new DestinationSites(List.of()), registry);
        EgressPool pool = pools.pool("normal").orElseThrow();
        return connector.open(loops.next(), pool, pool.sources().get(0), List.of(hosts),
                DestinationTls.poolOnly("hostile.test", "normal", TlsRequirement.PLAIN), "test", new HeldLeases());
    }

    private double refused(String reason) {
        return registry.get("sluice.egress.destination.refused").tag("reason", reason).counter().count();
    }

    @Test
    void forbiddenAddressesHandedToTheConnectorAreNeverConnectedTo() throws Exception {
        int port = TestPorts.freeOnLoopback();
        MxHost hostile = new MxHost("mx.hostile.test", 10, List.of(InetAddress.getByName("10.1.2.3"),
                InetAddress.getByName("169.254.169.254"), InetAddress.getByName("127.0.0.1")));
        try (ConnectionTrap trap = ConnectionTrap.at("127.0.0.1", port)) {
            CompletableFuture<RemoteConnection> refused = open(EgressDestinations.DEFAULT, port, hostile);

            Throwable error = awaitFailure(refused);
            assertThat(error).isInstanceOf(RemoteConnector.DestinationRefusedException.class)
                    .hasMessageContaining("127.0.0.1");
            assertThat(refused("private")).isEqualTo(1);
            assertThat(refused("link_local")).isEqualTo(1);
            assertThat(refused("loopback")).isEqualTo(1);
            assertThat(trap.connections()).isZero();

            // The same call with loopback allowed does reach the trap: it is the guard that kept it out above.
            CompletableFuture<RemoteConnection> allowed = open(new EgressDestinations(
                    List.of(Cidr.parse("127.0.0.0/8")), List.of()), port, hostile);
            // The trap closes at once: no greeting, so the open fails after the connect.
            assertThat(awaitFailure(allowed)).isNotInstanceOf(RemoteConnector.DestinationRefusedException.class);
            assertThat(trap.connections()).isEqualTo(1);
        }
    }

    @Test
    void theScreenKeepsPermittedHostsAndAddressesOfAMixedAnswer() throws Exception {
        DestinationScreen screen = new DestinationScreen(EgressDestinations.DEFAULT, registry);
        MxHost internal = new MxHost("internal.mix.test", 10, List.of(InetAddress.getByName("::ffff:127.0.0.1")));
        MxHost mixed = new MxHost("mixed.mix.test", 20,
                List.of(InetAddress.getByName("10.0.0.1"), InetAddress.getByName("192.0.2.1"),
                        InetAddress.getByName("2a00:1450::1b"), InetAddress.getByName("64:ff9b::a9fe:a9fe")));
        MxHost external = new MxHost("external.mix.test", 30, List.of(InetAddress.getByName("8.8.8.8")));

        Optional<MxAnswer.Found> screened =
                screen.screen("mix.test", new MxAnswer.Found(List.of(internal, mixed, external), false, false));
        Optional<MxAnswer.Found> nothing = screen.screen("internal.test",
                new MxAnswer.Found(List.of(internal), false, false));

        assertThat(screened).get().extracting(MxAnswer.Found::hosts).asList().containsExactly(
                new MxHost("mixed.mix.test", 20, List.of(InetAddress.getByName("2a00:1450::1b"))), external);
        assertThat(nothing).isEmpty();
        assertThat(DestinationScreen.refusal(new MxAnswer.Found(List.of(internal), false, false)).toString())
                .startsWith("550 5.4.4");
        assertThat(DestinationScreen.refusal(new MxAnswer.Found(List.of(internal), false, true)).toString())
                .startsWith("451 4.4.3");
        assertThat(refused("loopback")).isEqualTo(2);
        assertThat(refused("private")).isEqualTo(1);
        assertThat(refused("documentation")).isEqualTo(1);
        assertThat(refused("link_local")).isEqualTo(1);
    }

    private static Throwable awaitFailure(CompletableFuture<?> future) throws Exception {
        try {
            future.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected the open to fail");
    }
}
