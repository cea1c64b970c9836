package io.sluice.proxy.relay;

import static net.logstash.logback.argument.StructuredArguments.kv;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.proxy.session.FinishedTransaction;
import java.io.IOException;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import net.logstash.logback.argument.StructuredArgument;
import org.junit.jupiter.api.Test;

class TransactionLineTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void writesTheSameFieldsInTheSameOrderAsOneKvPerField() throws IOException {
        FinishedTransaction transaction = new FinishedTransaction("example.org", 3, 2112, "delivered", 250, 22);
        List<StructuredArgument> hop = List.of(kv("next_hop", "127.0.0.1:2526"), kv("site", "mx.example.net"));
        TransactionLine line = new TransactionLine("1dictzyi8xlq", "mx", "192.0.2.7", "client.example",
                transaction, hop);

        StructuredArgument[] perField = {kv("session", "1dictzyi8xlq"), kv("listener", "mx"),
                kv("client_ip", "192.0.2.7"), kv("helo", "client.example"), kv("sender_domain", "example.org"),
                kv("recipients", 3), kv("size", 2112L), kv("outcome", "delivered"), kv("reply", 250),
                hop.get(0), hop.get(1), kv("duration_ms", 22L)};

        assertThat(json(line)).isEqualTo(json(perField))
                .isEqualTo("{\"session\":\"1dictzyi8xlq\",\"listener\":\"mx\",\"client_ip\":\"192.0.2.7\","
                        + "\"helo\":\"client.example\",\"sender_domain\":\"example.org\",\"recipients\":3,"
                        + "\"size\":2112,\"outcome\":\"delivered\",\"reply\":250,\"next_hop\":\"127.0.0.1:2526\","
                        + "\"site\":\"mx.example.net\",\"duration_ms\":22}");
        assertThat(line).hasToString(Arrays.toString(perField).replaceAll("^\\[|\\]$", ""));
    }

    @Test
    void aMissingHeloIsNullAsKvWritesIt() throws IOException {
        FinishedTransaction transaction = new FinishedTransaction("", 0, 0, "aborted", 0, 1);
        TransactionLine line = new TransactionLine("s", "relay", "::1", null, transaction, List.of());

        assertThat(json(line)).contains("\"helo\":null", "\"sender_domain\":\"\"")
                .isEqualTo(json(new StructuredArgument[] {kv("session", "s"), kv("listener", "relay"),
                        kv("client_ip", "::1"), kv("helo", null), kv("sender_domain", ""), kv("recipients", 0),
                        kv("size", 0L), kv("outcome", "aborted"), kv("reply", 0), kv("duration_ms", 1L)}));
    }

    private static String json(StructuredArgument... arguments) throws IOException {
        StringWriter text = new StringWriter();
        try (JsonGenerator generator = MAPPER.getFactory().createGenerator(text)) {
            generator.writeStartObject();
            for (StructuredArgument argument : arguments) {
                argument.writeTo(generator);
            }
            generator.writeEndObject();
        }
        return text.toString();
    }
}
