package io.sluice.proxy.egress.tls;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The {@code _mta-sts} TXT record (RFC 8461 §3.1): one record of version STSv1 with an id, or no policy. */
class MtaStsRecordTest {

    @Test
    void theIdOfTheOneStsRecordIsRead() {
        assertThat(MtaStsRecord.id(List.of("v=STSv1; id=20160831085700Z;"))).contains("20160831085700Z");
        assertThat(MtaStsRecord.id(List.of("v=STSv1;id=abc", "some other TXT"))).contains("abc");
        assertThat(MtaStsRecord.id(List.of("v=STSv1; ext=1; id=abc; id=def"))).contains("abc");
    }

    @Test
    void twoStsRecordsOrAMalformedOneMeanNoPolicy() {
        assertThat(MtaStsRecord.id(List.of("v=STSv1; id=a", "v=STSv1; id=b"))).isEmpty();
        assertThat(MtaStsRecord.id(List.of("v=STSv1;"))).isEmpty();
        assertThat(MtaStsRecord.id(List.of("v=STSv1; id=" + "a".repeat(33)))).isEmpty();
        assertThat(MtaStsRecord.id(List.of("v=STSv1; id=a-b"))).isEmpty();
        assertThat(MtaStsRecord.id(List.of("v=STSv2; id=a"))).isEmpty();
        assertThat(MtaStsRecord.id(List.of("v=STSv1; id"))).isEmpty();
        assertThat(MtaStsRecord.id(List.of())).isEmpty();
    }
}
