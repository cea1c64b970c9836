package io.sluice.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Reads admin tokens written as {@code name:secret}, one per line in a file, or separated by lines or commas in an
 * environment variable. Problems name the line or the entry, never its text: it may hold a secret.
 */
final class AdminTokens {

    static final String NAME = "a name of letters, digits, '.', '_', '@' and '-', at most 64 characters";
    static final String SECRET = "a secret of at least " + AdminTokens.MIN_SECRET
            + " printable ASCII characters without spaces or commas";
    static final String ENTRY = "name:secret, with " + NAME + " and " + SECRET;

    // Long enough that guessing is hopeless even without rate limiting: `openssl rand -hex 16` gives 32.
    static final int MIN_SECRET = 16;

    private static final Pattern NAME_PATTERN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@-]{0,63}");

    // Where each name and secret was first read: one name is one person, one secret is one name in the audit log.
    private final Map<String, String> seenNames = new HashMap<>();
    private final Map<String, String> seenSecrets = new HashMap<>();
    private final List<AdminToken> tokens = new ArrayList<>();

    static boolean isName(String name) {
        return NAME_PATTERN.matcher(name).matches();
    }

    static boolean isSecret(String secret) {
        return secret.length() >= MIN_SECRET && secret.chars().allMatch(c -> c > ' ' && c <= '~' && c != ',');
    }

    List<AdminToken> tokens() {
        return List.copyOf(tokens);
    }

    /**
     * Reads a tokens file: one {@code name:secret} per line; blank lines and lines starting with {@code #} are skipped.
     *
     * @return the problems found, such as {@code line 3: no ':' (expected: name:secret, ...)}
     */
    List<String> readFile(String text) {
        List<String> problems = new ArrayList<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                entry(line, "line " + (i + 1), "token-file", problems);
            }
        }
        return problems;
    }

    /**
     * Reads an environment variable's value: {@code name:secret} entries separated by lines or commas.
     *
     * @return the problems found, such as {@code entry 2: no ':' (expected: name:secret, ...)}
     */
    List<String> readVariable(String value) {
        List<String> problems = new ArrayList<>();
        int entry = 0;
        for (String part : value.split("[\r\n,]+")) {
            String text = part.strip();
            if (!text.isEmpty()) {
                entry++;
                entry(text, "entry " + entry, "token-env", problems);
            }
        }
        return problems;
    }

    private void entry(String text, String where, String source, List<String> problems) {
        int colon = text.indexOf(':');
        if (colon < 0) {
            problems.add(where + ": no ':' between name and secret (expected: " + ENTRY + ")");
            return;
        }
        String name = text.substring(0, colon).strip();
        String secret = text.substring(colon + 1).strip();
        if (!isName(name)) {
            problems.add(where + ": the name before ':' (expected: " + NAME + ")");
        } else if (!isSecret(secret)) {
            problems.add(where + ": the secret after ':' (expected: " + SECRET + ")");
        } else {
            String nameAt = seenNames.putIfAbsent(name, where + " of " + source);
            String secretAt = seenSecrets.putIfAbsent(secret, where + " of " + source);
            if (nameAt != null) {
                problems.add(where + ": the name " + Conversion.quote(name) + " again (expected: a name no other"
                        + " token has; " + nameAt + " has it)");
            } else if (secretAt != null) {
                problems.add(where + ": the secret of " + secretAt + " again (expected: a secret of its own, so that"
                        + " the audit log names who made a change)");
            } else {
                tokens.add(new AdminToken(name, secret));
            }
        }
    }
}
