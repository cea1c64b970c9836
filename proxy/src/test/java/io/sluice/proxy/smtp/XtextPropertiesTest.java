package io.sluice.proxy.smtp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

class XtextPropertiesTest {

    @Property
    void encodedIsOnlyXcharsAndDecodesBack(@ForAll String value) {
        String encoded = Xtext.encode(value);

        assertThat(encoded).matches("([!-*,-<>-~]|\\+[0-9A-F]{2})*");
        assertThat(decodeXtext(encoded)).isEqualTo(new String(value.getBytes(UTF_8), UTF_8));
    }

    private static String decodeXtext(String xtext) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < xtext.length(); i++) {
            char c = xtext.charAt(i);
            if (c == '+') {
                out.write(Integer.parseInt(xtext.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.write(c);
            }
        }
        return out.toString(UTF_8);
    }
}
