package dev.tokenlearner.checkpoint.npy;

import java.util.Optional;

/** The element types this toolkit reads from {@code .npy} files, all little-endian. */
public enum NpyDtype {
  /** 32-bit float, {@code '<f4'}; the only type written. */
  FLOAT32("<f4", 4),
  /** 64-bit float, {@code '<f8'}; narrowed to float32 when read as an array. */
  FLOAT64("<f8", 8),
  /** 32-bit signed integer, {@code '<i4'}. */
  INT32("<i4", 4),
  /** 64-bit signed integer, {@code '<i8'}. */
  INT64("<i8", 8);

  private final String descr;
  private final int itemSize;

  NpyDtype(String descr, int itemSize) {
    this.descr = descr;
    this.itemSize = itemSize;
  }

  /** The numpy {@code descr} string, e.g. {@code <f4}. */
  public String descr() {
    return descr;
  }

  /** Bytes per element. */
  public int itemSize() {
    return itemSize;
  }

  /**
   * The type with the given {@code descr}, if supported.
   *
   * @param descr a numpy type string such as {@code <f4}
   * @return the type, or empty when the string names no supported type
   */
  public static Optional<NpyDtype> fromDescr(String descr) {
    for (NpyDtype t : values()) {
      if (t.descr.equals(descr)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }
}
