package io.sluice.config;

import java.io.IOException;
import java.nio.file.Path;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * Checks a DNSSEC trust-anchor file as the validator reads it: DS or DNSKEY records in zone-file form (RFC 1035
 * §5), at least one; a mistake is reported at the key with the file's own line.
 */
final class TrustAnchorFile {

    static final String EXPECTED = "a file of DS or DNSKEY records in zone-file form, such as "
            + "\"example.test. IN DS 12345 13 2 <hex>\"";

    private TrustAnchorFile() {}

    static void check(Path file, Value value) {
        int anchors = 0;
        try (Master master = new Master(file.toString(), Name.root)) {
            Record record;
            while ((record = master.nextRecord()) != null) {
                if (record.getType() != Type.DS && record.getType() != Type.DNSKEY) {
                    value.refuse(file + ": a " + Type.string(record.getType()) + " record for " + record.getName(),
                            EXPECTED);
                    return;
                }
                anchors++;
            }
        } catch (IOException e) {
            // The tokenizer's message names the file and line: "anchors.txt:3: expected an integer".
            value.refuse(e.getMessage(), EXPECTED);
            return;
        }
        if (anchors == 0) {
            value.refuse(file + ": no records", EXPECTED);
        }
    }
}
