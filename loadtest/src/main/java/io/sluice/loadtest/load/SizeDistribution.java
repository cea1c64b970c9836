package io.sluice.loadtest.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.random.RandomGenerator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Message body sizes: one size ({@code 2KB}), a uniform range ({@code 1KB..64KB}) or weighted choices of either
 * ({@code 2KB:70,20KB:25,1MB..5MB:5}). Sizes take {@code B}, {@code KB}, {@code MB}, {@code KiB}, {@code MiB}.
 */
public record SizeDistribution(List<Choice> choices) {

    /** Largest body the generator builds; a message is held in memory while it is sent. */
    static final long MAX_SIZE = 64L * 1024 * 1024;
    private static final String SIZE = "(\\d{1,9})(B|KB|MB|KiB|MiB)?";
    private static final Pattern CHOICE = Pattern.compile(SIZE + "(?:\\.\\." + SIZE + ")?(?::(\\d{1,6}))?");

    /** Sizes from {@code min} to {@code max} bytes, uniformly, picked with {@code weight}. */
    public record Choice(long min, long max, int weight) {
        public Choice {
            if (min < 0 || max < min || max > MAX_SIZE) {
                throw new IllegalArgumentException(
                        "size: " + min + ".." + max + " (expected: 0 <= min <= max <= " + MAX_SIZE + ")");
            }
            if (weight <= 0) {
                throw new IllegalArgumentException("weight: " + weight + " (expected: > 0)");
            }
        }
    }

    public SizeDistribution {
        if (choices == null || choices.isEmpty()) {
            throw new IllegalArgumentException("choices: empty (expected: at least one)");
        }
        choices = List.copyOf(choices);
    }

    public static SizeDistribution fixed(long bytes) {
        return new SizeDistribution(List.of(new Choice(bytes, bytes, 1)));
    }

    /** Parses the forms in the class comment; a missing weight is 1. */
    public static SizeDistribution parse(String text) {
        List<Choice> choices = new ArrayList<>();
        for (String part : text.split(",", -1)) {
            Matcher m = CHOICE.matcher(part.trim());
            if (!m.matches()) {
                throw invalid(part);
            }
            long min = bytes(m.group(1), m.group(2));
            long max = m.group(3) == null ? min : bytes(m.group(3), m.group(4));
            int weight = m.group(5) == null ? 1 : Integer.parseInt(m.group(5));
            try {
                choices.add(new Choice(min, max, weight));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("\"" + part + "\" (" + e.getMessage() + ")");
            }
        }
        return new SizeDistribution(choices);
    }

    /** One size drawn from the distribution. */
    public long sample(RandomGenerator random) {
        int total = 0;
        for (Choice choice : choices) {
            total += choice.weight();
        }
        int pick = random.nextInt(total);
        for (Choice choice : choices) {
            pick -= choice.weight();
            if (pick < 0) {
                return choice.min() == choice.max() ? choice.min() : random.nextLong(choice.min(), choice.max() + 1);
            }
        }
        throw new AssertionError("weights changed");
    }

    /** Mean body size, for planning and the summary. */
    public double mean() {
        double total = 0;
        double weights = 0;
        for (Choice choice : choices) {
            total += choice.weight() * (choice.min() + choice.max()) / 2.0;
            weights += choice.weight();
        }
        return total / weights;
    }

    @Override
    public String toString() {
        StringBuilder text = new StringBuilder();
        for (Choice choice : choices) {
            if (text.length() > 0) {
                text.append(',');
            }
            text.append(choice.min()).append('B');
            if (choice.max() != choice.min()) {
                text.append("..").append(choice.max()).append('B');
            }
            if (choices.size() > 1 || choice.weight() != 1) {
                text.append(':').append(choice.weight());
            }
        }
        return text.toString();
    }

    private static long bytes(String number, String unit) {
        long n = Long.parseLong(number);
        switch (unit == null ? "B" : unit) {
            case "KB":
                return n * 1000;
            case "MB":
                return n * 1000_000;
            case "KiB":
                return n * 1024;
            case "MiB":
                return n * 1024 * 1024;
            default:
                return n;
        }
    }

    private static IllegalArgumentException invalid(String part) {
        return new IllegalArgumentException(String.format(Locale.ROOT,
                "\"%s\" (expected: SIZE, SIZE..SIZE or a list of them with :WEIGHT, e.g. 2KB:70,20KB:30;"
                        + " units B, KB, MB, KiB, MiB)", part));
    }
}
