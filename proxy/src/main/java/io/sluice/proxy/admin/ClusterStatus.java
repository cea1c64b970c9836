package io.sluice.proxy.admin;

import java.util.List;
import java.util.Map;

/**
 * What this node knows of its cluster, for {@code GET /api/v1/cluster}.
 *
 * @param mode {@code local}, {@code embedded} or {@code client}
 * @param members the Hazelcast members' addresses; empty in local mode
 * @param fallback whether limits fall back to local buckets now because the cluster does not answer in time
 * @param fallbackEpisodes fallback episodes since start
 * @param nodes every Sluice node as it describes itself (phase, draining, sessions), this one first
 */
public record ClusterStatus(String mode, List<String> members, boolean fallback, long fallbackEpisodes,
                     List<Map<String, Object>> nodes) {

    public ClusterStatus {
        members = List.copyOf(members);
        nodes = List.copyOf(nodes);
    }
}
