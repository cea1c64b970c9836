package io.sluice.policy.cluster;

import com.hazelcast.core.EntryEvent;
import com.hazelcast.map.MapEvent;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryEvictedListener;
import com.hazelcast.map.listener.EntryExpiredListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import com.hazelcast.map.listener.MapClearedListener;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * The changes of one of the cluster's control maps as two callbacks, on every node (its own changes included): an
 * entry that is now there with its value (added or updated), and one that is gone (removed, expired, evicted) or,
 * for a cleared map, every one of them.
 */
final class EntryChanges<V> implements EntryAddedListener<String, V>, EntryUpdatedListener<String, V>,
        EntryRemovedListener<String, V>, EntryExpiredListener<String, V>, EntryEvictedListener<String, V>,
        MapClearedListener {

    private final BiConsumer<String, V> present;
    private final Consumer<String> gone;
    private final Runnable cleared;

    /**
     * @param present what to do with an entry that is there now
     * @param gone what to do for an entry that is gone
     * @param cleared what to do when the whole map was cleared (no key is told)
     */
    EntryChanges(BiConsumer<String, V> present, Consumer<String> gone, Runnable cleared) {
        this.present = present;
        this.gone = gone;
        this.cleared = cleared;
    }

    @Override
    public void entryAdded(EntryEvent<String, V> event) {
        present.accept(event.getKey(), event.getValue());
    }

    @Override
    public void entryUpdated(EntryEvent<String, V> event) {
        present.accept(event.getKey(), event.getValue());
    }

    @Override
    public void entryRemoved(EntryEvent<String, V> event) {
        gone.accept(event.getKey());
    }

    @Override
    public void entryExpired(EntryEvent<String, V> event) {
        gone.accept(event.getKey());
    }

    @Override
    public void entryEvicted(EntryEvent<String, V> event) {
        gone.accept(event.getKey());
    }

    @Override
    public void mapCleared(MapEvent event) {
        cleared.run();
    }
}
