package io.sluice.policy.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AnswerAheadTest {

    private static final long FRESH = 50_000_000;

    @Test
    void nothingIsAnsweredAheadBeforeTheBucketFirstAnswered() {
        assertThat(new AnswerAhead(10, FRESH).take(1, 0)).isEqualTo(-1);
    }

    @Test
    void oneAnswerAtATimeUntilTheClusterAnswersIt() {
        AnswerAhead ahead = new AnswerAhead(10, FRESH);
        ahead.answered(100, 0);

        assertThat(ahead.take(2, 1)).isEqualTo(98);
        assertThat(ahead.take(1, 1)).as("the first still waits for the cluster's word").isEqualTo(-1);

        ahead.answered(60, 2);
        assertThat(ahead.take(1, 3)).isEqualTo(59);
    }

    @Test
    void theCopysAllowanceStaysBeyondWhatIsAnsweredAhead() {
        AnswerAhead ahead = new AnswerAhead(10, FRESH);
        ahead.answered(11, 0);
        assertThat(ahead.take(2, 1)).isEqualTo(-1);
        assertThat(ahead.take(1, 1)).isEqualTo(10);
    }

    @Test
    void anAnswerOlderThanTheCopysTimeIsNotAnsweredFrom() {
        AnswerAhead ahead = new AnswerAhead(10, FRESH);
        ahead.answered(100, 0);
        assertThat(ahead.take(1, FRESH + 1)).isEqualTo(-1);
        assertThat(ahead.take(1, FRESH)).isEqualTo(99);
    }

    @Test
    void aClusterThatFailedIsWaitedForUntilItAnswersAgain() {
        AnswerAhead ahead = new AnswerAhead(10, FRESH);
        ahead.answered(100, 0);
        assertThat(ahead.take(1, 1)).isEqualTo(99);

        ahead.failed();
        assertThat(ahead.take(1, 2)).isEqualTo(-1);

        ahead.answered(90, 3);
        assertThat(ahead.take(1, 4)).isEqualTo(89);
    }
}
