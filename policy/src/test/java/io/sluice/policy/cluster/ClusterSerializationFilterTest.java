package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.partition.Partition;
import io.sluice.config.ClusterConfig;
import java.io.Serializable;
import java.net.URL;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Java serialization between members carries exceptions, and nothing a peer could build a gadget chain from. */
class ClusterSerializationFilterTest {

    private final List<ClusterNode> nodes = new ArrayList<>();

    @AfterEach
    void close() {
        nodes.forEach(ClusterNode::kill);
    }

    @Test
    void anExceptionOnAnotherMemberComesBackAsIs() {
        List<ClusterConfig> configs = TestClusters.members(TestClusters.clusterName(getClass()), 2,
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        configs.forEach(config -> nodes.add(ClusterNode.start(config)));
        ClusterNode caller = nodes.get(0);
        IMap<String, String> map = caller.hazelcast().getMap("filter-test");
        String remoteKey = keyOwnedByAnotherMember(caller);

        Throwable thrown = catchThrowable(() -> map.executeOnKey(remoteKey, new Failing()));

        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessage("refused on purpose");
    }

    @Test
    void aValueOfAClassOutsideTheListIsRefusedWhenRead() throws Exception {
        ClusterNode node = ClusterNode.start(TestClusters.standalone(TestClusters.clusterName(getClass()),
                Duration.ofSeconds(30)));
        nodes.add(node);
        IMap<String, Object> map = node.hazelcast().getMap("filter-test");
        // java.net.URL is Serializable and the start of the well-known URLDNS chain.
        map.put("gadget", new URL("http://gadget.invalid/"));
        map.put("text", "allowed");

        assertThat(catchThrowable(() -> map.get("gadget"))).hasRootCauseInstanceOf(SecurityException.class)
                .hasStackTraceContaining("Resolving class java.net.URL is not allowed");
        assertThat(map.get("text")).isEqualTo("allowed");
    }

    private static String keyOwnedByAnotherMember(ClusterNode caller) {
        for (int i = 0; ; i++) {
            String key = "key-" + i;
            Partition partition = caller.hazelcast().getPartitionService().getPartition(key);
            if (partition.getOwner() != null && !partition.getOwner().localMember()) {
                return key;
            }
        }
    }

    /** Throws where it runs: on the key's owner. */
    static final class Failing implements EntryProcessor<String, String, String>, Serializable {
        @Override
        public String process(Map.Entry<String, String> entry) {
            throw new IllegalStateException("refused on purpose");
        }
    }
}
