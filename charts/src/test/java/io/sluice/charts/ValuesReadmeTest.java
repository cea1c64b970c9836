package io.sluice.charts;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The chart README's values table is values.yaml's comments: a change to either without the other fails here.
 * {@code -Dsluice.readme.write=true} writes the table anew instead.
 */
class ValuesReadmeTest {

    private static final Path README = Chart.DIR.resolve("README.md");

    @Test
    void theReadmeTableIsTheValuesFile() throws IOException {
        String values = Files.readString(Chart.DIR.resolve("values.yaml"));
        String readme = Files.readString(README);
        String expected = ValuesReadme.update(readme, values);
        if (Boolean.getBoolean("sluice.readme.write")) {
            Files.writeString(README, expected);
            readme = expected;
        }

        assertThat(readme).as("charts/sluice/README.md is behind values.yaml: run ValuesReadmeTest with "
                + "-Dsluice.readme.write=true").isEqualTo(expected);
    }

    @Test
    void eachKeyGetsTheCommentAboveItAtItsIndentationAndItsDefault() {
        String table = ValuesReadme.table("""
                # Section, not a key's.

                # The image.
                image:
                  # Where it lives.
                  registry: ""
                  # Not a comment of tag: the line below is deeper.
                    # deeper
                  tag: "1.0"
                limits:
                  - name: a
                    rate: 1/s
                after: [25]
                """);

        assertThat(table).contains("| `image` |  | The image. |", "| `image.registry` | `\"\"` | Where it lives. |",
                "| `image.tag` | `\"1.0\"` |  |", "| `limits` | `[{\"name\":\"a\",\"rate\":\"1/s\"}]` |  |",
                "| `after` | `[25]` |  |");
        assertThat(table).doesNotContain("Section", "`limits.name`", "`name`");
    }
}
