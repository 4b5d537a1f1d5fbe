package dev.tokenlearner.checkpoint;

import java.util.Optional;

/** The numpy dtype names that {@code flax.serialization} writes into ndarray extension payloads. */
enum FlaxDtype {
  BOOL("bool", 1, Kind.BOOL),
  INT8("int8", 1, Kind.INT),
  INT16("int16", 2, Kind.INT),
  INT32("int32", 4, Kind.INT),
  INT64("int64", 8, Kind.INT),
  UINT8("uint8", 1, Kind.UINT),
  UINT16("uint16", 2, Kind.UINT),
  UINT32("uint32", 4, Kind.UINT),
  UINT64("uint64", 8, Kind.UINT),
  FLOAT16("float16", 2, Kind.FLOAT),
  BFLOAT16("bfloat16", 2, Kind.FLOAT),
  FLOAT32("float32", 4, Kind.FLOAT),
  FLOAT64("float64", 8, Kind.FLOAT),
  COMPLEX64("complex64", 8, Kind.COMPLEX),
  COMPLEX128("complex128", 16, Kind.COMPLEX);

  /** Broad class of a dtype. */
  enum Kind {
    BOOL,
    INT,
    UINT,
    FLOAT,
    COMPLEX
  }

  final String numpyName;
  final int itemSize;
  final Kind kind;

  FlaxDtype(String numpyName, int itemSize, Kind kind) {
    this.numpyName = numpyName;
    this.itemSize = itemSize;
    this.kind = kind;
  }

  /** Whether parameters of this type are read (converted to float32 where needed). */
  boolean isParameterType() {
    return this == FLOAT32 || this == BFLOAT16;
  }

  static Optional<FlaxDtype> fromName(String name) {
    for (FlaxDtype t : values()) {
      if (t.numpyName.equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
