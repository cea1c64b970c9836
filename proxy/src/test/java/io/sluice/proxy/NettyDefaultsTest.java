package io.sluice.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Properties;
import org.junit.jupiter.api.Test;

class NettyDefaultsTest {

    @Test
    void setsEachDefaultThatIsNotGiven() {
        Properties properties = new Properties();
        properties.setProperty("user.name", "sluice");

        NettyDefaults.apply(properties);

        assertThat(properties).containsEntry("io.netty.recycler.maxCapacityPerThread", "0")
                .containsEntry("io.netty.leakDetection.level", "disabled")
                .containsEntry("user.name", "sluice");
    }

    @Test
    void anOptionTheOperatorGaveWins() {
        Properties properties = new Properties();
        properties.setProperty("io.netty.recycler.maxCapacityPerThread", "4096");

        NettyDefaults.apply(properties);

        assertThat(properties).containsEntry("io.netty.recycler.maxCapacityPerThread", "4096")
                .containsEntry("io.netty.leakDetection.level", "disabled");
    }
}
