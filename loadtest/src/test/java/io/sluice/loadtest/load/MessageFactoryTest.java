package io.sluice.loadtest.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageFactoryTest {

    @Test
    void retryingSendersHaveOneSenderPerMessageTheSameAtEveryAttempt() {
        MessageFactory factory = new MessageFactory("r1", "sender.test", true);

        assertThat(factory.sender(7)).isEqualTo("load-r1-7@sender.test").isEqualTo(factory.sender(7))
                .isNotEqualTo(factory.sender(8));
        assertThat(new String(factory.content(7, 100, "a@rcpt.test"), StandardCharsets.US_ASCII))
                .contains("From: <load-r1-7@sender.test>");
    }

    @Test
    void otherwiseEveryMessageHasTheRunsSender() {
        MessageFactory factory = new MessageFactory("r1", "sender.test", false);

        assertThat(factory.sender(7)).isEqualTo("load-r1@sender.test").isEqualTo(factory.sender(8));
    }
}
