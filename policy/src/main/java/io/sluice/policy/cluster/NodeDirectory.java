package io.sluice.policy.cluster;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hazelcast.map.IMap;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Sluice nodes of the cluster as each describes itself (phase, sessions, policy version): every node publishes
 * its card every second with a short lifetime, and keeps every other card as the map's events bring it, so that
 * listing them asks no one. A node that dies stops publishing and drops off the list within the lifetime; one that
 * stops takes its card with it. Cards are signed with the cluster secret: one that is not is ignored and counted.
 */
public final class NodeDirectory implements AutoCloseable {

    static final String MAP = "sluice-nodes";
    private static final long PUBLISH_MILLIS = 1_000;
    private static final long LIFETIME_MILLIS = 5_000;
    // A card is a few hundred characters; a larger entry is no card of ours.
    private static final int MAX_CARD_CHARS = 65_536;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> CARD = new TypeReference<>() {
    };
    private static final Logger log = LoggerFactory.getLogger(NodeDirectory.class);

    private final String nodeId;
    private final Optional<ClusterSeal> seal;
    private final Supplier<Map<String, Object>> card;
    private final Optional<IMap<String, String>> map;
    private final Map<String, Map<String, Object>> others = new ConcurrentHashMap<>();
    private final Optional<ScheduledExecutorService> publisher;

    private NodeDirectory(String nodeId, Optional<ClusterSeal> seal, Supplier<Map<String, Object>> card,
                          Optional<IMap<String, String>> map, Optional<ScheduledExecutorService> publisher) {
        this.nodeId = nodeId;
        this.seal = seal;
        this.card = card;
        this.map = map;
        this.publisher = publisher;
    }

    /** This node alone: the list has its card only. */
    public static NodeDirectory alone(Supplier<Map<String, Object>> card) {
        return new NodeDirectory("local", Optional.empty(), card, Optional.empty(), Optional.empty());
    }

    /** Publishes this node's card to the cluster and follows the others'. */
    public static NodeDirectory in(ClusterNode cluster, Supplier<Map<String, Object>> card) {
        IMap<String, String> map = cluster.hazelcast().getMap(MAP);
        ScheduledExecutorService publisher = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "sluice-node-directory");
            thread.setDaemon(true);
            return thread;
        });
        NodeDirectory directory = new NodeDirectory(cluster.nodeId(), Optional.of(cluster.seal()), card,
                Optional.of(map), Optional.of(publisher));
        map.addEntryListener(new EntryChanges<String>(directory::remember, directory.others::remove, () -> { }), true);
        map.forEach(directory::remember);
        publisher.scheduleWithFixedDelay(directory::publish, 0, PUBLISH_MILLIS, TimeUnit.MILLISECONDS);
        return directory;
    }

    /** Every node's card, this node's first (fresh), then the others by id; each card has its {@code id}. */
    public List<Map<String, Object>> nodes() {
        List<Map<String, Object>> nodes = new ArrayList<>();
        nodes.add(withId(nodeId, card.get()));
        others.entrySet().stream()
                .filter(entry -> !entry.getKey().equals(nodeId))
                .sorted(Map.Entry.comparingByKey())
                .forEach(entry -> nodes.add(withId(entry.getKey(), entry.getValue())));
        return nodes;
    }

    private static Map<String, Object> withId(String id, Map<String, Object> card) {
        Map<String, Object> withId = new LinkedHashMap<>();
        withId.put("id", id);
        withId.putAll(card);
        return withId;
    }

    private void publish() {
        try {
            String json = JSON.writeValueAsString(card.get());
            map.orElseThrow().put(nodeId, seal.orElseThrow().sealed(ClusterSeal.Kind.NODE_CARD, nodeId, json),
                    LIFETIME_MILLIS, TimeUnit.MILLISECONDS);
        } catch (RuntimeException | JsonProcessingException e) {
            // The cluster may be away for a while; the next round tries again.
            log.debug("publishing this node's card failed: {}", e.toString());
        }
    }

    /** A card is its JSON, sealed. */
    private void remember(String id, String sealed) {
        Optional<String> json = seal.orElseThrow().opened(sealed, ClusterSeal.Kind.NODE_CARD, id, MAX_CARD_CHARS);
        if (json.isEmpty()) {
            return;
        }
        try {
            others.put(id, JSON.readValue(json.get(), CARD));
        } catch (JsonProcessingException e) {
            log.warn("unreadable node card; ignored", e);
        }
    }

    /** Stops publishing and takes this node's card off the list. */
    @Override
    public void close() {
        publisher.ifPresent(ScheduledExecutorService::shutdownNow);
        map.ifPresent(cards -> {
            try {
                cards.delete(nodeId);
            } catch (RuntimeException e) {
                log.debug("removing this node's card failed: {}", e.toString());
            }
        });
    }
}
