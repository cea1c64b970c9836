package io.sluice.proxy.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.config.DrainConfig;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class DrainControllerTest {

    /** A service whose sessions the test ends, recording what the drain asked of it. */
    private static final class FakeService implements Drainable {
        final List<String> calls = new CopyOnWriteArrayList<>();
        final AtomicInteger sessions = new AtomicInteger();

        @Override
        public void stopAccepting() {
            calls.add("stop accepting");
        }

        @Override
        public void sayGoodbye() {
            calls.add("goodbye");
        }

        @Override
        public int openSessions() {
            return sessions.get();
        }

        @Override
        public void closeAll() {
            calls.add("close all");
            sessions.set(0);
        }
    }

    @Test
    void phasesRunInOrderAndTheDrainEndsWhenTheLastSessionHas() throws Exception {
        NodeState state = new NodeState();
        state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
        FakeService first = new FakeService();
        FakeService second = new FakeService();
        second.sessions.set(2);
        CountDownLatch stopped = new CountDownLatch(1);
        DrainController drain = new DrainController(new DrainConfig(Duration.ofMillis(200), Duration.ofMinutes(1)),
                state, List.of(first, second), stopped::countDown);

        drain.start();
        drain.start();

        assertThat(state.ready()).isFalse();
        assertThat(state.live()).isTrue();
        assertThat(first.calls).as("accepting during the announce").isEmpty();
        await().atMost(Duration.ofSeconds(10)).until(() -> second.calls.contains("goodbye"));
        assertThat(first.calls).containsExactly("stop accepting", "goodbye");
        assertThat(stopped.getCount()).as("sessions left").isEqualTo(1);

        second.sessions.set(0);

        assertThat(stopped.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(second.calls).containsExactly("stop accepting", "goodbye");
        assertThat(state.phase()).isEqualTo(NodeState.Phase.STOPPED);
        assertThat(state.live()).isFalse();
    }

    @Test
    void atTheDeadlineWhatIsLeftIsClosed() throws Exception {
        NodeState state = new NodeState();
        state.advance(NodeState.Phase.STARTING, NodeState.Phase.SERVING);
        FakeService stuck = new FakeService();
        stuck.sessions.set(1);
        CountDownLatch stopped = new CountDownLatch(1);
        new DrainController(new DrainConfig(Duration.ZERO, Duration.ofMillis(300)), state, List.of(stuck),
                stopped::countDown).start();

        assertThat(stopped.await(10, TimeUnit.SECONDS)).isTrue();
        assertThat(stuck.calls).containsExactly("stop accepting", "goodbye", "close all");
    }
}
