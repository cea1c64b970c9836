package io.sluice.loadtest.load;

import io.sluice.loadtest.check.CheckSummary;
import java.util.BitSet;
import java.util.Optional;

/** What the run can learn from the server behind the target, when it runs in the same process (a sink). */
public interface Backend {

    /** Messages the backend has accepted so far. */
    long received();

    /** The backend's messages of run {@code run} held against those the generator saw admitted. */
    Optional<CheckSummary> check(String run, BitSet admitted);
}
