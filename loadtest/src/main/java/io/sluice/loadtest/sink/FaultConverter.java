package io.sluice.loadtest.sink;

import picocli.CommandLine.ITypeConverter;

/** Picocli converter for {@code --fault}. */
final class FaultConverter implements ITypeConverter<Fault> {
    @Override
    public Fault convert(String value) {
        return Fault.parse(value);
    }
}
