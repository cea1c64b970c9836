package io.sluice.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TestPortsTest {

    @Test
    void portsAreDistinctBindableAndNeverEphemeral() throws IOException {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        String[] ephemeral = Files.exists(range) ? Files.readAllLines(range).get(0).trim().split("\\s+")
                : new String[] {"32768", "60999"};
        int low = Integer.parseInt(ephemeral[0]);
        int high = Integer.parseInt(ephemeral[1]);
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            int port = i % 2 == 0 ? TestPorts.freeOnLoopback() : TestPorts.freeOnEveryAddress();
            assertThat(port < low || port > high).as("%d outside %d-%d", port, low, high).isTrue();
            ports.add(port);
        }
        assertThat(ports).hasSize(200);
    }

    @Test
    void aPortSomethingListensOnIsSkipped() throws IOException {
        int first = TestPorts.freeOnLoopback();
        // The next port in turn is taken: the one handed out is free all the same.
        try (ServerSocket taken = new ServerSocket(first + 1, 1, InetAddress.getLoopbackAddress())) {
            int next = TestPorts.freeOnLoopback();
            assertThat(next).isNotEqualTo(taken.getLocalPort());
            try (ServerSocket server = new ServerSocket(next, 1, InetAddress.getLoopbackAddress());
                 Socket client = new Socket(InetAddress.getLoopbackAddress(), next)) {
                assertThat(client.isConnected()).isTrue();
            }
        }
    }
}
