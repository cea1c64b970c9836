package io.sluice.policy.fairshare;

import java.time.Clock;
import java.util.List;
import java.util.Optional;

/** The fair shares of this node alone: the demand it sees is all there is. */
public final class LocalFairShares implements FairShares {

    private final ShareBooks books;

    public LocalFairShares(Clock clock) {
        this.books = new ShareBooks(clock, bucketKey -> List::of);
    }

    @Override
    public FairShareBook book(String bucketKey, double tokensPerMilli) {
        return books.book(bucketKey, tokensPerMilli);
    }

    @Override
    public Optional<FairShareBook> find(String bucketKey) {
        return Optional.ofNullable(books.find(bucketKey));
    }
}
