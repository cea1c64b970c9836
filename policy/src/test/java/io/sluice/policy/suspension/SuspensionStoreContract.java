package io.sluice.policy.suspension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link SuspensionStore} does, run against each implementation. */
public abstract class SuspensionStoreContract {

    protected SuspensionStore store;
    protected SuspendedSource source;
    protected final List<Change> told = new CopyOnWriteArrayList<>();

    /** One change a follower heard of. */
    public record Change(SuspendedSource source, boolean suspended) {
    }

    /** A store of the implementation under test. */
    protected abstract SuspensionStore newStore();

    @BeforeEach
    void openStore() {
        // A store may share its backend with other tests (a shared cluster): every test has its own pools, and
        // hears of those only.
        String pool = "pool-" + UUID.randomUUID();
        source = new SuspendedSource(pool, "192.0.2.1");
        store = newStore();
        store.follow((changed, suspended) -> {
            if (changed.pool().startsWith(pool)) {
                told.add(new Change(changed, suspended));
            }
        });
    }

    @Test
    void aSuspensionIsInForceWhenTheFutureCompletes() {
        store.set(source, true).join();

        assertThat(store.suspended()).contains(source);
        assertThat(told).containsExactly(new Change(source, true));
    }

    @Test
    void aResumptionIsInForceWhenTheFutureCompletes() {
        store.set(source, true).join();
        store.set(source, false).join();

        assertThat(store.suspended()).doesNotContain(source);
        assertThat(told).endsWith(new Change(source, false));
    }

    @Test
    void suspendingTwiceIsToldOnce() {
        store.set(source, true).join();
        store.set(source, true).join();

        assertThat(told).containsExactly(new Change(source, true));
    }

    @Test
    void resumingWhatIsNotSuspendedIsToldToNoOne() {
        store.set(source, false).join();

        assertThat(told).isEmpty();
        assertThat(store.suspended()).doesNotContain(source);
    }

    @Test
    void aFollowerIsToldAtOnceWhatIsSuspendedAlready() {
        SuspendedSource other = new SuspendedSource(source.pool(), "2001:db8::1");
        store.set(source, true).join();
        store.set(other, true).join();
        List<Change> late = new CopyOnWriteArrayList<>();

        store.follow((changed, suspended) -> late.add(new Change(changed, suspended)));

        assertThat(late).contains(new Change(source, true), new Change(other, true)).allMatch(Change::suspended);
    }

    @Test
    void sourcesAreKeptApart() {
        SuspendedSource samePoolOtherSource = new SuspendedSource(source.pool(), "192.0.2.2");
        SuspendedSource otherPoolSameSource = new SuspendedSource(source.pool() + "-b", source.source());

        store.set(source, true).join();

        assertThat(store.suspended()).contains(source).doesNotContain(samePoolOtherSource, otherPoolSameSource);
    }

    @Test
    void aSuspensionForASiteIsKeptApartFromOneForEveryDestination() {
        SuspendedSource forSite = new SuspendedSource(source.pool(), source.source(), "yahoo");
        SuspendedSource wholePool = new SuspendedSource(source.pool(), SuspendedSource.EVERY_SOURCE, "yahoo");
        Suspension terms = new Suspension(System.currentTimeMillis() + 60_000, "yahoo-tss04",
                "421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred");

        store.suspend(forSite, terms).join();
        store.suspend(wholePool, terms).join();

        assertThat(store.terms()).contains(entry(forSite, terms), entry(wholePool, terms)).doesNotContainKey(source);
        assertThat(told).containsExactly(new Change(forSite, true), new Change(wholePool, true));
        assertThat(SuspendedSource.fromKey(forSite.key())).contains(forSite);
        assertThat(SuspendedSource.fromKey(wholePool.key())).contains(wholePool);
        assertThat(SuspendedSource.fromKey(source.key())).contains(source);
    }

    @Test
    void newTermsAreToldAndTheSameTermsAreNot() {
        SuspendedSource forSite = new SuspendedSource(source.pool(), source.source(), "yahoo");
        Suspension first = new Suspension(System.currentTimeMillis() + 60_000, "r", "first");
        Suspension later = new Suspension(first.expiresMillis() + 60_000, "r", "second");

        store.suspend(forSite, first).join();
        store.suspend(forSite, first).join();
        store.suspend(forSite, later).join();

        assertThat(told).containsExactly(new Change(forSite, true), new Change(forSite, true));
        assertThat(store.terms()).containsEntry(forSite, later);
    }

    @Test
    void aSuspensionWithAnExpiryEndsByItself() {
        SuspendedSource forSite = new SuspendedSource(source.pool(), source.source(), "yahoo");

        store.suspend(forSite, new Suspension(System.currentTimeMillis() + 300, "r", "reply")).join();

        await().atMost(Duration.ofSeconds(10)).until(() -> told.contains(new Change(forSite, false)));
        assertThat(store.terms()).doesNotContainKey(forSite);
        assertThat(told).containsExactly(new Change(forSite, true), new Change(forSite, false));
    }
}
